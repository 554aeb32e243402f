"""Budget lines (pos anggaran, a sub-activity's DPA ceiling) and the year's summary; their
amounts come from the ledger (`app.services.ledger`)."""

from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import in_caller_scope
from app.errors import Conflict, Invalid
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.budget import (
    BudgetLine,
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetSummary,
    BudgetSummaryLine,
)
from app.models.region import Region
from app.services import audit
from app.services.ledger import LineAmounts, line_amounts, lines_visible_to, require_line


def _line_public(line: BudgetLine, amounts: LineAmounts) -> BudgetLinePublic:
    current = line.original_ceiling + amounts.shifted_in - amounts.shifted_out
    return BudgetLinePublic(
        **line.model_dump(),
        shifted_in=amounts.shifted_in,
        shifted_out=amounts.shifted_out,
        current_ceiling=current,
        committed=amounts.committed,
        available=current - amounts.committed,
    )


async def create_line(writer: Writer, data: BudgetLineCreate) -> BudgetLinePublic:
    session, caller = writer.session, writer.caller
    if await session.get(Region, data.region_code) is None:
        raise Invalid.field(["body", "region_code"], "not a Kemendagri code that is loaded")
    if not in_caller_scope(caller, data.region_code):
        raise Invalid.field(["body", "region_code"], "lies outside your region")
    line = BudgetLine(**data.model_dump(), created_by=caller.principal.actor)
    session.add(line)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "{fiscal_year} already has a line {sub_kegiatan_code} / {kode_rekening} for "
            "{region_code}",
            params={
                "fiscal_year": data.fiscal_year,
                "sub_kegiatan_code": data.sub_kegiatan_code,
                "kode_rekening": data.kode_rekening,
                "region_code": data.region_code,
            },
        ) from None
    public = _line_public(line, LineAmounts())
    audit.record(
        session,
        caller,
        action="budget_line.create",
        resource_type="budget_line",
        resource_id=line.id,
        region_code=line.region_code,
        after=public,
    )
    await writer.record(public)
    await writer.commit()
    return public


async def get_line(session: AsyncSession, caller: Caller, line_id: int) -> BudgetLinePublic:
    line = await require_line(session, caller, line_id)
    return _line_public(line, (await line_amounts(session, [line_id])).get(line_id, LineAmounts()))


async def list_lines(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    fiscal_year: int | None,
) -> Page[BudgetLinePublic]:
    conditions = lines_visible_to(caller)
    if fiscal_year is not None:
        conditions.append(BudgetLine.fiscal_year == fiscal_year)
    scope = {"list": "budget_lines", "fiscal_year": fiscal_year}
    found = await page_by_id(session, BudgetLine, conditions, codec, page, scope)
    amounts = await line_amounts(session, [line.id for line in found.rows])
    items = [_line_public(line, amounts.get(line.id, LineAmounts())) for line in found.rows]
    return Page(items=items, next_cursor=found.next_cursor, total=found.total)


async def fiscal_years(session: AsyncSession, caller: Caller) -> list[int]:
    """The fiscal years the caller's region has budget lines for, latest first."""
    years = await session.scalars(
        select(col(BudgetLine.fiscal_year))
        .where(*lines_visible_to(caller))
        .distinct()
        .order_by(col(BudgetLine.fiscal_year).desc())
    )
    return list(years)


async def summary(session: AsyncSession, caller: Caller, fiscal_year: int) -> BudgetSummary:
    lines = list(
        await session.scalars(
            select(BudgetLine)
            .where(col(BudgetLine.fiscal_year) == fiscal_year, *lines_visible_to(caller))
            .order_by(
                col(BudgetLine.sub_kegiatan_code), col(BudgetLine.kode_rekening), col(BudgetLine.id)
            )
        )
    )
    # Read from the database, so each has its id.
    amounts = await line_amounts(session, [cast(int, line.id) for line in lines])
    rows = [
        BudgetSummaryLine.model_validate(
            _line_public(line, amounts.get(cast(int, line.id), LineAmounts())),
            from_attributes=True,
        )
        for line in lines
    ]
    money = (
        "original_ceiling",
        "shifted_in",
        "shifted_out",
        "current_ceiling",
        "committed",
        "available",
    )
    totals = BudgetSummaryLine(
        id=0,
        sub_kegiatan_code="",
        kode_rekening="",
        name="JUMLAH",
        **{field: sum(getattr(row, field) for row in rows) for field in money},
    )
    return BudgetSummary(fiscal_year=fiscal_year, lines=rows, totals=totals)
