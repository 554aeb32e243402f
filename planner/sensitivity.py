"""Monte Carlo over the estimated unit costs, holding each format's bookings fixed."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from planner.catalog import Catalog
from planner.ledger import CONTINGENCY
from planner.model import Format, FormatPlan, Item, Payer, Sensitivity, Spread


def _varied(catalog: Catalog, plans: Mapping[Format, FormatPlan]) -> tuple[str, ...]:
    used = {k for p in plans.values() for line in p.lines for k in line.keys}
    return tuple(
        sorted(
            k
            for k in used
            if (e := catalog.entries[k]).estimate
            and e.low is not None
            and e.high is not None
            and e.low < e.high
        )
    )


def _totals(plan: FormatPlan, values: Mapping[str, np.ndarray | float]) -> np.ndarray | float:
    # Lines sharing the same keys and payer are summed first: a handful of products per format.
    by_keys: dict[tuple[tuple[str, ...], bool], float] = {}
    reserve = False
    for line in plan.lines:
        if line.item is Item.CONTINGENCY:
            reserve = True  # a rate of the office's share as drawn, not as planned
            continue
        at = (line.keys, line.payer is Payer.OFFICE)
        by_keys[at] = by_keys.get(at, 0.0) + float(line.quantity)
    total: np.ndarray | float = 0.0
    office: np.ndarray | float = 0.0
    for (keys, office_pays), q in by_keys.items():
        term: np.ndarray | float = q
        for k in keys:
            term = term * values[k]
        total = total + term
        if office_pays:
            office = office + term
    if reserve:
        total = total + office * values[CONTINGENCY]
    return total


def run(
    catalog: Catalog, plans: Mapping[Format, FormatPlan], *, draws: int, seed: int
) -> Sensitivity:
    """P10/P50/P90 per format from triangular(low, value, high) draws of every estimate.

    ``low``/``high`` are the totals with every varied estimate at its low or high end.
    The venue, licences and hubs chosen at base prices stay booked in every draw.
    """
    varied = _varied(catalog, plans)
    rng = np.random.default_rng(seed)
    base = {k: float(e.value) for k, e in catalog.entries.items()}
    drawn: dict[str, np.ndarray | float] = dict(base)
    low: dict[str, np.ndarray | float] = dict(base)
    high: dict[str, np.ndarray | float] = dict(base)
    for k in varied:  # sorted, so the stream of draws is reproducible
        e = catalog.entries[k]
        assert e.low is not None and e.high is not None
        drawn[k] = rng.triangular(float(e.low), float(e.value), float(e.high), size=draws)
        low[k], high[k] = float(e.low), float(e.high)

    spreads: dict[Format, Spread] = {}
    samples: dict[Format, np.ndarray] = {}
    for fmt, plan in plans.items():
        sample = np.broadcast_to(np.asarray(_totals(plan, drawn), dtype=float), (draws,))
        samples[fmt] = sample
        p10, p50, p90 = np.percentile(sample, [10, 50, 90])
        spreads[fmt] = Spread(
            low=round(float(_totals(plan, low))),
            base=plan.total,
            high=round(float(_totals(plan, high))),
            p10=round(float(p10)),
            p50=round(float(p50)),
            p90=round(float(p90)),
        )

    feasible = [f for f, p in plans.items() if p.feasible]
    share = dict.fromkeys(plans, 0.0)
    if feasible:
        stack = np.vstack([samples[f] for f in feasible])
        winners = np.bincount(np.argmin(stack, axis=0), minlength=len(feasible))
        for f, wins in zip(feasible, winners, strict=True):
            share[f] = round(float(wins) / draws, 4)
    return Sensitivity(
        draws=draws,
        seed=seed,
        method="triangular(low, value, high) per estimated unit cost",
        varied=varied,
        spreads=MappingProxyType(spreads),
        cheapest_share=MappingProxyType(share),
    )
