"""The office's daily work: consultations and field mentoring with their follow-ups, and the
trainings that wait for budget."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StrictInt
from pydantic import Field as PydanticField
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlmodel import Field, SQLModel

from app.models.common import (
    INPUT_CONFIG,
    Flag,
    LongText,
    Name,
    Number,
    Omittable,
    PastDate,
    Phone,
    ShortText,
    StrictDate,
    UTCDateTime,
    UtcDatetime,
    utcnow,
)
from app.models.cooperative import BusinessUnit, VillageCode
from app.models.region import REGION_CODE_PATTERN, RegionCode
from app.models.sync import Change, Synced


class Channel(StrEnum):
    walk_in = "walk_in"
    phone = "phone"  # including WhatsApp
    field_visit = "field_visit"
    online = "online"


class Topic(StrEnum):
    legalitas = "legalitas"
    business_plan = "business_plan"
    simpan_pinjam = "simpan_pinjam"
    bookkeeping = "bookkeeping"
    rat = "rat"
    tax = "tax"
    permits = "permits"
    financing = "financing"  # financing and loans (e.g. PMK 49/2025)
    outlet_warehouse = "outlet_warehouse"
    digital = "digital"  # SIMKOPDES and other digital tools
    other = "other"


class ConsultationStatus(StrEnum):
    requested = "requested"  # asked for by a cooperative, waiting for the office
    accepted = "accepted"
    declined = "declined"
    held = "held"


class FollowUpStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class Responsible(StrEnum):
    officer = "officer"
    cooperative = "cooperative"


class TrainingStatus(StrEnum):
    waiting_for_budget = "waiting_for_budget"
    funded = "funded"
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


# The funding state machine: where each status may go next.
TRAINING_TRANSITIONS: dict[TrainingStatus, frozenset[TrainingStatus]] = {
    TrainingStatus.waiting_for_budget: frozenset({TrainingStatus.funded, TrainingStatus.cancelled}),
    TrainingStatus.funded: frozenset({TrainingStatus.scheduled, TrainingStatus.cancelled}),
    TrainingStatus.scheduled: frozenset({TrainingStatus.held, TrainingStatus.cancelled}),
    TrainingStatus.held: frozenset(),
    TrainingStatus.cancelled: frozenset(),
}

Id = Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)]
Minutes = Annotated[StrictInt, PydanticField(ge=1, le=24 * 60)]
# Indonesia lies within these bounds; a point outside is a typo or swapped coordinates.
Latitude = Annotated[Number, PydanticField(ge=-11.5, le=6.5)]
Longitude = Annotated[Number, PydanticField(ge=94.0, le=141.5)]
Rupiah = Annotated[StrictInt, PydanticField(ge=0, le=10**15, description="Integer rupiah.")]


def _fk(table: str, *, nullable: bool, ondelete: str, index: bool = True) -> Any:
    return Column(
        Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=index
    )


# --- tables ----------------------------------------------------------------------------------


class Consultation(Synced, table=True):
    __tablename__ = "consultation"
    __table_args__ = (
        Index("ix_consultation_district", "district_code", "occurred_at"),
        Index("ix_consultation_regency", "regency_code", "occurred_at"),
        # Lists show a region's consultations newest first: one index per level, in id order.
        Index("ix_consultation_province_recent", "province_code", "id"),
        Index("ix_consultation_regency_recent", "regency_code", "id"),
        Index("ix_consultation_district_recent", "district_code", "id"),
        Index("ix_consultation_village_recent", "village_code", "id"),
        Index("ix_consultation_occurred_at", "occurred_at"),
        # The mentoring figures: a province's consultations in a period (as for the district
        # and regency above), and whether a cooperative was seen lately.
        Index("ix_consultation_province", "province_code", "occurred_at"),
        Index("ix_consultation_cooperative_seen", "cooperative_id", "occurred_at"),
        # The few withdrawn consultations, left out of the whole country's open follow-ups.
        Index(
            "ix_consultation_withdrawn",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
            sqlite_where=text("deleted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Empty for a group still forming its cooperative; then the village and contact say who.
    cooperative_id: int | None = Field(
        default=None, sa_column=_fk("cooperative", nullable=True, ondelete="SET NULL")
    )
    village_code: str = Field(sa_type=String(13), foreign_key="region.code")
    district_code: str = Field(sa_type=String(8))
    regency_code: str = Field(sa_type=String(5))
    province_code: str = Field(sa_type=String(2))
    contact_name: str | None = Field(default=None, sa_type=String(200))
    contact_phone: str | None = Field(default=None, sa_type=String(20))
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_minutes: int | None = None
    channel: str = Field(sa_type=String(20))
    officer_id: int | None = Field(
        default=None, sa_column=_fk("user_account", nullable=True, ondelete="SET NULL")
    )
    status: str = Field(sa_type=String(20))
    business_units: list[str] = Field(default_factory=list, sa_type=JSON)
    summary: str | None = Field(default=None, sa_type=String(4000))
    advice: str | None = Field(default=None, sa_type=String(4000))
    latitude: float | None = None
    longitude: float | None = None
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A record is corrected, never erased: a delete only marks it, with who and why.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: str | None = Field(default=None, sa_type=String(100))
    deleted_reason: str | None = Field(default=None, sa_type=String(1000))


class ConsultationTopic(SQLModel, table=True):
    __tablename__ = "consultation_topic"
    __table_args__ = (Index("ix_consultation_topic_topic", "topic", "consultation_id"),)

    consultation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    topic: str = Field(sa_type=String(30), primary_key=True)


class FollowUp(Synced, table=True):
    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_due", "status", "due_date"),
        # The list's order (due first), and a consultation's open follow-ups with their dates.
        Index("ix_follow_up_due_order", "due_date", "id"),
        Index("ix_follow_up_consultation_open", "consultation_id", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=_fk("consultation", nullable=False, ondelete="CASCADE"))
    description: str = Field(sa_type=String(2000))
    responsible: str = Field(sa_type=String(20))
    officer_id: int | None = Field(
        default=None, sa_column=_fk("user_account", nullable=True, ondelete="SET NULL")
    )
    due_date: date = Field(sa_type=Date)
    status: str = Field(default=FollowUpStatus.open, sa_type=String(20))
    outcome: str | None = Field(default=None, sa_type=String(2000))
    cancel_reason: str | None = Field(default=None, sa_type=String(1000))
    closed_on: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Training(Synced, table=True):
    __tablename__ = "training"
    __table_args__ = (Index("ix_training_region", "region_code", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(200))
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    modules: list[str] = Field(default_factory=list, sa_type=JSON)
    venue: str | None = Field(default=None, sa_type=String(500))
    # The region the training serves (its venue's district or the whole regency); scopes it.
    region_code: str = Field(sa_type=String(13), foreign_key="region.code")
    planned_start: date | None = Field(default=None, sa_type=Date)
    planned_end: date | None = Field(default=None, sa_type=Date)
    capacity: int
    estimated_cost: int = Field(sa_type=BigInteger)
    # The budget line that funds it; funding commits the estimated cost against that line.
    budget_line_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("budget_line.id"), nullable=True)
    )
    status: str = Field(default=TrainingStatus.waiting_for_budget, sa_type=String(20))
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingTransition(SQLModel, table=True):
    __tablename__ = "training_transition"

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(sa_column=_fk("training", nullable=False, ondelete="CASCADE"))
    from_status: str = Field(sa_type=String(20))
    to_status: str = Field(sa_type=String(20))
    occurred_on: date = Field(sa_type=Date)
    note: str | None = Field(default=None, sa_type=String(1000))
    actor: str = Field(sa_type=String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingInvitation(SQLModel, table=True):
    __tablename__ = "training_invitation"

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(sa_column=_fk("training", nullable=False, ondelete="CASCADE"))
    cooperative_id: int | None = Field(
        default=None, sa_column=_fk("cooperative", nullable=True, ondelete="CASCADE")
    )
    person_name: str | None = Field(default=None, sa_type=String(200))
    seats: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingAttendee(SQLModel, table=True):
    __tablename__ = "training_attendee"

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(sa_column=_fk("training", nullable=False, ondelete="CASCADE"))
    name: str = Field(sa_type=String(200))
    role: str | None = Field(default=None, sa_type=String(100))
    cooperative_id: int | None = Field(
        default=None, sa_column=_fk("cooperative", nullable=True, ondelete="SET NULL")
    )
    attended: bool = Field(default=True, sa_type=Boolean)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas: consultations -------------------------------------------------------------


class FollowUpCreate(BaseModel):
    model_config = INPUT_CONFIG

    description: LongText
    responsible: Responsible
    officer_id: Id | None = PydanticField(
        default=None, description="The officer responsible; defaults to you when `officer`."
    )
    due_date: StrictDate


class ConsultationCreate(BaseModel):
    model_config = INPUT_CONFIG

    cooperative_id: Id | None = None
    village_code: VillageCode | None = PydanticField(
        default=None, description="Required without a cooperative; else taken from it."
    )
    contact_name: Name | None = PydanticField(
        default=None, description="Required without a cooperative: who came."
    )
    contact_phone: Phone | None = None
    occurred_at: UtcDatetime | None = PydanticField(
        default=None,
        description="When it happened, with its zone; required unless it is a request.",
    )
    duration_minutes: Minutes | None = None
    channel: Channel
    officer_id: Id | None = PydanticField(
        default=None, description="The officer who advised; defaults to you."
    )
    topics: list[Topic] = PydanticField(default_factory=list, max_length=len(Topic))
    business_units: list[BusinessUnit] = PydanticField(default_factory=list, max_length=8)
    summary: LongText | None = None
    advice: LongText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    follow_ups: list[FollowUpCreate] = PydanticField(default_factory=list, max_length=20)


class ConsultationUpdate(BaseModel):
    model_config = INPUT_CONFIG

    contact_name: Name | None = None
    contact_phone: Phone | None = None
    occurred_at: UtcDatetime | None = None
    duration_minutes: Minutes | None = None
    channel: Omittable[Channel] = None
    officer_id: Id | None = None
    topics: list[Topic] | None = PydanticField(default=None, max_length=len(Topic))
    business_units: list[BusinessUnit] | None = PydanticField(default=None, max_length=8)
    summary: LongText | None = None
    advice: LongText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    status: Omittable[ConsultationStatus] = PydanticField(
        default=None, description="`held` once an accepted request has taken place."
    )


class RequestDecision(BaseModel):
    model_config = INPUT_CONFIG

    note: LongText | None = None
    officer_id: Id | None = PydanticField(
        default=None, description="Who takes it; you if left out."
    )


class FollowUpUpdate(BaseModel):
    model_config = INPUT_CONFIG

    description: Omittable[LongText] = None
    due_date: Omittable[StrictDate] = None
    officer_id: Id | None = None
    status: Omittable[FollowUpStatus] = None
    outcome: LongText | None = PydanticField(
        default=None, description="What came of it, when done."
    )
    cancel_reason: LongText | None = PydanticField(
        default=None, description="Required when cancelling."
    )


class FollowUpPublic(BaseModel):
    id: int
    consultation_id: int
    description: str
    responsible: Responsible
    officer_id: int | None
    due_date: date
    status: FollowUpStatus
    overdue: bool = PydanticField(description="Open and past its due date (derived, never stored).")
    outcome: str | None
    cancel_reason: str | None
    closed_on: date | None
    created_at: datetime
    updated_at: datetime
    change: Change


class ConsultationPublic(BaseModel):
    id: int
    cooperative_id: int | None
    village_code: str
    district_code: str
    contact_name: str | None
    contact_phone: str | None
    occurred_at: datetime | None
    duration_minutes: int | None
    channel: Channel
    officer_id: int | None
    status: ConsultationStatus
    topics: list[Topic]
    business_units: list[BusinessUnit]
    summary: str | None
    advice: str | None
    latitude: float | None
    longitude: float | None
    follow_ups: list[FollowUpPublic]
    created_by: str
    created_at: datetime
    updated_at: datetime
    change: Change


# --- API schemas: trainings -----------------------------------------------------------------


class TrainingCreate(BaseModel):
    model_config = INPUT_CONFIG

    title: Name
    topics: list[Topic] = PydanticField(default_factory=list, max_length=len(Topic))
    modules: list[ShortText] = PydanticField(default_factory=list, max_length=50)
    venue: ShortText | None = None
    region_code: RegionCode
    planned_start: StrictDate | None = None
    planned_end: StrictDate | None = None
    capacity: Annotated[StrictInt, PydanticField(ge=1, le=100_000)]
    estimated_cost: Rupiah
    budget_line_id: Id | None = None


class TrainingUpdate(BaseModel):
    model_config = INPUT_CONFIG

    title: Omittable[Name] = None
    topics: Omittable[Annotated[list[Topic], PydanticField(max_length=len(Topic))]] = None
    modules: Omittable[Annotated[list[ShortText], PydanticField(max_length=50)]] = None
    venue: ShortText | None = None
    planned_start: StrictDate | None = None
    planned_end: StrictDate | None = None
    capacity: Omittable[Annotated[StrictInt, PydanticField(ge=1, le=100_000)]] = None
    estimated_cost: Omittable[Rupiah] = None
    budget_line_id: Id | None = None


class TransitionCreate(BaseModel):
    model_config = INPUT_CONFIG

    to: TrainingStatus
    occurred_on: PastDate = PydanticField(description="When the decision or event happened.")
    note: LongText | None = None


class TransitionPublic(BaseModel):
    from_status: TrainingStatus
    to_status: TrainingStatus
    occurred_on: date
    note: str | None
    actor: str
    recorded_at: datetime


class TrainingPublic(BaseModel):
    id: int
    title: str
    topics: list[Topic]
    modules: list[str]
    venue: str | None
    region_code: str
    planned_start: date | None
    planned_end: date | None
    capacity: int
    estimated_cost: int
    budget_line_id: int | None
    status: TrainingStatus
    allowed_transitions: list[TrainingStatus]
    seats_invited: int
    attendees: int
    transitions: list[TransitionPublic]
    created_by: str
    created_at: datetime
    updated_at: datetime
    change: Change


class InvitationCreate(BaseModel):
    model_config = INPUT_CONFIG

    cooperative_id: Id | None = None
    person_name: Name | None = PydanticField(default=None, description="A named person instead.")
    seats: Annotated[StrictInt, PydanticField(ge=1, le=1000)] = 1


class InvitationPublic(BaseModel):
    id: int
    training_id: int
    cooperative_id: int | None
    person_name: str | None
    seats: int
    created_at: datetime


class AttendeeCreate(BaseModel):
    model_config = INPUT_CONFIG

    name: Name
    role: ShortText | None = PydanticField(default=None, description="e.g. ketua, bendahara.")
    cooperative_id: Id | None = None
    attended: Flag = True


class AttendanceCreate(BaseModel):
    model_config = INPUT_CONFIG

    attendees: list[AttendeeCreate] = PydanticField(min_length=1, max_length=1000)


class AttendeePublic(BaseModel):
    id: int
    training_id: int
    name: str
    role: str | None
    cooperative_id: int | None
    attended: bool
    recorded_at: datetime


# --- what the office reads -------------------------------------------------------------------


RegionFilter = Annotated[
    str | None,
    PydanticField(pattern=REGION_CODE_PATTERN, description="Any ancestor code, e.g. `64.02`."),
]
OfficerFilter = Annotated[
    str | None,
    PydanticField(
        pattern=r"^(me|[1-9][0-9]{0,9})$", description="`me`, or an officer's account id."
    ),
]
IdFilter = Annotated[int | None, PydanticField(ge=1, le=2**31 - 1)]


class ConsultationFilters(BaseModel):
    """What the consultation list and its export filter by: one model, so they cannot differ."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    cooperative_id: IdFilter = None
    region: RegionFilter = None
    channel: Channel | None = None
    topic: Topic | None = None
    officer: OfficerFilter = None
    status: ConsultationStatus | None = None
    date_from: StrictDate | None = PydanticField(None, alias="from", description="On or after.")
    date_to: StrictDate | None = PydanticField(None, alias="to", description="On or before.")


class FollowUpFilters(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: FollowUpStatus | None = None
    due_before: StrictDate | None = PydanticField(
        None, description="Due strictly before this date."
    )
    officer: OfficerFilter = None
    overdue: bool | None = PydanticField(None, description="Open and past due (as of today).")
    cooperative_id: IdFilter = None
    region: RegionFilter = None


class TrainingFilters(BaseModel):
    """What the training list and its export filter by: one model, so they cannot differ."""

    model_config = ConfigDict(frozen=True)

    region: str | None = PydanticField(
        None,
        pattern=REGION_CODE_PATTERN,
        description="Any ancestor code: `64.02` is every training held for Kukar or one of its "
        "districts or villages.",
    )
    status: TrainingStatus | None = None
    topic: Topic | None = None
    cooperative_id: IdFilter = PydanticField(
        None, description="Only the trainings this cooperative is invited to."
    )


class DistrictMentoring(BaseModel):
    code: str
    name: str
    consultations: int
    by_channel: dict[Channel, int]
    by_topic: dict[Topic, int]
    cooperatives: int
    cooperatives_without_contact: int = PydanticField(
        description="Cooperatives with no consultation in the last `no_contact_days` days."
    )
    follow_ups_open: int
    follow_ups_overdue: int
    trainings_by_status: dict[TrainingStatus, int]
    people_trained: int


class MentoringStats(BaseModel):
    region: str | None
    date_from: date | None
    date_to: date | None
    no_contact_days: int
    rows: list[DistrictMentoring]
