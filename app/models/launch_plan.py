"""Saved launch plans: a planner run kept with its inputs, its answer and the catalog it used,
so that the head of the office can sign it, and two of them can be compared later."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from app.models.account import SCOPE_PATTERN
from app.models.common import INPUT_CONFIG, LongText, Name, UTCDateTime, utcnow
from app.models.planner import LaunchComparisonIn


class LaunchPlan(SQLModel, table=True):
    __tablename__ = "launch_plan"
    __table_args__ = (Index("ix_launch_plan_region", "region", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # The office whose plan it is ("" the country's); scopes who may see it.
    region: str = Field(sa_type=String(13))
    name: str = Field(sa_type=String(200))
    note: str | None = Field(default=None, sa_type=String(4000))
    participants: int
    recommended: str | None = Field(default=None, sa_type=String(30))
    catalog_version: str = Field(sa_type=String(60))
    catalog_digest: str = Field(sa_type=String(40))
    # The planner's whole answer as it was given (its inputs included): a record, never
    # recomputed, so a later catalog or planner cannot change what was signed.
    result: dict[str, Any] = Field(sa_type=JSON)
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LaunchPlanCreate(BaseModel):
    model_config = INPUT_CONFIG

    name: Name
    region: str = PydanticField(
        pattern=SCOPE_PATTERN,
        description="The office whose plan it is: `64.02` Kukar's, `` (empty) the country's.",
        examples=["64.02"],
    )
    note: LongText | None = None
    inputs: LaunchComparisonIn = PydanticField(
        description="What `POST /api/v1/planner/launch-comparison` takes; the plan is computed "
        "from it now, with the catalog packaged in this version of the service."
    )


class LaunchPlanSummary(BaseModel):
    id: int
    region: str
    name: str
    note: str | None
    participants: int
    recommended: str | None
    catalog_version: str
    catalog_digest: str
    created_by: str
    created_at: datetime


class LaunchPlanPublic(LaunchPlanSummary):
    result: dict[str, Any] = PydanticField(
        description="The planner's answer when the plan was saved, as "
        "`POST /api/v1/planner/launch-comparison` gave it then (its `inputs` included). Kept "
        "as it was: a later catalog or planner version never changes it."
    )
