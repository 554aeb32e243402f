"""Launch day: a chosen plan run as an event, with its hubs, their readiness, the delegates
registered to them, and who checked in on the day.

None of these tables is synced (app/models/sync.py): a check-in must not wait for the one
global sync clock, which would serialise every hub's phone behind every other write.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictInt, WithJsonSchema
from pydantic import Field as PydanticField
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from app.models.common import (
    INPUT_CONFIG,
    WHITE_SPACE,
    Flag,
    LongText,
    Name,
    Number,
    Omittable,
    Phone,
    Text,
    UTCDateTime,
    UtcDatetime,
    utcnow,
)
from app.models.region import VILLAGE_CODE_PATTERN, RegionCode
from planner import Format, Payer

# Check-in codes: eight characters of Crockford's base 32 (no I, L, O or U), which a person can
# read out and type on a phone without confusing 0 with O or 1 with I.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
CODE_PATTERN = f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"
# A hub's phone sends its queue in batches of at most this many check-ins (docs/api.md).
CHECK_IN_BATCH = 1000
# Seats of one hub: a stadium is the largest room a launch has.
MOST_SEATS = 100_000

Seats = Annotated[StrictInt, PydanticField(ge=1, le=MOST_SEATS)]
Mbps = Annotated[Number, PydanticField(ge=0, le=100_000, description="Megabits per second.")]
CheckInCode = Annotated[
    str,
    PydanticField(
        pattern=CODE_PATTERN,
        description="The registration's check-in code, as printed or in its QR code.",
        examples=["7K3M9QXA"],
    ),
]
VillageCode = Annotated[
    str, PydanticField(pattern=VILLAGE_CODE_PATTERN, examples=["64.02.12.2001"])
]
# Spelled out, not `\s`: a JSON Schema pattern and Python read `\s` differently (U+0085).
_URL_PATTERN = f"^https://[^{WHITE_SPACE}]+$"
Url = Annotated[
    Text,
    PydanticField(
        min_length=8,
        max_length=500,
        pattern=_URL_PATTERN,
        # Text's own validator hides a pattern from the schema; stated here, as common's do.
        json_schema_extra={"pattern": _URL_PATTERN},
        examples=["https://zoom.us/j/1"],
    ),
]


class HubStatus(StrEnum):
    ready = "ready"
    at_risk = "at_risk"
    not_ready = "not_ready"


class Readiness(StrEnum):
    """Why a hub is not (quite) ready; `not_ready` for the first seven, `at_risk` for the rest."""

    no_coordinator = "no_coordinator"
    venue_unconfirmed = "venue_unconfirmed"
    no_screen = "no_screen"
    no_sound = "no_sound"
    no_power = "no_power"
    internet_untested = "internet_untested"
    internet_too_slow = "internet_too_slow"
    internet_thin_margin = "internet_thin_margin"
    no_rehearsal = "no_rehearsal"


class DelegateRole(StrEnum):
    ketua = "ketua"
    pengurus = "pengurus"
    pengawas = "pengawas"
    anggota = "anggota"
    manajer = "manajer"
    pendamping = "pendamping"


class CheckInMethod(StrEnum):
    qr = "qr"
    code = "code"
    list = "list"


class CheckInOutcome(StrEnum):
    checked_in = "checked_in"  # counted now
    already = "already"  # counted before (a retry or a second scan): not again
    unknown = "unknown"  # no registration of this launch has the code


# --- tables -----------------------------------------------------------------------------------


class Launch(SQLModel, table=True):
    __tablename__ = "launch"
    __table_args__ = (
        Index("ix_launch_region", "region", "id"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The office whose launch it is ("" the country's): it alone may change the launch.
    region: str = Field(sa_type=String(13))
    name: str = Field(sa_type=String(200))
    plan_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("launch_plan.id", ondelete="SET NULL"), nullable=True),
    )
    format: str = Field(sa_type=String(30))
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    planned: int
    meeting_url: str | None = Field(default=None, sa_type=String(500))
    stream_url: str | None = Field(default=None, sa_type=String(500))
    # What each hub's internet must carry, from the plan (download) and the office (upload).
    hub_down_mbps: float = Field(sa_type=Float)
    hub_up_mbps: float | None = Field(default=None, sa_type=Float)
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LaunchHub(SQLModel, table=True):
    __tablename__ = "launch_hub"
    __table_args__ = (
        Index("ix_launch_hub_launch_region", "launch_id", "region_code"),
        Index("ix_launch_hub_coordinator", "coordinator_id"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch.id", ondelete="CASCADE"), nullable=False)
    )
    # The region it serves: the villages inside this code go to this hub.
    region_code: str = Field(sa_type=String(13), foreign_key="region.code")
    name: str = Field(sa_type=String(200))
    # Where it is: the village whose hall holds it, and the address.
    place_code: str | None = Field(default=None, sa_type=String(13), foreign_key="region.code")
    address: str | None = Field(default=None, sa_type=String(500))
    capacity: int
    planned: int
    # Halls it takes (each one connection to the meeting): the internet it needs grows with them.
    connections: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    coordinator_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
        ),
    )
    # The readiness checklist; a generator is needed where the village has no 24-hour power.
    generator_needed: bool = Field(default=False, sa_type=Boolean)
    venue_confirmed: bool = Field(default=False, sa_type=Boolean)
    screen_ready: bool = Field(default=False, sa_type=Boolean)
    sound_ready: bool = Field(default=False, sa_type=Boolean)
    power_ready: bool = Field(default=False, sa_type=Boolean)
    down_mbps: float | None = Field(default=None, sa_type=Float)
    up_mbps: float | None = Field(default=None, sa_type=Float)
    internet_tested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rehearsal_done: bool = Field(default=False, sa_type=Boolean)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LaunchRegistration(SQLModel, table=True):
    __tablename__ = "launch_registration"
    __table_args__ = (
        Index("uq_launch_registration_code", "launch_id", "code", unique=True),
        Index("ix_launch_registration_hub", "hub_id", "id"),
        Index("ix_launch_registration_cooperative", "cooperative_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch.id", ondelete="CASCADE"), nullable=False)
    )
    hub_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch_hub.id", ondelete="CASCADE"), nullable=False)
    )
    cooperative_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cooperative.id", ondelete="CASCADE"), nullable=False)
    )
    # The cooperative's village, kept so that a region's registrations are found without a join.
    village_code: str = Field(sa_type=String(13))
    # Only what the launch needs (UU 27/2022, data minimisation): no NIK.
    name: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(20))
    phone: str | None = Field(default=None, sa_type=String(20))
    code: str = Field(sa_type=String(CODE_LENGTH))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LaunchCheckIn(SQLModel, table=True):
    """A registered delegate's arrival: one per registration, so a retry cannot count twice."""

    __tablename__ = "launch_check_in"
    __table_args__ = (Index("ix_launch_check_in_hub", "launch_id", "hub_id"),)

    registration_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("launch_registration.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    launch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch.id", ondelete="CASCADE"), nullable=False)
    )
    # Where the delegate arrived; `other_hub` when it is not the hub they registered to.
    hub_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch_hub.id", ondelete="CASCADE"), nullable=False)
    )
    other_hub: bool = Field(sa_type=Boolean)
    method: str = Field(sa_type=String(10))
    # When the phone saw them, which may be long before it could send it.
    scanned_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_by: str = Field(sa_type=String(100))


class LaunchWalkIn(SQLModel, table=True):
    """People who came unregistered, counted by head. The phone names each count with an id of
    its own, so that sending it again does not add it again."""

    __tablename__ = "launch_walk_in"
    __table_args__ = (
        Index("ix_launch_walk_in_hub", "launch_id", "hub_id"),
        CheckConstraint("people >= 1", name="people_positive"),
    )

    id: str = Field(primary_key=True, sa_type=String(36))
    launch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch.id", ondelete="CASCADE"), nullable=False)
    )
    hub_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch_hub.id", ondelete="CASCADE"), nullable=False)
    )
    people: int
    scanned_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_by: str = Field(sa_type=String(100))


class LaunchCost(SQLModel, table=True):
    """What one line of the launch's plan actually cost, as the office entered it."""

    __tablename__ = "launch_cost"
    __table_args__ = (
        UniqueConstraint("launch_id", "line"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("launch.id", ondelete="CASCADE"), nullable=False)
    )
    # The line's place in the plan's lines of the launch's format: a saved plan never changes.
    line: int
    # In thousandths of the line's unit: exact on both databases (SQLite has no decimal type).
    quantity_thousandths: int = Field(sa_type=BigInteger)
    amount: int = Field(sa_type=BigInteger)
    payer: str = Field(sa_type=String(20))
    note: str | None = Field(default=None, sa_type=String(4000))
    entered_by: str = Field(sa_type=String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- the launch -------------------------------------------------------------------------------


class LaunchCreate(BaseModel):
    model_config = INPUT_CONFIG

    plan_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] = PydanticField(
        description="The saved plan to run (`/api/v1/launch-plans`)."
    )
    format: Format | None = PydanticField(
        default=None,
        description="Which of the plan's formats to run; its recommendation when omitted.",
    )
    name: Name
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    meeting_url: Url | None = None
    stream_url: Url | None = None
    hub_up_mbps: Mbps | None = PydanticField(
        default=None,
        description="The upload each hub's internet must carry; the plan states only the "
        "download. Without it, a hub's upload is recorded but not judged.",
    )


class LaunchUpdate(BaseModel):
    model_config = INPUT_CONFIG

    name: Omittable[Name] = None
    starts_at: Omittable[UtcDatetime] = None
    ends_at: Omittable[UtcDatetime] = None
    meeting_url: Url | None = None
    stream_url: Url | None = None
    hub_down_mbps: Omittable[Mbps] = None
    hub_up_mbps: Mbps | None = None


class LaunchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    region: str
    name: str
    plan_id: int | None
    format: Format
    starts_at: datetime
    ends_at: datetime
    planned: int = PydanticField(description="Participants the plan was made for.")
    meeting_url: str | None = PydanticField(
        description="Shown only to the office that runs the launch and its hubs' coordinators."
    )
    stream_url: str | None = PydanticField(
        description="Shown only to the office that runs the launch and its hubs' coordinators."
    )
    hub_down_mbps: float
    hub_up_mbps: float | None
    hubs: int = PydanticField(description="Hubs of the launch within your reach.")
    created_by: str
    created_at: datetime
    updated_at: datetime


# --- hubs -------------------------------------------------------------------------------------


class HubCreate(BaseModel):
    model_config = INPUT_CONFIG

    region_code: RegionCode = PydanticField(description="The region whose villages it serves.")
    name: Name
    place_code: VillageCode | None = PydanticField(
        default=None, description="The village whose hall holds it."
    )
    address: LongText | None = None
    capacity: Seats
    planned: Annotated[StrictInt, PydanticField(ge=0, le=MOST_SEATS)] = 0
    connections: Annotated[StrictInt, PydanticField(ge=1, le=1000)] = 1
    coordinator_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] | None = None


class HubUpdate(BaseModel):
    model_config = INPUT_CONFIG

    name: Omittable[Name] = None
    place_code: VillageCode | None = None
    address: LongText | None = None
    capacity: Omittable[Seats] = None
    coordinator_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] | None = None


class ReadinessUpdate(BaseModel):
    """The checklist, as the coordinator (or the office) ticks it."""

    model_config = INPUT_CONFIG

    venue_confirmed: Omittable[Flag] = None
    screen_ready: Omittable[Flag] = None
    sound_ready: Omittable[Flag] = None
    power_ready: Omittable[Flag] = PydanticField(
        default=None, description="Mains power, or the generator where one is needed."
    )
    rehearsal_done: Omittable[Flag] = None
    down_mbps: Omittable[Mbps] = PydanticField(
        default=None, description="A measured download; send it with `up_mbps`."
    )
    up_mbps: Omittable[Mbps] = PydanticField(
        default=None, description="A measured upload; send it with `down_mbps`."
    )


class ReadinessReason(BaseModel):
    reason: Readiness
    blocking: bool = PydanticField(description="True for a reason that makes the hub not ready.")


class HubPublic(BaseModel):
    id: int
    launch_id: int
    region_code: str
    name: str
    place_code: str | None
    address: str | None
    capacity: int
    planned: int
    connections: int
    registered: int
    coordinator_id: int | None
    coordinator: str | None = PydanticField(description="The coordinator's username.")
    generator_needed: bool
    venue_confirmed: bool
    screen_ready: bool
    sound_ready: bool
    power_ready: bool
    down_mbps: float | None
    up_mbps: float | None
    internet_tested_at: datetime | None
    rehearsal_done: bool
    status: HubStatus
    reasons: list[ReadinessReason] = PydanticField(description="Why it is not ready, if it is not.")
    flagged: bool = PydanticField(
        description="Not ready, three days or less before the launch starts."
    )
    updated_at: datetime


# --- registrations ----------------------------------------------------------------------------


class Delegate(BaseModel):
    """A delegate as a registration or a row of an imported file gives them."""

    model_config = INPUT_CONFIG

    hub_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] | None = PydanticField(
        default=None, description="The hub to attend; the one serving the village when omitted."
    )
    name: Name
    role: DelegateRole
    phone: Phone | None = None


class RegistrationCreate(Delegate):
    cooperative_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)]


class RegistrationUpdate(BaseModel):
    model_config = INPUT_CONFIG

    hub_id: Omittable[Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)]] = None
    name: Omittable[Name] = None
    role: Omittable[DelegateRole] = None
    phone: Phone | None = None


class RegistrationPublic(BaseModel):
    id: int
    launch_id: int
    hub_id: int
    cooperative_id: int
    cooperative: str
    village_code: str
    name: str
    role: DelegateRole
    phone: str | None = PydanticField(description="Masked unless your role may see it whole.")
    code: str
    checked_in_at: datetime | None = PydanticField(description="When the phone checked them in.")
    checked_in_hub_id: int | None
    created_at: datetime
    updated_at: datetime


# --- check-in ---------------------------------------------------------------------------------


class CheckInItem(BaseModel):
    model_config = INPUT_CONFIG

    code: CheckInCode
    method: CheckInMethod
    scanned_at: UtcDatetime


class WalkInItem(BaseModel):
    model_config = INPUT_CONFIG

    id: Annotated[str, PydanticField(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")] = (
        PydanticField(description="A UUID the phone gives this count: sent again, not added.")
    )
    people: Annotated[StrictInt, PydanticField(ge=1, le=1000)]
    scanned_at: UtcDatetime


class CheckInBatch(BaseModel):
    model_config = INPUT_CONFIG

    check_ins: list[CheckInItem] = PydanticField(default_factory=list, max_length=CHECK_IN_BATCH)
    walk_ins: list[WalkInItem] = PydanticField(default_factory=list, max_length=CHECK_IN_BATCH)


class CheckInResult(BaseModel):
    code: str
    outcome: CheckInOutcome
    registration_id: int | None
    name: str | None
    other_hub: bool = PydanticField(
        description="Registered to another hub of the launch: counted here, and flagged."
    )


class CheckInAnswer(BaseModel):
    check_ins: list[CheckInResult] = PydanticField(description="In the order sent.")
    walk_ins_added: int = PydanticField(description="People added by walk-in counts new to us.")


# --- the board --------------------------------------------------------------------------------


class BoardLevel(StrEnum):
    hub = "hub"
    district = "district"
    regency = "regency"
    province = "province"


class BoardRow(BaseModel):
    key: str = PydanticField(description="The hub's id, or the region's code.")
    name: str
    planned: int
    registered: int
    checked_in: int = PydanticField(description="Registered delegates who arrived here.")
    other_hub: int = PydanticField(description="Of `checked_in`, those registered elsewhere.")
    walk_ins: int


class Board(BaseModel):
    launch_id: int
    level: BoardLevel
    rows: list[BoardRow]
    totals: BoardRow
    as_of: datetime


# --- afterwards: plan against actual ---------------------------------------------------------


def _quantity(value: object) -> Decimal:
    """A JSON number, kept exact: 1166.4 stays 1166.4, never 1166.40000000000009."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number, e.g. 12.5")
    exact = Decimal(str(value))
    if not exact.is_finite() or exact != exact.quantize(Decimal("0.001")):
        raise ValueError("must be a number with at most three decimals")
    return exact


Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    PydanticField(gt=0, le=10**12),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 10**12}),
]


class ActualCostIn(BaseModel):
    model_config = INPUT_CONFIG

    line: Annotated[StrictInt, PydanticField(ge=0, le=100_000)] = PydanticField(
        description="The line's place (from 0) in the plan's `lines` of the launch's format."
    )
    quantity: Quantity = PydanticField(
        description="How many units were bought, in the line's unit."
    )
    amount: Annotated[StrictInt, PydanticField(ge=0, le=10**15)] = PydanticField(
        description="What was paid, in integer rupiah."
    )
    payer: Payer | None = PydanticField(
        default=None, description="Who paid; the plan's payer of the line when omitted."
    )
    note: LongText | None = None


class LineAgainstActual(BaseModel):
    line: int
    item: str
    detail: str
    unit: str
    payer: Payer
    planned_quantity: Decimal
    planned_unit_cost: Decimal
    planned_amount: int
    actual_quantity: Decimal | None
    actual_unit_cost: Decimal | None = PydanticField(description="Paid per unit, in rupiah.")
    actual_amount: int | None
    actual_payer: Payer | None
    difference: int | None = PydanticField(description="Actual minus planned, in rupiah.")
    note: str | None
    entered_by: str | None
    updated_at: datetime | None


class GroupAgainstActual(BaseModel):
    key: str
    planned: int = PydanticField(description="The plan's amount, every line.")
    planned_entered: int = PydanticField(
        description="The plan's amount of the lines whose actual cost is entered."
    )
    actual: int = PydanticField(description="Paid, on the lines entered.")


class PlanAgainstActual(BaseModel):
    launch_id: int
    plan_id: int
    format: Format
    lines: list[LineAgainstActual]
    by_item: list[GroupAgainstActual]
    by_payer: list[GroupAgainstActual] = PydanticField(
        description="Planned by the plan's payer of each line, actual by who paid."
    )
    totals: GroupAgainstActual
    lines_entered: int
