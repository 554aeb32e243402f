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
from planner.text import Text, joined

LABELS: Mapping[Format, Text] = MappingProxyType(
    {
        Format.OFFLINE_CENTRAL: Text("One venue in Tenggarong"),
        Format.ONLINE: Text("Online"),
        Format.HYBRID_HUBS: Text("Hub watch parties"),
    }
)
PAYERS: Mapping[Payer, Text] = MappingProxyType(
    {
        Payer.OFFICE: Text("the office"),
        Payer.COOPERATIVES: Text("the cooperatives"),
        Payer.PARTICIPANTS: Text("the participants"),
        Payer.OTHERS: Text("others"),
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


def _payers(p: FormatPlan) -> Text:
    others = [
        Text("{payer} {amount}", payer=PAYERS[payer], amount=format_idr(v))
        for payer, v in p.by_payer.items()
        if payer is not Payer.OFFICE and v
    ]
    return joined(others, ", ") if others else Text("nobody else")


# On equal totals the format first in this order wins, here as in the sensitivity run's count
# of which format is cheapest, so that the two never disagree about a tie.
_TIE_ORDER = {fmt: i for i, fmt in enumerate(Format)}


def recommend(plans: Mapping[Format, FormatPlan], sens: Sensitivity) -> Recommendation:
    feasible = sorted(
        (p for p in plans.values() if p.feasible), key=lambda p: (p.total, _TIE_ORDER[p.format])
    )
    ruled_out = [
        Text(
            "{format} is ruled out: {why}.",
            format=LABELS[p.format],
            why=joined([v.message for v in p.violations], "; "),
        )
        for p in plans.values()
        if not p.feasible
    ]
    if not feasible:
        return Recommendation(
            None,
            Text(
                "No format is feasible. {ruled_out} Change the attendance, the allowed platforms "
                "or the catalog and compare again.",
                ruled_out=joined(ruled_out),
            ),
        )
    best = feasible[0]
    sentences = [
        Text(
            "{format} is the cheapest feasible format: {total} for {participants} participants "
            "({each} each). The office pays {office}; the rest falls on {others}.",
            format=LABELS[best.format],
            total=format_idr(best.total),
            participants=best.participants,
            each=format_idr(best.per_participant),
            office=format_idr(best.by_payer.get(Payer.OFFICE, 0)),
            others=_payers(best),
        )
    ]
    if len(feasible) > 1:
        nxt = feasible[1]
        if nxt.total == best.total:
            sentences.append(
                Text("{format} costs the same; either will do.", format=LABELS[nxt.format])
            )
        else:
            sentences.append(
                Text(
                    "The next cheapest, {format}, costs {total} ({more} more).",
                    format=LABELS[nxt.format],
                    total=format_idr(nxt.total),
                    more=format_idr(nxt.total - best.total),
                )
            )
    sentences.extend(ruled_out)
    spread = sens.spreads[best.format]
    sentences.append(
        Text(
            "Over {draws} draws of the estimated unit costs it stays cheapest in {share} of "
            "them (P10-P90 {p10} to {p90}).",
            draws=sens.draws,
            share=f"{sens.cheapest_share.get(best.format, 0.0):.0%}",
            p10=format_idr(spread.p10),
            p90=format_idr(spread.p90),
        )
    )
    # A budget that nine draws in ten stay within; never below the plan's own total.
    budget = max(best.total, spread.p90)
    figures = {
        "total": format_idr(best.total),
        "p50": format_idr(spread.p50),
        "p90": format_idr(spread.p90),
    }
    if budget > best.total:
        sentences.append(
            Text(
                "Budget for the P90, {p90}, not the base figure {total} (P50 {p50}): nine "
                "draws in ten of the estimated costs stay within it.",
                **figures,
            )
        )
    else:
        sentences.append(
            Text(
                "Budget for the base figure, {total} (P50 {p50}, P90 {p90}): the estimated costs "
                "do not push it higher in nine draws out of ten.",
                **figures,
            )
        )
    return Recommendation(
        best.format, joined(sentences), best.total, spread.p50, spread.p90, budget
    )


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
