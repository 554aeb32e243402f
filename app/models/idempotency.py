"""Requests made with an Idempotency-Key (app/http/idempotency.py) and the responses they got."""

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    """A request made with an Idempotency-Key, and the response it got, for replays."""

    __tablename__ = "idempotency_record"

    actor: str = Field(sa_type=String(100), primary_key=True)
    key: str = Field(sa_type=String(255), primary_key=True)
    operation: str = Field(sa_type=String(200))
    request_hash: str = Field(sa_type=String(64))
    status: str = Field(sa_type=String(20))  # in_flight, completed
    response_status: int | None = None
    response_body: str | None = Field(default=None, sa_type=String)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
