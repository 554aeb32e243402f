"""Run the three format models over prepared cohorts, exactly or along a cost curve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

import numpy as np

from planner import hubs, offline, online, timeline
from planner.catalog import Catalog
from planner.demand import Cohort, build_cohorts, validate
from planner.ledger import (
    Context,
    PersonCost,
    Shared,
    add_vat,
    build_plan,
    contingency,
    rupiah_of,
)
from planner.model import Format, FormatPlan, HubLevel, Payer, PlanRequest, Role
from planner.platforms import offers
from planner.regions import ancestor


class FormatModel(Protocol):
    def person(self, c: Cohort, ctx: Context) -> PersonCost: ...
    def shared(self, ctx: Context, total: int, groups: Mapping[str, int]) -> Shared: ...


# Each format is a module with two functions; modules satisfy the protocol (PEP 544).
MODELS: Mapping[Format, FormatModel] = MappingProxyType(
    {
        Format.OFFLINE_CENTRAL: offline,
        Format.ONLINE: online,
        Format.HYBRID_HUBS: hubs,
    }
)


@dataclass(frozen=True, slots=True)
class Prepared:
    ctx: Context
    cohorts: tuple[Cohort, ...]
    people: Mapping[Format, tuple[PersonCost, ...]]

    @property
    def participants(self) -> int:
        return sum(c.count for c in self.cohorts)


def _hub_level(cohorts: tuple[Cohort, ...], asked: HubLevel | None) -> tuple[HubLevel, str | None]:
    """The hub level (as asked, else district hubs when more than half of the attendees come
    from one regency, as at a regency's own launch) and, for district hubs, that regency.
    Guests from elsewhere never decide where the regency's own people watch."""
    by_regency: dict[str, int] = {}
    for c in cohorts:
        if c.rank >= 1:
            regency = ancestor(c.origin, "regency")
            by_regency[regency] = by_regency.get(regency, 0) + c.count
    home = max(sorted(by_regency), key=by_regency.__getitem__, default=None)
    total = sum(c.count for c in cohorts)
    if asked is None:
        mostly_home = home is not None and 2 * by_regency[home] > total
        asked = HubLevel.DISTRICT if mostly_home else HubLevel.REGENCY
    return asked, home if asked is HubLevel.DISTRICT else None


def prepare(request: PlanRequest, catalog: Catalog) -> Prepared:
    validate(request, catalog)
    catalog = catalog.with_overrides(request.overrides)
    cohorts = build_cohorts(request, catalog)
    hours = request.event.hours
    hub_level, home_regency = _hub_level(cohorts, request.hub_level)
    ctx = Context(
        request=request,
        catalog=catalog,
        hub_level=hub_level,
        home_regency=home_regency,
        event_hours=float(hours),
        konsumsi=hours >= catalog.value("rules.konsumsi_min_hours"),
        f=MappingProxyType({k: float(e.value) for k, e in catalog.entries.items()}),
        payers=MappingProxyType({r: request.payers.get(r, catalog.roles[r].payer) for r in Role}),
        offers=offers(catalog, request.platforms),
    )
    people = {fmt: tuple(m.person(c, ctx) for c in cohorts) for fmt, m in MODELS.items()}
    return Prepared(ctx, cohorts, MappingProxyType(people))


def _shared(fmt: Format, ctx: Context, total: int, groups: Mapping[str, int]) -> Shared:
    """A format's shared costs with their VAT: the same for the plan and along the curve."""
    return add_vat(ctx, MODELS[fmt].shared(ctx, total, groups))


def plan(prep: Prepared, fmt: Format) -> FormatPlan:
    people = prep.people[fmt]
    groups: dict[str, int] = {}
    for c, pc in zip(prep.cohorts, people, strict=True):
        if pc.group is not None:
            groups[pc.group] = groups.get(pc.group, 0) + c.count
    shared = _shared(fmt, prep.ctx, prep.participants, groups)
    shared.warnings.extend(timeline.cost_standard_warnings(prep.ctx))
    built = build_plan(fmt, prep.ctx, prep.cohorts, people, shared)
    return replace(built, timeline=timeline.milestones(prep.ctx, fmt, built.bookings))


def largest_remainder(counts: np.ndarray, target: int) -> np.ndarray:
    """Scale integer counts to sum to ``target``, keeping proportions; deterministic ties."""
    total = int(counts.sum())
    scaled = counts * target // total
    rest = target - int(scaled.sum())
    if rest:
        remainder = counts * target % total
        # Largest remainder first, then lowest index: a stable, seed-free tie break.
        order = np.lexsort((np.arange(len(counts)), -remainder))
        scaled[order[:rest]] += 1
    return scaled


class Evaluator:
    """Totals at other attendances with the same mix: linear per-person costs plus shared ones.

    Per-person costs are summed in float here, so a curve total can differ from the
    exact plan (which rounds each line once) by a few rupiah.
    """

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.counts = np.array([c.count for c in prep.cohorts], dtype=np.int64)
        self.per_person: dict[Format, np.ndarray] = {}
        self.office_per_person: dict[Format, np.ndarray] = {}
        self.group_names: dict[Format, list[str]] = {}
        self.group_index: dict[Format, np.ndarray] = {}
        unit: dict[tuple[str, ...], float] = {}
        for fmt, people in prep.people.items():
            pp = np.zeros(len(people))
            office = np.zeros(len(people))
            names: dict[str, int] = {}
            idx = np.full(len(people), -1, dtype=np.int64)
            for i, pc in enumerate(people):
                cost = office_cost = 0.0
                for key, q in pc.lines:
                    if key.keys not in unit:
                        unit[key.keys] = float(prep.ctx.unit_cost(key.keys))
                    cost += float(q) * unit[key.keys]
                    if key.payer is Payer.OFFICE:
                        office_cost += float(q) * unit[key.keys]
                pp[i] = cost
                office[i] = office_cost
                if pc.group is not None:
                    idx[i] = names.setdefault(pc.group, len(names))
            self.per_person[fmt] = pp
            self.office_per_person[fmt] = office
            self.group_names[fmt] = list(names)
            self.group_index[fmt] = idx
        self._cache: dict[int, dict[Format, tuple[int, bool]]] = {}

    def at(self, attendance: int) -> dict[Format, tuple[int, bool]]:
        if attendance in self._cache:
            return self._cache[attendance]
        counts = largest_remainder(self.counts, attendance)
        out: dict[Format, tuple[int, bool]] = {}
        for fmt in MODELS:
            idx = self.group_index[fmt]
            groups: dict[str, int] = {}
            mask = idx >= 0
            if mask.any():
                sums = np.bincount(
                    idx[mask], weights=counts[mask], minlength=len(self.group_names[fmt])
                )
                groups = {n: int(s) for n, s in zip(self.group_names[fmt], sums, strict=True)}
            ctx = self.prep.ctx
            shared = _shared(fmt, ctx, attendance, groups)
            linear = float(counts @ self.per_person[fmt])
            office = float(counts @ self.office_per_person[fmt])
            amounts = [(k.payer, rupiah_of(ctx, k.keys, q)) for k, q in shared.lines]
            office += sum(amount for payer, amount in amounts if payer is Payer.OFFICE)
            total = (
                int(Decimal(linear).quantize(Decimal(1)))
                + sum(amount for _, amount in amounts)
                + contingency(ctx, round(office))
            )
            out[fmt] = (total, not shared.violations)
        self._cache[attendance] = out
        return out
