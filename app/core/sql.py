"""Small query helpers shared by the services."""

from typing import Any, cast

from sqlalchemy import CursorResult, Result, Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

# Tables that belong to a village carry its code and its ancestors' codes, one column per level,
# so that "everything in region X" is an indexed equality whatever the level of X.
_LEVEL_COLUMN_BY_CODE_LENGTH = {
    2: "province_code",
    5: "regency_code",
    8: "district_code",
    13: "village_code",
}


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an INSERT, UPDATE or DELETE matched. `AsyncSession.execute` types every result
    as a `Result`; a DML statement's is a `CursorResult`, which counts them."""
    return cast(CursorResult[Any], result).rowcount


def level_column(columns: Any, code_length: int) -> Any:
    """The column of `columns` holding codes of the level that codes of this length have."""
    return getattr(columns, _LEVEL_COLUMN_BY_CODE_LENGTH[code_length])


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


LIKE_ESCAPE = "\\"


async def fetch_dicts(session: AsyncSession, query: Select[Any]) -> list[dict[str, Any]]:
    """The rows of a Core select as plain dicts, on the session's connection: the ORM's result
    handling and row mappings cost more per row than the hot reads can afford."""
    result = await (await session.connection()).execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]
