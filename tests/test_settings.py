import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_prod_refuses_unsafe_defaults():
    with pytest.raises(ValidationError) as error:
        Settings(environment="prod")
    message = str(error.value)
    for variable in ("KOPDES_SECRET_KEY", "KOPDES_NIK_ENCRYPTION_KEY", "KOPDES_DATABASE_URL"):
        assert variable in message


def test_prod_starts_with_real_settings():
    settings = Settings(
        environment="prod",
        secret_key="s" * 48,
        nik_encryption_key="bXktb3duLXByb2R1Y3Rpb24tbmlrLWtleS0zMmJ5dGU=",
        database_url="postgresql://kopdes@db.internal/kopdes",
    )
    assert settings.database_url == "postgresql+asyncpg://kopdes@db.internal/kopdes"


def test_plain_sqlite_url_gets_the_async_driver():
    assert Settings(database_url="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"


def test_logs_are_json_in_prod_and_text_in_dev_unless_chosen():
    prod = {
        "environment": "prod",
        "secret_key": "s" * 48,
        "nik_encryption_key": "bXktb3duLXByb2R1Y3Rpb24tbmlrLWtleS0zMmJ5dGU=",
        "database_url": "postgresql://kopdes@db.internal/kopdes",
    }
    assert Settings(**prod).log_format == "json"
    assert Settings(**prod, log_format="console").log_format == "console"
    assert Settings().log_format == "console"
    with pytest.raises(ValidationError):
        Settings(log_format="xml")
