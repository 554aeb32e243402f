"""The SK AHU targets an office sets for a push (the June 1-30 legal-entity push is the
example), and the office's headline figures that the morning table opens with."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StrictInt
from pydantic import Field as PydanticField
from sqlalchemy import Date, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.models.account import SCOPE_PATTERN
from app.models.common import INPUT_CONFIG, LongText, StrictDate, UTCDateTime, utcnow

# A push longer than a year is a plan, not a push; the chart has a bar per day.
MAX_TARGET_DAYS = 366
TargetCount = Annotated[StrictInt, PydanticField(ge=1, le=100_000)]


class SkAhuTarget(SQLModel, table=True):
    __tablename__ = "sk_ahu_target"
    __table_args__ = (Index("ix_sk_ahu_target_region_period", "region", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    # The region whose cooperatives count ("" is the whole country).
    region: str = Field(sa_type=String(13))
    starts_on: date = Field(sa_type=Date)
    ends_on: date = Field(sa_type=Date)
    target: int = Field(sa_type=Integer)
    note: str | None = Field(default=None, sa_type=String(4000))
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SkAhuTargetCreate(BaseModel):
    model_config = INPUT_CONFIG

    region: str = PydanticField(
        pattern=SCOPE_PATTERN,
        description="The region whose cooperatives count: `64.02` Kukar, `` (empty) the country.",
        examples=["64.02"],
    )
    starts_on: StrictDate
    ends_on: StrictDate = PydanticField(description="The last day of the push, inclusive.")
    target: TargetCount = PydanticField(
        description="How many cooperatives should receive their SK AHU within the period."
    )
    note: LongText | None = None


class SkAhuTargetPublic(BaseModel):
    id: int
    region: str
    starts_on: date
    ends_on: date
    target: int
    note: str | None
    created_by: str
    created_at: datetime


class SkAhuDay(BaseModel):
    day: date
    issued: int = PydanticField(description="SK AHU issued on this day.")
    cumulative: int = PydanticField(description="Issued from the first day of the period to this.")
    planned: int = PydanticField(
        description="Where an even pace towards the target would stand at the end of this day."
    )


class SkAhuProgress(BaseModel):
    target: SkAhuTargetPublic
    issued: int = PydanticField(description="SK AHU issued within the period so far.")
    days: list[SkAhuDay]


class OfficeHeadline(BaseModel):
    """The figures the head of the office reads first, for one region."""

    region: str | None = PydanticField(description="The region counted; null is the country.")
    today: date
    cooperatives: int
    with_sk_ahu: int = PydanticField(
        description="Cooperatives that have their SK AHU (a legal entity) or have gone further."
    )
    sk_ahu_this_week: int = PydanticField(description="SK AHU issued since Monday.")
    follow_ups_open: int
    follow_ups_overdue: int
    trainings_waiting_for_budget: int
    budget_fiscal_year: int | None = PydanticField(
        description="This year, or the latest year before it that has budget lines; null (with "
        "`budget_available`) for a caller who may not read the budget."
    )
    budget_available: int | None = PydanticField(
        description="Rupiah still available on that year's lines."
    )
