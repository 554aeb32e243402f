from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from planner.text import Text


class Role(StrEnum):
    DELEGATE = "delegate"
    VILLAGE_HEAD = "village_head"
    OFFICIAL = "official"
    PRESS = "press"


class Payer(StrEnum):
    OFFICE = "office"
    COOPERATIVES = "cooperatives"
    PARTICIPANTS = "participants"
    OTHERS = "others"


class Format(StrEnum):
    OFFLINE_CENTRAL = "offline_central"
    ONLINE = "online"
    HYBRID_HUBS = "hybrid_hubs"


class PlatformKind(StrEnum):
    MEETING = "meeting"
    WEBINAR = "webinar"
    STREAM = "stream"


class HubLevel(StrEnum):
    DISTRICT = "district"
    REGENCY = "regency"


class Item(StrEnum):
    """What kind of cost a line is: a plan's totals by item add up its lines of each kind."""

    TRANSPORT = "transport"
    LODGING = "lodging"
    PER_DIEM = "per_diem"
    VENUE = "venue"
    PRODUCTION = "production"
    COMMITTEE = "committee"
    MEALS = "meals"
    LICENCE = "licence"
    STUDIO = "studio"
    HUB_KIT = "hub_kit"
    HUB_HALL = "hub_hall"
    POWER = "power"
    CEREMONY = "ceremony"
    DATA = "data"
    TAX = "tax"
    CONTINGENCY = "contingency"


class Unit(StrEnum):
    """What a line's quantity counts."""

    DAY = "day"
    EVENT = "event"
    HUB = "hub"
    PERSON = "person"
    PERSON_DAY = "person-day"
    PERSON_EVENT = "person-event"
    PERSON_HOUR = "person-hour"
    PERSON_KM = "person-km"
    PERSON_LEG = "person-leg"
    PERSON_NIGHT = "person-night"
    TENT_DAY = "tent-day"
    CHAIR_DAY = "chair-day"
    M2_DAY = "m2-day"
    KIT_EVENT = "kit-event"
    LICENCE = "licence"
    ATTENDEE = "attendee"
    HALL = "hall"
    GENERATOR_DAY = "generator-day"
    GUARD_DAY = "guard-day"
    POST_DAY = "post-day"
    RUPIAH = "rupiah"  # a rate's line: its quantity is the amount the rate applies to


class NoSignalPolicy(StrEnum):
    HUB = "hub"
    UNSERVED = "unserved"


# Any: the one empty mapping is the default of mappings of several key and value types.
_EMPTY: Mapping[Any, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AttendeeGroup:
    """``count`` people of one ``role`` coming from ``origin`` (a Kemendagri code)."""

    count: int
    origin: str
    role: Role
    label: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    date: dt.date
    hours: Decimal = Decimal(3)
    arrive_day_before: bool = False


@dataclass(frozen=True, slots=True)
class TravelOverride:
    """Replaces the computed travel for a district or a village (all fields optional)."""

    hours: Decimal | None = None
    road_km: Decimal | None = None
    boat_legs: int | None = None
    local_speed_kmh: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """Everything a comparison depends on; with the catalog it reproduces the answer."""

    groups: tuple[AttendeeGroup, ...]
    event: Event
    overrides: Mapping[str, Decimal | int | float | str] = field(default_factory=lambda: _EMPTY)
    travel_overrides: Mapping[str, TravelOverride] = field(default_factory=lambda: _EMPTY)
    payers: Mapping[Role, Payer] = field(default_factory=lambda: _EMPTY)
    no_signal: tuple[str, ...] | None = None
    no_signal_policy: NoSignalPolicy = NoSignalPolicy.HUB
    stream_fanout: bool = True
    interactive_seats: int = 100
    office_pays_data: bool = False
    hub_level: HubLevel | None = None
    platforms: tuple[str, ...] | None = None
    budget_ceiling: int | None = None
    seed: int = 0
    draws: int = 1000

    def __repr__(self) -> str:
        people = sum(g.count for g in self.groups)
        return f"PlanRequest(groups={len(self.groups)}, participants={people}, seed={self.seed})"


# --- outputs ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostLine:
    """One priced item: ``amount = round(quantity x product of the catalog keys)``."""

    item: Item
    detail: Text | str  # which one: a place, a venue's name, ...
    quantity: Decimal
    unit: Unit
    keys: tuple[str, ...]
    unit_cost: Decimal
    amount: int
    payer: Payer
    # Where its unit cost comes from: each key's source, the oldest as-of date among them, and
    # whether any of them is an estimate.
    sources: tuple[str, ...] = ()
    as_of: str = ""
    estimate: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    constraint: str
    message: Text


@dataclass(frozen=True, slots=True)
class Booking:
    kind: str
    id: str
    name: Text | str
    quantity: int
    detail: Text | str = ""
    seats: int | None = None  # people this booking must hold
    capacity: int | None = None  # its hard cap; None when there is none


@dataclass(frozen=True, slots=True)
class Milestone:
    """What must be done by when, working back from the event date."""

    due: dt.date
    what: Text
    keys: tuple[str, ...] = ()  # the catalog entries its lead time comes from


@dataclass(frozen=True, slots=True)
class Hub:
    code: str
    name: Text | str
    level: str
    attendees: int
    connections: int = 1
    site: str = ""  # the village whose office hosts it, when known


@dataclass(frozen=True, slots=True)
class Bandwidth:
    origin_uplink_mbps: float
    downlink_mbps: float
    downlink_per: str
    endpoints: int
    data_gb: float


@dataclass(frozen=True, slots=True)
class FormatPlan:
    format: Format
    participants: int
    feasible: bool
    violations: tuple[Violation, ...]
    total: int
    per_participant: int
    by_item: Mapping[Item, int]
    by_payer: Mapping[Payer, int]
    lines: tuple[CostLine, ...]
    bookings: tuple[Booking, ...]
    hubs: tuple[Hub, ...]
    unserved: int
    bandwidth: Bandwidth
    travel_hours: float
    notes: tuple[Text, ...] = ()
    # What to check before booking: a venue with known damage, a licence filled to its cap.
    warnings: tuple[Text, ...] = ()
    # The SBM per diem in `by_payer`: an entitlement paid to travellers when a government
    # budget pays, not money spent on goods and services (the rest of `by_payer`).
    per_diem_by_payer: Mapping[Payer, int] = field(default_factory=lambda: _EMPTY)
    timeline: tuple[Milestone, ...] = ()

    def __repr__(self) -> str:
        ok = "feasible" if self.feasible else "infeasible"
        return f"FormatPlan({self.format}, total={self.total}, {ok})"


@dataclass(frozen=True, slots=True)
class Recommendation:
    format: Format | None
    reason: Text
    # The recommended format's total and its sensitivity percentiles; `budget` is the figure to
    # put in the budget: the P90 when the estimates can push it up, else the total itself.
    total: int = 0
    p50: int = 0
    p90: int = 0
    budget: int = 0


@dataclass(frozen=True, slots=True)
class BreakEven:
    """Below ``attendance`` one format is cheaper, from it on the other is."""

    cheaper_below: Format
    cheaper_from: Format
    attendance: int
    cost: int


@dataclass(frozen=True, slots=True)
class CurvePoint:
    attendance: int
    totals: Mapping[Format, int]
    feasible: Mapping[Format, bool]


@dataclass(frozen=True, slots=True)
class Spread:
    low: int
    base: int
    high: int
    p10: int
    p50: int
    p90: int


@dataclass(frozen=True, slots=True)
class Sensitivity:
    draws: int
    seed: int
    method: str
    varied: tuple[str, ...]
    spreads: Mapping[Format, Spread]
    cheapest_share: Mapping[Format, float]


@dataclass(frozen=True, slots=True)
class Comparison:
    request: PlanRequest
    catalog_version: str
    catalog_digest: str
    access_version: str
    participants: int
    plans: Mapping[Format, FormatPlan]
    recommendation: Recommendation
    break_evens: tuple[BreakEven, ...]
    curve: tuple[CurvePoint, ...]
    sensitivity: Sensitivity

    def __repr__(self) -> str:
        return (
            f"Comparison(participants={self.participants}, "
            f"recommended={self.recommendation.format}, catalog={self.catalog_version!r})"
        )
