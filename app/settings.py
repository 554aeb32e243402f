"""Runtime configuration, read once from the environment (prefix ``KOPDES_``)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/kopdes.sqlite3"
DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
# base64 of the 32 bytes b"kopdes-dev-only-nik-key-32-bytes": a Fernet key for development only.
DEFAULT_NIK_KEY = "a29wZGVzLWRldi1vbmx5LW5pay1rZXktMzItYnl0ZXM="


def normalise_database_url(url: str) -> str:
    """Accept the plain URLs people copy from their hosting panel and pick our async drivers."""
    for plain, async_driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_driver + url.removeprefix(plain)
    return url


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting must not print the secrets next to it.
    model_config = SettingsConfigDict(
        env_prefix="KOPDES_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["dev", "prod"] = "dev"
    database_url: str = DEFAULT_DATABASE_URL
    # A PostgreSQL read replica for the statistics endpoints (`/api/v1/stats/…`), the heaviest
    # reads; unset, they read the primary like everything else.
    stats_database_url: str | None = None
    # Signs access tokens and pagination cursors. Must be set in prod.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Encrypts officers' NIKs at rest (a Fernet key). Must be set in prod, and kept: without it
    # the stored NIKs cannot be read back.
    nik_encryption_key: SecretStr = SecretStr(DEFAULT_NIK_KEY)

    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    # Full NIKs one account may read per hour: enough for the paperwork of a few cooperatives'
    # boards, too few to copy a registry out.
    nik_reads_per_hour: int = Field(default=30, ge=1)
    # How long a worker may trust its last look at a login before checking it again: a logout,
    # a disabled account, a new role or a new password handled by another worker takes effect
    # within this many seconds (at once on the worker that handled it).
    account_check_seconds: float = Field(default=30, ge=0)
    # Rate-limit counters (logins, full NIK reads) are shared through Redis when set, and the
    # live board learns of check-ins made on other workers through it (needed with several).
    redis_url: str | None = None
    # A live board's stream ends after this long and the browser opens it again, which checks
    # the login again: a revoked account stops seeing the board.
    board_stream_seconds: float = Field(default=300, gt=0, le=3600)
    demo_password: SecretStr = SecretStr("demo-password")

    # No overflow: connections opened beyond the pool are closed again as soon as the pool is
    # full, so under sustained load each request would open one (a PostgreSQL process).
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=5000, ge=100)

    # The office's own calendar day decides what is overdue (Kutai Kartanegara keeps WITA).
    timezone: str = "Asia/Makassar"

    # Largest request body a route takes unless it declares its own (uploads); larger is a 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    docs_enabled: bool = True
    # A web page's login lapses after this long without a page (the session cookie's life).
    web_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    log_level: str = "INFO"
    # JSON lines for log collectors; readable text for a developer's terminal. Unset: json in
    # prod, console in dev.
    log_format: Literal["json", "console"] | None = None
    # Bearer token that `/metrics` requires when set. In prod, without it, `/metrics` is off.
    metrics_token: SecretStr | None = None

    @model_validator(mode="after")
    def _normalise_and_refuse_unsafe_prod(self) -> "Settings":
        self.database_url = normalise_database_url(self.database_url)
        # An empty variable (as compose files leave them) is no replica.
        self.stats_database_url = self.stats_database_url or None
        if self.stats_database_url is not None:
            self.stats_database_url = normalise_database_url(self.stats_database_url)
            if self.is_sqlite or self.stats_database_url.startswith("sqlite"):
                raise ValueError(
                    "KOPDES_STATS_DATABASE_URL names a PostgreSQL read replica, and needs "
                    "KOPDES_DATABASE_URL on PostgreSQL too; leave it unset with SQLite"
                )
        if self.log_format is None:
            self.log_format = "json" if self.environment == "prod" else "console"
        if self.environment == "prod":
            problems = []
            if self.secret_key.get_secret_value() == DEFAULT_SECRET:
                problems.append("KOPDES_SECRET_KEY must be set to a long random value")
            elif len(self.secret_key.get_secret_value()) < 32:
                problems.append("KOPDES_SECRET_KEY must be at least 32 characters")
            if self.nik_encryption_key.get_secret_value() == DEFAULT_NIK_KEY:
                problems.append("KOPDES_NIK_ENCRYPTION_KEY must be set to your own Fernet key")
            if self.database_url == DEFAULT_DATABASE_URL:
                problems.append("KOPDES_DATABASE_URL must be set explicitly in prod")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
