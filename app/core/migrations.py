"""Where the Alembic scripts are, and the head revision the code expects of the database.

The workers need only the head, for the readiness probe, and read it from the scripts' own
`revision` and `down_revision` assignments: importing Alembic would add about 10 MB to every
worker for that alone (bench/README.md, the board worker's memory). tests/test_migrations.py
checks that the two agree.
"""

import ast
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

# Beside the source in a checkout; in the working directory when kopdes is installed as a
# package (the Docker image runs from a folder holding alembic.ini and alembic/).
_SOURCE_ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ALEMBIC_INI = _SOURCE_ALEMBIC_INI if _SOURCE_ALEMBIC_INI.exists() else Path.cwd() / "alembic.ini"
VERSIONS = ALEMBIC_INI.parent / "alembic" / "versions"


def alembic_config(database_url: str | None = None) -> "Config":
    """Alembic's configuration, for the command line, the tests and the fault scripts."""
    from alembic.config import Config  # see the module's docstring

    config = Config(str(ALEMBIC_INI))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


@lru_cache
def head_revisions() -> set[str]:
    """The revisions that no script revises: what `alembic heads` prints."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        values = _revision_lines(script)
        revisions.add(values["revision"])
        down = values["down_revision"]
        revised.update((down,) if isinstance(down, str) else down or ())
    return revisions - revised


def _revision_lines(script: Path) -> dict[str, Any]:
    """What a script assigns to `revision` and `down_revision` (`revision: str = "…"`)."""
    values: dict[str, Any] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in _REVISION_NAMES:
                    values[target.id] = ast.literal_eval(node.value)
    return values


_REVISION_NAMES = {"revision", "down_revision"}
