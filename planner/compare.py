"""The public entry points: one format, or all three compared with a recommendation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from planner import sensitivity as _sensitivity
from planner.catalog import Catalog, default_catalog
from planner.engine import Evaluator, Prepared, plan, prepare
from planner.model import (
    BreakEven,
    Comparison,
    CurvePoint,
    Format,
    FormatPlan,
    Payer,
    PlanRequest,
    Recommendation,
    Sensitivity,
)
from planner.money import format_idr
from planner.regions import access

LABELS: Mapping[Format, str] = MappingProxyType(
    {
        Format.OFFLINE_CENTRAL: "One venue in Tenggarong",
        Format.ONLINE: "Online",
        Format.HYBRID_HUBS: "Hub watch parties",
    }
)
CURVE_POINTS = 12


def plan_format(request: PlanRequest, fmt: Format, catalog: Catalog | None = None) -> FormatPlan:
    """Cost, feasibility, bookings, bandwidth and travel for one format."""
    return plan(prepare(request, catalog or default_catalog()), fmt)


def _grid(participants: int) -> list[int]:
    """From 1 to twice the attendance; small sizes matter, fixed costs dominate there."""
    top = max(2 * participants, 20)
    step = top / (CURVE_POINTS - 1)
    return sorted({max(1, round(i * step)) for i in range(CURVE_POINTS)} | {participants})


def _curve(ev: Evaluator, attendances: Iterable[int]) -> tuple[CurvePoint, ...]:
    points = []
    for n in attendances:
        at = ev.at(n)
        points.append(
            CurvePoint(
                attendance=n,
                totals=MappingProxyType({f: t for f, (t, _) in at.items()}),
                feasible=MappingProxyType({f: ok for f, (_, ok) in at.items()}),
            )
        )
    return tuple(points)


def _break_evens(ev: Evaluator, grid: list[int]) -> tuple[BreakEven, ...]:
    """Where two feasible formats swap places, to the exact attendance (bisection)."""
    found: list[BreakEven] = []
    formats = list(Format)
    for i, a in enumerate(formats):
        for b in formats[i + 1 :]:

            def diff(n: int, a: Format = a, b: Format = b) -> int | None:
                at = ev.at(n)
                (ta, oka), (tb, okb) = at[a], at[b]
                return ta - tb if oka and okb else None

            for lo, hi in zip(grid, grid[1:], strict=False):
                d_lo, d_hi = diff(lo), diff(hi)
                if d_lo is None or d_hi is None or (d_lo < 0) == (d_hi < 0):
                    continue
                # Invariant: the sign at lo differs from the sign at hi.
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    d_mid = diff(mid)
                    if d_mid is None:
                        break
                    if (d_mid < 0) == (d_lo < 0):
                        lo = mid
                    else:
                        hi = mid
                below, above = (a, b) if d_lo < 0 else (b, a)
                found.append(BreakEven(below, above, hi, ev.at(hi)[above][0]))
    return tuple(sorted(found, key=lambda x: (x.attendance, x.cheaper_below, x.cheaper_from)))


def cost_curve(
    request: PlanRequest, attendances: Iterable[int], catalog: Catalog | None = None
) -> tuple[CurvePoint, ...]:
    """Each format's total at other attendances, keeping the request's mix of groups."""
    ev = Evaluator(prepare(request, catalog or default_catalog()))
    return _curve(ev, attendances)


def _payers(p: FormatPlan) -> str:
    others = [
        f"{payer.value} {format_idr(v)}"
        for payer, v in p.by_payer.items()
        if payer is not Payer.OFFICE and v
    ]
    return ", ".join(others) if others else "nobody else"


# On equal totals the format first in this order wins, here as in the sensitivity run's count
# of which format is cheapest, so that the two never disagree about a tie.
_TIE_ORDER = {fmt: i for i, fmt in enumerate(Format)}


def recommend(plans: Mapping[Format, FormatPlan], sens: Sensitivity) -> Recommendation:
    feasible = sorted(
        (p for p in plans.values() if p.feasible), key=lambda p: (p.total, _TIE_ORDER[p.format])
    )
    ruled_out = " ".join(
        f"{LABELS[p.format]} is ruled out: {'; '.join(v.message for v in p.violations)}."
        for p in plans.values()
        if not p.feasible
    )
    if not feasible:
        return Recommendation(
            None,
            f"No format is feasible. {ruled_out} Change the attendance, "
            "the allowed platforms or the catalog and compare again.",
        )
    best = feasible[0]
    office = best.by_payer.get(Payer.OFFICE, 0)
    text = (
        f"{LABELS[best.format]} is the cheapest feasible format: {format_idr(best.total)} for "
        f"{best.participants:,} participants ({format_idr(best.per_participant)} each). "
        f"The office pays {format_idr(office)}; the rest falls on {_payers(best)}."
    )
    if len(feasible) > 1:
        nxt = feasible[1]
        if nxt.total == best.total:
            text += f" {LABELS[nxt.format]} costs the same; either will do."
        else:
            text += (
                f" The next cheapest, {LABELS[nxt.format]}, costs "
                f"{format_idr(nxt.total)} ({format_idr(nxt.total - best.total)} more)."
            )
    if ruled_out:
        text += " " + ruled_out
    share = sens.cheapest_share.get(best.format, 0.0)
    spread = sens.spreads[best.format]
    text += (
        f" Over {sens.draws:,} draws of the estimated unit costs it stays cheapest in "
        f"{share:.0%} of them (P10-P90 {format_idr(spread.p10)} to {format_idr(spread.p90)})."
    )
    return Recommendation(best.format, text)


def _compare(prep: Prepared) -> Comparison:
    request = prep.ctx.request
    plans = MappingProxyType({fmt: plan(prep, fmt) for fmt in Format})
    sens = _sensitivity.run(prep.ctx.catalog, plans, draws=request.draws, seed=request.seed)
    ev = Evaluator(prep)
    grid = _grid(prep.participants)
    evens = _break_evens(ev, grid)
    curve = _curve(ev, sorted(set(grid) | {b.attendance for b in evens}))
    return Comparison(
        request=request,
        catalog_version=prep.ctx.catalog.version,
        catalog_digest=prep.ctx.catalog.digest,
        access_version=access().version,
        participants=prep.participants,
        plans=plans,
        recommendation=recommend(plans, sens),
        break_evens=evens,
        curve=curve,
        sensitivity=sens,
    )


def compare(request: PlanRequest, catalog: Catalog | None = None) -> Comparison:
    """Plan all three formats, recommend the cheapest feasible one, find break-evens,
    and run the sensitivity analysis (``request.draws`` draws from ``request.seed``)."""
    return _compare(prepare(request, catalog or default_catalog()))


def run_sensitivity(request: PlanRequest, catalog: Catalog | None = None) -> Sensitivity:
    """Only the sensitivity analysis (for large ``request.draws``)."""
    prep = prepare(request, catalog or default_catalog())
    plans = {fmt: plan(prep, fmt) for fmt in Format}
    return _sensitivity.run(prep.ctx.catalog, plans, draws=request.draws, seed=request.seed)
