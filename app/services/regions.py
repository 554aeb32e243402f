"""Kemendagri regions: loading the reference file and reading it."""

import csv
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import code_in_caller_scope
from app.core.sql import LIKE_ESCAPE, contains_pattern, dialect_insert
from app.errors import NotFound
from app.http.pagination import CursorCodec, Page, PageParams, cut_page
from app.models.common import utcnow
from app.models.region import (
    ReferenceDataset,
    Region,
    RegionDetail,
    RegionLevel,
    RegionPublic,
    ancestor_codes,
)

REGION_FILE = Path(str(files("planner") / "data" / "wilayah_indonesia.csv"))
REGION_DATASET = "wilayah"
REGION_VERSION = "Kepmendagri 300.2.2-2138/2025 (cahyadsn/wilayah b7ad440)"
_BATCH = 5000


@dataclass(frozen=True)
class RegionLoadReport:
    rows: int
    added: int
    stale: list[str]


def read_region_file(path: Path = REGION_FILE) -> list[dict[str, str | None]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "code": record["code"],
                "name": record["name"],
                "level": RegionLevel(record["level"]).value,
                "parent_code": record["parent_code"] or None,
            }
            for record in csv.DictReader(handle)
        ]


async def load_regions(
    session: AsyncSession, rows: list[dict[str, str | None]], *, version: str = REGION_VERSION
) -> RegionLoadReport:
    """Insert or refresh every region in one transaction; running it twice changes nothing.

    Regions that a new decree no longer lists are reported, not deleted: cooperatives and
    records may still point at them, and that is for an operator to resolve.
    """
    before = await session.scalar(select(func.count()).select_from(Region)) or 0
    insert = dialect_insert(session)
    for start in range(0, len(rows), _BATCH):
        stmt = insert(Region)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Region.code],
            set_={
                "name": stmt.excluded.name,
                "level": stmt.excluded.level,
                "parent_code": stmt.excluded.parent_code,
            },
        )
        await session.execute(stmt, rows[start : start + _BATCH])
    after = await session.scalar(select(func.count()).select_from(Region)) or 0
    listed = {row["code"] for row in rows}
    stale = [code for code in await session.scalars(select(col(Region.code))) if code not in listed]
    await session.execute(
        delete(ReferenceDataset).where(col(ReferenceDataset.name) == REGION_DATASET)
    )
    session.add(
        ReferenceDataset(
            name=REGION_DATASET, version=version, row_count=len(rows), loaded_at=utcnow()
        )
    )
    await session.commit()
    return RegionLoadReport(rows=len(rows), added=after - before, stale=sorted(stale))


def _public(region: Region) -> RegionPublic:
    return RegionPublic.model_validate(region, from_attributes=True)


async def list_regions(
    session: AsyncSession,
    codec: CursorCodec,
    page: PageParams,
    *,
    parent: str | None,
    level: RegionLevel | None,
    q: str | None,
) -> Page[RegionPublic]:
    conditions = []
    if parent is not None:
        conditions.append(col(Region.parent_code) == parent)
    if level is not None:
        conditions.append(col(Region.level) == level.value)
    if q:
        conditions.append(col(Region.name).ilike(contains_pattern(q), escape=LIKE_ESCAPE))
    scope = {"parent": parent, "level": level, "q": q}

    query = select(Region).where(*conditions).order_by(Region.code).limit(page.page_size + 1)
    if page.cursor:
        (after_code,) = codec.decode(page.cursor, scope)
        query = query.where(Region.code > after_code)
    regions, next_cursor = cut_page(
        list(await session.scalars(query)), page, codec, scope, lambda r: [r.code]
    )
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(Region).where(*conditions))
    return Page(items=[_public(r) for r in regions], next_cursor=next_cursor, total=total)


async def get_region(session: AsyncSession, code: str) -> RegionDetail:
    wanted = [*ancestor_codes(code), code]
    found = {
        r.code: r for r in await session.scalars(select(Region).where(col(Region.code).in_(wanted)))
    }
    if code not in found:
        raise NotFound(
            "region {code} is not in the Kemendagri list that is loaded", params={"code": code}
        )
    return RegionDetail(
        **_public(found[code]).model_dump(),
        ancestors=[_public(found[c]) for c in ancestor_codes(code) if c in found],
    )


async def children(session: AsyncSession, code: str | None) -> list[RegionPublic]:
    """The regions directly inside `code` (the provinces for None), in code order: at most a
    district's villages, a few hundred."""
    parent = (
        col(Region.parent_code) == code if code else col(Region.level) == RegionLevel.province.value
    )
    found = await session.scalars(select(Region).where(parent).order_by(Region.code))
    return [_public(r) for r in found]


async def search_villages(
    session: AsyncSession, caller: Caller, q: str, limit: int
) -> list[RegionDetail]:
    """Villages within the caller's region whose name holds `q`, with their district."""
    villages = list(
        await session.scalars(
            select(Region)
            .where(
                col(Region.level).in_([RegionLevel.desa.value, RegionLevel.kelurahan.value]),
                col(Region.name).ilike(contains_pattern(q), escape=LIKE_ESCAPE),
                *code_in_caller_scope(caller, col(Region.code)),
            )
            .order_by(Region.code)
            .limit(limit)
        )
    )
    districts = {
        r.code: r
        for r in await session.scalars(
            select(Region).where(col(Region.code).in_({v.parent_code for v in villages}))
        )
    }
    return [
        RegionDetail(
            **_public(v).model_dump(),
            ancestors=[_public(districts[v.parent_code])] if v.parent_code in districts else [],
        )
        for v in villages
    ]
