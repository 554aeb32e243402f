"""API schemas for the launch planner. Kept apart from planner's dataclasses on purpose:
app/services/planning.py maps between them explicitly."""

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from app.models.common import INPUT_CONFIG, StrictDate, Text
from planner import Format, HubLevel, NoSignalPolicy, Payer, Role

NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]
RegionCode = Annotated[Text, Field(min_length=2, max_length=13, examples=["64.02.12"])]


class AttendeeGroupIn(BaseModel):
    model_config = INPUT_CONFIG

    count: NonNegativeInt
    origin: RegionCode
    role: Role
    label: Annotated[Text, Field(max_length=200)] = ""


class EventIn(BaseModel):
    model_config = INPUT_CONFIG

    date: StrictDate
    hours: Annotated[Decimal, Field(gt=0, le=24)] = Decimal(3)
    arrive_day_before: StrictBool = False


class TravelOverrideIn(BaseModel):
    model_config = INPUT_CONFIG

    hours: NonNegativeDecimal | None = None
    road_km: NonNegativeDecimal | None = None
    boat_legs: NonNegativeInt | None = None
    local_speed_kmh: Annotated[Decimal, Field(gt=0)] | None = None


class LaunchComparisonIn(BaseModel):
    """A preset, explicit groups, or both (the groups are added to the preset)."""

    model_config = INPUT_CONFIG

    preset: Literal["kukar", "national"] | None = None
    participants: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    delegates_per_cooperative: NonNegativeInt | None = None
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
    interactive_seats: NonNegativeInt = 100
    office_pays_data: StrictBool = False
    hub_level: HubLevel | None = None
    platforms: Annotated[list[Text], Field(max_length=50)] | None = None
    budget_ceiling: NonNegativeInt | None = None
    seed: NonNegativeInt = 0
    draws: Annotated[StrictInt, Field(ge=1, le=200_000)] = 1000

    @model_validator(mode="after")
    def _needs_attendance(self) -> Self:
        if self.preset is None and not self.groups:
            raise ValueError("give a preset, groups, or both")
        return self


class CostLineOut(BaseModel):
    item: str
    detail: str
    quantity: str
    unit: str
    keys: list[str]
    unit_cost: str
    amount: int
    payer: Payer


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


class BandwidthOut(BaseModel):
    origin_uplink_mbps: float
    downlink_mbps: float
    downlink_per: str
    endpoints: int
    data_gb: float


class FormatPlanOut(BaseModel):
    format: Format
    participants: int
    feasible: bool
    violations: list[ViolationOut]
    total: int
    per_participant: int
    by_item: dict[str, int]
    by_payer: dict[Payer, int]
    lines: list[CostLineOut]
    bookings: list[BookingOut]
    hubs: list[HubOut]
    unserved: int
    bandwidth: BandwidthOut
    travel_hours: float
    notes: list[str]


class RecommendationOut(BaseModel):
    format: Format | None
    reason: str


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
    low: str | None
    high: str | None


class CatalogOut(BaseModel):
    version: str
    digest: str
    entries: list[CatalogEntryOut]
    venues: list[dict[str, str | bool]]
    platforms: list[dict[str, str]]
    roles: list[dict[str, str | bool]]
