"""Accumulate priced quantities and turn them into cost lines and a format plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from planner.catalog import Catalog
from planner.demand import Cohort
from planner.model import (
    Bandwidth,
    Booking,
    CostLine,
    Format,
    FormatPlan,
    Hub,
    HubLevel,
    Item,
    Payer,
    PlanRequest,
    Role,
    Unit,
    Violation,
)
from planner.money import format_idr, rupiah
from planner.platforms import Offer
from planner.text import Text


# LineKey, PersonCost and Cohort are internal and built thousands of times per
# comparison, so they are NamedTuples: immutable like the public dataclasses, cheaper to make.
class LineKey(NamedTuple):
    item: Item
    detail: Text | str
    payer: Payer
    unit: Unit
    keys: tuple[str, ...]


class PersonCost(NamedTuple):
    """What one person of a cohort adds; linear in the cohort's count."""

    lines: tuple[tuple[LineKey, Decimal], ...]
    hours_one_way: float
    group: str | None  # hub or other shared resource this person needs


@dataclass(slots=True)
class Shared:
    """Costs and facts that depend on the total or on per-group counts, not per person."""

    lines: list[tuple[LineKey, Decimal]] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    hubs: list[Hub] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    warnings: list[Text] = field(default_factory=list)
    unserved: int = 0
    bandwidth: Bandwidth = Bandwidth(0.0, 0.0, "none", 0, 0.0)

    def add(self, key: LineKey, quantity: Decimal | int) -> None:
        if quantity:
            self.lines.append((key, Decimal(quantity)))


@dataclass(frozen=True, slots=True)
class Context:
    """The request and catalog, with the rule values read once."""

    request: PlanRequest
    catalog: Catalog
    hub_level: HubLevel
    # With district hubs, the regency whose launch it is: most of the attendees come from it,
    # and guests from elsewhere watch at its seat.
    home_regency: str | None
    event_hours: float
    konsumsi: bool
    # Float copies of the catalog values, for rules and hours (never for money).
    f: Mapping[str, float]
    payers: Mapping[Role, Payer]
    offers: tuple[Offer, ...]  # the allowed platforms, priced once

    def unit_cost(self, keys: tuple[str, ...]) -> Decimal:
        cost = Decimal(1)
        for k in keys:
            cost *= self.catalog.value(k)
        return cost

    def payer_for(self, cohort: Cohort) -> Payer:
        return self.payers[cohort.role]

    def provenance(self, keys: tuple[str, ...]) -> tuple[tuple[str, ...], str, bool]:
        """Where a unit cost made of `keys` comes from: their sources, the oldest of their
        as-of dates, and whether any of them is an estimate."""
        entries = [self.catalog.entries[k] for k in keys]
        sources = tuple(dict.fromkeys(e.source for e in entries))
        as_of = min((e.as_of for e in entries if e.as_of), default="")
        return sources, as_of, any(e.estimate for e in entries)


# Rentals, production, licences and the studio are bought from vendors, with VAT; a
# regency-owned venue or a village hall charges a retribusi, meals a regional tax inside the SBM
# rate, and people's travel is no purchase.
VAT_ITEMS = frozenset({Item.PRODUCTION, Item.LICENCE, Item.STUDIO, Item.HUB_KIT, Item.POWER})
VAT = "tax.vat_rate"
CONTINGENCY = "budget.contingency_rate"


def add_vat(ctx: Context, shared: Shared) -> Shared:
    """A VAT line beside each line bought from a vendor: the same quantity and unit costs
    times the rate, so that it follows them in the sensitivity run and along the cost curve."""
    if ctx.f[VAT]:
        shared.lines.extend(
            (
                LineKey(
                    Item.TAX,
                    Text("VAT on {detail}", detail=key.detail),
                    key.payer,
                    key.unit,
                    (*key.keys, VAT),
                ),
                q,
            )
            for key, q in list(shared.lines)
            if key.item in VAT_ITEMS and ctx.unit_cost(key.keys)
        )
    return shared


def contingency(ctx: Context, office_subtotal: Decimal | int) -> int:
    """The contingency on the office's share of a plan."""
    return rupiah(Decimal(office_subtotal) * ctx.catalog.value(CONTINGENCY))


def ceil_div(a: int, b: int) -> int:
    return -(-a // b) if b > 0 else 0


def build_plan(
    fmt: Format,
    ctx: Context,
    cohorts: Iterable[Cohort],
    people: Iterable[PersonCost],
    shared: Shared,
) -> FormatPlan:
    quantities: dict[LineKey, Decimal] = {}
    participants = 0
    travel_hours = 0.0
    for c, pc in zip(cohorts, people, strict=True):
        participants += c.count
        travel_hours += 2 * pc.hours_one_way * c.count
        for key, q in pc.lines:
            quantities[key] = quantities.get(key, Decimal(0)) + q * c.count
    for key, q in shared.lines:
        quantities[key] = quantities.get(key, Decimal(0)) + q

    office = sum(
        rupiah_of(ctx, key.keys, q) for key, q in quantities.items() if key.payer is Payer.OFFICE
    )
    if office and contingency(ctx, office):
        reserve = LineKey(
            Item.CONTINGENCY,
            Text("contingency on the office's costs"),
            Payer.OFFICE,
            Unit.RUPIAH,
            (CONTINGENCY,),
        )
        quantities[reserve] = Decimal(office)

    lines = []
    for key, q in quantities.items():
        unit_cost = ctx.unit_cost(key.keys)
        sources, as_of, estimate = ctx.provenance(key.keys)
        # The one place where a quantity meets a price: round once, half up.
        lines.append(
            CostLine(
                item=key.item,
                detail=key.detail,
                quantity=q,
                unit=key.unit,
                keys=key.keys,
                unit_cost=unit_cost,
                amount=rupiah(q * unit_cost),
                payer=key.payer,
                sources=sources,
                as_of=as_of,
                estimate=estimate,
            )
        )
    by_item: dict[Item, int] = {}
    per_diem: dict[Payer, int] = {}
    by_payer: dict[Payer, int] = {}
    for line in lines:
        by_item[line.item] = by_item.get(line.item, 0) + line.amount
        by_payer[line.payer] = by_payer.get(line.payer, 0) + line.amount
        if line.item is Item.PER_DIEM:
            per_diem[line.payer] = per_diem.get(line.payer, 0) + line.amount
    total = sum(by_item.values())

    violations = list(shared.violations)
    ceiling = ctx.request.budget_ceiling
    office = by_payer.get(Payer.OFFICE, 0)
    if ceiling is not None and office > ceiling:
        violations.append(
            Violation(
                "budget_ceiling",
                Text(
                    "the office's share {office} is above the ceiling {ceiling}",
                    office=format_idr(office),
                    ceiling=format_idr(ceiling),
                ),
            )
        )
    return FormatPlan(
        format=fmt,
        participants=participants,
        feasible=not violations,
        violations=tuple(violations),
        total=total,
        per_participant=rupiah(Decimal(total) / participants) if participants else 0,
        by_item=MappingProxyType(by_item),
        by_payer=MappingProxyType({p: by_payer[p] for p in Payer if p in by_payer}),
        lines=tuple(lines),
        bookings=tuple(shared.bookings),
        hubs=tuple(shared.hubs),
        unserved=shared.unserved,
        bandwidth=shared.bandwidth,
        travel_hours=round(travel_hours, 1),
        notes=tuple(shared.notes),
        warnings=tuple(shared.warnings),
        per_diem_by_payer=MappingProxyType({p: per_diem[p] for p in Payer if p in per_diem}),
    )


def rupiah_of(ctx: Context, keys: tuple[str, ...], quantity: Decimal) -> int:
    return rupiah(quantity * ctx.unit_cost(keys))


def konsumsi_lines(ctx: Context, shared: Shared, people: int, where: Text) -> None:
    """Meal and snack for an in-person gathering of at least the SBM minimum hours."""
    if ctx.konsumsi and people:
        for key, detail in (
            ("meal.lunch", Text("meal, {where}", where=where)),
            ("meal.snack", Text("snack, {where}", where=where)),
        ):
            shared.add(LineKey(Item.MEALS, detail, Payer.OFFICE, Unit.PERSON, (key,)), people)


def gb(ctx: Context, per_hour_key: str, endpoints: int) -> float:
    return float(ctx.catalog.value(per_hour_key)) * ctx.event_hours * endpoints
