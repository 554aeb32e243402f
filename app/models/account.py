"""Who may use the service: user accounts, their refresh tokens, and API keys for other systems."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StrictStr
from pydantic import Field as PydanticField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.models.common import (
    INPUT_CONFIG,
    Flag,
    Name,
    Omittable,
    Text,
    UTCDateTime,
    UtcDatetime,
    utcnow,
)

SCOPE_PATTERN = r"^(|[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[123][0-9]{3})?)?)?)$"
RegionScope = Annotated[
    str,
    PydanticField(
        pattern=SCOPE_PATTERN,
        description="Kemendagri code prefix the account may see: `64.02` a regency office, "
        "`64` a province office, `` (empty) national.",
        examples=["64.02"],
    ),
]
Username = Annotated[
    StrictStr, PydanticField(min_length=3, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
Password = Annotated[Text, PydanticField(min_length=12, max_length=200)]


class Role(StrEnum):
    admin = "admin"
    officer = "officer"
    viewer = "viewer"
    cooperative = "cooperative"
    # A launch hub's coordinator: checks people in at the hubs given to them, and nothing else.
    coordinator = "coordinator"
    integration = "integration"


USER_ROLES = [Role.admin, Role.officer, Role.viewer, Role.cooperative, Role.coordinator]


class ApiScope(StrEnum):
    regions_read = "regions:read"
    cooperatives_read = "cooperatives:read"
    officers_read = "officers:read"
    stats_read = "stats:read"
    planner_use = "planner:use"


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(60), unique=True)
    password_hash: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(20))
    region_scope: str = Field(sa_type=String(13))
    cooperative_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("cooperative.id", ondelete="SET NULL"), nullable=True),
    )
    is_active: bool = Field(default=True, sa_type=Boolean)
    is_demo: bool = Field(default=False, sa_type=Boolean)
    # Access and calendar feed tokens carry it; it goes up with every change of password, role,
    # scope, cooperative or active flag, and never back, so such a change ends them for good.
    token_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Calendar feed tokens carry it too; revoking the feed's link puts it up (never back), which
    # ends every feed token issued before without ending the account's logins.
    calendar_feed_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RefreshToken(SQLModel, table=True):
    """A refresh token is used once: using it revokes it and issues the next one of its family.
    Presenting a revoked one again revokes the whole family (it was probably stolen)."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(sa_type=String(64), unique=True)
    family: str = Field(sa_type=String(36), index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_region_scope", "region_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    key_id: str = Field(sa_type=String(20), unique=True)
    key_hash: str = Field(sa_type=String(64))
    scopes: str = Field(sa_type=String(500))
    region_scope: str = Field(sa_type=String(13))
    created_by: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API schemas ---------------------------------------------------------------------------


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = PydanticField(description="Seconds until the access token expires.")
    refresh_token: str


class LoginForm(BaseModel):
    """OAuth2's password grant (RFC 6749, section 4.3), as a form. Other fields an OAuth2
    client sends (`scope`, `client_id`) are ignored."""

    grant_type: Annotated[str, PydanticField(pattern="^password$")] | SkipJsonSchema[None] = None
    # As typed: a login names no account's format, and any name that is no account's fails.
    username: Annotated[str, PydanticField(min_length=1, max_length=200)]
    password: Annotated[str, PydanticField(min_length=1, max_length=200)]


class RefreshRequest(BaseModel):
    model_config = INPUT_CONFIG

    refresh_token: Annotated[Text, PydanticField(min_length=20, max_length=200)]


class Me(BaseModel):
    kind: str = PydanticField(description="`user` or `api_key`.")
    id: int
    name: str
    role: Role
    region_scope: str
    cooperative_id: int | None
    api_scopes: list[ApiScope]


class UserCreate(BaseModel):
    model_config = INPUT_CONFIG

    username: Username
    password: Password
    role: Role
    region_scope: RegionScope
    cooperative_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] | None = None


class UserUpdate(BaseModel):
    model_config = INPUT_CONFIG

    password: Omittable[Password] = None
    role: Omittable[Role] = None
    region_scope: Omittable[RegionScope] = None
    cooperative_id: Annotated[int, PydanticField(ge=1, le=2**31 - 1, strict=True)] | None = None
    is_active: Omittable[Flag] = None


class UserPublic(BaseModel):
    id: int
    username: str
    role: Role
    region_scope: str
    cooperative_id: int | None
    is_active: bool
    is_demo: bool
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = INPUT_CONFIG

    name: Name
    scopes: list[ApiScope] = PydanticField(min_length=1, max_length=len(ApiScope))
    region_scope: RegionScope
    expires_at: UtcDatetime | None = PydanticField(
        default=None, description="When the key stops working; never, if left out."
    )


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    key_id: str = PydanticField(description="The public part of the key, to recognise it.")
    scopes: list[ApiScope]
    region_scope: str
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str | None = PydanticField(
        default=None,
        description="The key itself. It is shown only this once; store it in a secret store. "
        "Absent from a replayed answer (`Idempotent-Replayed: true`): the secret is never "
        "stored, so revoke that key and create another.",
    )
