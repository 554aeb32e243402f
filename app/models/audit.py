"""The audit trail: one append-only event per write and per full read of personal data."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at", "id"),
        Index("ix_audit_event_resource", "resource_type", "resource_id"),
        Index("ix_audit_event_actor", "actor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(100))
    role: str = Field(sa_type=String(20))
    action: str = Field(sa_type=String(60))
    resource_type: str = Field(sa_type=String(40))
    resource_id: str | None = Field(default=None, sa_type=String(40))
    # The region the resource belongs to, so each office reads only its own trail.
    region_code: str = Field(sa_type=String(13), index=True)
    request_id: str | None = Field(default=None, sa_type=String(64))
    client_ip: str | None = Field(default=None, sa_type=String(64))
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    outcome: str = Field(default="success", sa_type=String(20))


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    resource_type: str
    resource_id: str | None
    region_code: str
    request_id: str | None
    client_ip: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    outcome: str
