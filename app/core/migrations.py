"""Where the Alembic scripts are, for code that needs to know the head revision."""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

# Beside the source in a checkout; in the working directory when kopdes is installed as a
# package (the Docker image runs from a folder holding alembic.ini and alembic/).
_SOURCE_ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ALEMBIC_INI = _SOURCE_ALEMBIC_INI if _SOURCE_ALEMBIC_INI.exists() else Path.cwd() / "alembic.ini"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


@lru_cache
def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
