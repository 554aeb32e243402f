"""API schemas for the launch planner. Kept apart from planner's dataclasses on purpose:
app/services/planning.py maps between them explicitly."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from app.models.common import INPUT_CONFIG, StrictDate, Text
from app.models.region import REGION_CODE_PATTERN
from planner import (
    MAX_BUDGET,
    MAX_DRAWS,
    MAX_PARTICIPANTS,
    MAX_SEED,
    MIN_EVENT_HOURS,
    TRAVEL_BOUNDS,
    Format,
    HubLevel,
    Item,
    NoSignalPolicy,
    Payer,
    Role,
    Unit,
)

# Every count is bounded as the planner bounds it (planner/demand.py), so that no total
# overflows and a bad figure is a 422 that names its field.
Count = Annotated[StrictInt, Field(ge=0, le=MAX_PARTICIPANTS)]


def _a_number(value: object) -> object:
    # A Decimal would take "3" too, which the document, saying "number", does not allow.
    if isinstance(value, str):
        raise ValueError("give the hours as a number, such as 3 or 2.5")
    return value


EventHours = Annotated[
    Decimal,
    BeforeValidator(_a_number),
    Field(ge=MIN_EVENT_HOURS, le=24),
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": float(MIN_EVENT_HOURS), "maximum": 24}),
]
"""The event's length in hours: a JSON number, from half an hour to a day, in and out."""


def _travel(name: str) -> Any:
    least, most = TRAVEL_BOUNDS[name]
    return Field(ge=least, le=most)


RegionCode = Annotated[StrictStr, Field(pattern=REGION_CODE_PATTERN, examples=["64.02.12"])]


class AttendeeGroupIn(BaseModel):
    model_config = INPUT_CONFIG

    count: Count
    origin: RegionCode
    role: Role
    label: Annotated[Text, Field(max_length=200)] = ""


class EventIn(BaseModel):
    model_config = INPUT_CONFIG

    date: StrictDate
    hours: EventHours = Field(default=Decimal(3), json_schema_extra={"default": 3})
    arrive_day_before: StrictBool = False


class TravelOverrideIn(BaseModel):
    model_config = INPUT_CONFIG

    hours: Annotated[Decimal, _travel("hours")] | None = None
    road_km: Annotated[Decimal, _travel("road_km")] | None = None
    boat_legs: Annotated[StrictInt, _travel("boat_legs")] | None = None
    local_speed_kmh: Annotated[Decimal, _travel("local_speed_kmh")] | None = None


class LaunchComparisonIn(BaseModel):
    """A preset, explicit groups, or both (the groups are added to the preset)."""

    model_config = INPUT_CONFIG

    preset: Literal["kukar", "national"] | None = None
    participants: Annotated[StrictInt, Field(ge=1, le=MAX_PARTICIPANTS)] | None = None
    delegates_per_cooperative: Count | None = None
    groups: Annotated[list[AttendeeGroupIn], Field(max_length=10_000)] = []
    event: EventIn
    overrides: dict[str, Decimal] = Field(
        default_factory=dict,
        max_length=500,
        description="Catalog entry key -> value, e.g. perdiem.luar_kota.",
    )
    # Keyed by origin region, like the groups.
    travel_overrides: dict[str, TravelOverrideIn] = Field(default_factory=dict, max_length=10_000)
    payers: dict[Role, Payer] = Field(default_factory=dict, max_length=len(Role))
    no_signal: Annotated[list[RegionCode], Field(max_length=10_000)] | None = None
    no_signal_policy: NoSignalPolicy = NoSignalPolicy.HUB
    stream_fanout: StrictBool = True
    interactive_seats: Count = 100
    office_pays_data: StrictBool = False
    hub_level: HubLevel | None = None
    platforms: Annotated[list[Text], Field(max_length=50)] | None = None
    budget_ceiling: Annotated[StrictInt, Field(ge=0, le=MAX_BUDGET)] | None = None
    seed: Annotated[StrictInt, Field(ge=0, le=MAX_SEED)] = 0
    draws: Annotated[StrictInt, Field(ge=1, le=MAX_DRAWS)] = 1000

    @model_validator(mode="after")
    def _needs_attendance(self) -> Self:
        if self.preset is None and not self.groups:
            raise ValueError("give a preset, groups, or both")
        return self


class CostLineOut(BaseModel):
    item: Item
    detail: str
    quantity: str
    unit: Unit
    keys: list[str]
    unit_cost: str
    amount: int
    payer: Payer
    sources: list[str] = Field(description="Where each of its unit costs comes from.")
    as_of: str = Field(description="The oldest as-of date among its unit costs.")
    estimate: bool = Field(description="Whether any of its unit costs is an estimate.")


class ViolationOut(BaseModel):
    constraint: str
    message: str


class BookingOut(BaseModel):
    kind: str
    id: str
    name: str
    quantity: int
    detail: str
    seats: int | None
    capacity: int | None


class HubOut(BaseModel):
    code: str
    name: str
    level: str
    attendees: int
    connections: int
    site: str = Field(description="The village whose office hosts it, when known.")


class BandwidthOut(BaseModel):
    origin_uplink_mbps: float
    downlink_mbps: float
    downlink_per: str
    endpoints: int
    data_gb: float


class MilestoneOut(BaseModel):
    due: dt.date = Field(description="The latest day to have it done.")
    what: str
    keys: list[str] = Field(description="The catalog entries its lead time comes from.")


class FormatPlanOut(BaseModel):
    format: Format
    participants: int
    feasible: bool
    violations: list[ViolationOut]
    total: int
    per_participant: int
    by_item: dict[Item, int]
    by_payer: dict[Payer, int]
    lines: list[CostLineOut]
    bookings: list[BookingOut]
    hubs: list[HubOut]
    unserved: int
    bandwidth: BandwidthOut
    travel_hours: float
    notes: list[str]
    warnings: list[str] = Field(
        description="What to check before booking: a venue with known damage, a licence "
        "filled to its cap, with its fallback."
    )
    timeline: list[MilestoneOut] = Field(
        description="What to book and when, working back from the event date, earliest first."
    )
    per_diem_by_payer: dict[Payer, int] = Field(
        description="The SBM per diem within `by_payer`: an entitlement paid to travellers "
        "when a government budget pays, not money spent on goods and services."
    )


class RecommendationOut(BaseModel):
    format: Format | None
    reason: str
    total: int = Field(description="The recommended format's total (0 when none is feasible).")
    p50: int
    p90: int
    budget: int = Field(
        description="The figure to budget for: the P90 when the estimates can push the total "
        "up, else the total."
    )


class BreakEvenOut(BaseModel):
    cheaper_below: Format
    cheaper_from: Format
    attendance: int
    cost: int


class CurvePointOut(BaseModel):
    attendance: int
    totals: dict[Format, int]
    feasible: dict[Format, bool]


class SpreadOut(BaseModel):
    low: int
    base: int
    high: int
    p10: int
    p50: int
    p90: int


class SensitivityOut(BaseModel):
    draws: int
    seed: int
    method: str
    varied: list[str]
    spreads: dict[Format, SpreadOut]
    cheapest_share: dict[Format, float]


class LaunchComparisonOut(BaseModel):
    """All amounts are whole rupiah."""

    inputs: LaunchComparisonIn
    catalog_version: str
    catalog_digest: str
    access_version: str
    participants: int
    plans: dict[Format, FormatPlanOut]
    recommendation: RecommendationOut
    break_evens: list[BreakEvenOut]
    curve: list[CurvePointOut]
    sensitivity: SensitivityOut


class CatalogEntryOut(BaseModel):
    key: str
    value: str
    unit: str
    source: str
    as_of: str
    estimate: bool
    minimum: str = Field(description="The least value the planner accepts for it.")
    maximum: str = Field(description="The largest value the planner accepts for it.")
    low: str | None
    high: str | None


class CatalogOut(BaseModel):
    version: str
    digest: str
    entries: list[CatalogEntryOut]
    venues: list[dict[str, str | bool]]
    platforms: list[dict[str, str]]
    roles: list[dict[str, str | bool]]
