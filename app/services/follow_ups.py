"""Follow-ups: what a consultation left to do, by whom and by when.

A follow-up belongs to its consultation: it exists for a caller when its consultation does, and
a change to it changes the consultation too (the consultation is shown with its follow-ups).
New follow-ups made together with a consultation are made in `app.services.consultations`.
"""

from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import caller_region, levels_in_region
from app.errors import Conflict, Invalid, NotFound
from app.http import sync_feed
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, PageParams, cut_page
from app.http.sync_feed import SyncPage
from app.models.account import Role
from app.models.common import table_of, utcnow
from app.models.mentoring import (
    Consultation,
    FollowUp,
    FollowUpCreate,
    FollowUpFilters,
    FollowUpPublic,
    FollowUpStatus,
    FollowUpUpdate,
)
from app.models.sync import RecordKind
from app.services.consultations import (
    audit_event,
    check_follow_up_date,
    follow_up_public,
    lock_consultation,
    new_follow_up,
    office_account,
    officer_id,
    visible_to,
)

_CONSULTATIONS = table_of(Consultation).c
_FOLLOW_UPS = table_of(FollowUp).c


async def open_counts(
    session: AsyncSession, caller: Caller, region: str | None, today: date
) -> tuple[int, int]:
    """The open follow-ups of the consultations of `region` (None: all the caller's), and how
    many of them are overdue."""
    counts = select(func.count(), func.count(case((_FOLLOW_UPS.due_date < today, 1))))
    is_open = _FOLLOW_UPS.status == FollowUpStatus.open.value
    if region is None and caller_region(caller) is None and caller.role is not Role.cooperative:
        # The whole country's: every consultation's but the withdrawn ones'. Joining a million
        # consultations to leave out the few withdrawn took 240 ms; looking those up, 20.
        withdrawn = select(_CONSULTATIONS.id).where(_CONSULTATIONS.deleted_at.is_not(None))
        query = counts.select_from(table_of(FollowUp)).where(
            is_open, _FOLLOW_UPS.consultation_id.not_in(withdrawn)
        )
    else:
        in_region = [levels_in_region(_CONSULTATIONS, region)] if region else []
        query = (
            counts.select_from(table_of(Consultation))
            .join(FollowUp, _FOLLOW_UPS.consultation_id == _CONSULTATIONS.id)
            .where(*visible_to(caller), *in_region, is_open)
        )
    open_count, overdue = (await session.execute(query)).one()
    return open_count, overdue


async def add_follow_up(
    writer: Writer, consultation_id: int, data: FollowUpCreate, today: date
) -> FollowUpPublic:
    session, caller = writer.session, writer.caller
    # Locked: the consultation changes with its follow-ups (`_follow_ups_changed`).
    consultation = await lock_consultation(writer, consultation_id)
    follow_up = await new_follow_up(session, caller, consultation, data, ["body"])
    session.add(follow_up)
    _follow_ups_changed(consultation)
    await session.flush()
    public = follow_up_public(follow_up, today)
    audit_event(session, caller, "follow_up.create", follow_up.id, consultation, after=public)
    await writer.record(public)
    await writer.commit()
    return public


def _follow_ups_changed(consultation: Consultation) -> None:
    # A consultation is shown with its follow-ups: when they change, so does it.
    consultation.updated_at = utcnow()


def _follow_up_visible(caller: Caller) -> list[Any]:
    return [FollowUp.consultation_id == _CONSULTATIONS.id, *visible_to(caller)]


async def _require_follow_up(session: AsyncSession, caller: Caller, follow_up_id: int) -> FollowUp:
    """The follow-up, if its consultation exists for this caller."""
    follow_up = await session.scalar(
        select(FollowUp).where(col(FollowUp.id) == follow_up_id, *_follow_up_visible(caller))
    )
    return _follow_up_found(follow_up, follow_up_id)


async def _lock_follow_up(writer: Writer, follow_up_id: int) -> tuple[FollowUp, Consultation]:
    """The follow-up, locked, and its consultation, if it exists for the writer's caller."""
    follow_up = _follow_up_found(
        await writer.lock(FollowUp, follow_up_id, *_follow_up_visible(writer.caller)),
        follow_up_id,
    )
    consultation = await writer.session.get(Consultation, follow_up.consultation_id)
    assert consultation is not None  # the follow-up was found through it
    return follow_up, consultation


def _follow_up_found(follow_up: FollowUp | None, follow_up_id: int) -> FollowUp:
    if follow_up is None:
        raise NotFound(
            "follow-up {follow_up_id} does not exist", params={"follow_up_id": follow_up_id}
        )
    return follow_up


async def get_follow_up(
    session: AsyncSession, caller: Caller, follow_up_id: int, today: date
) -> FollowUpPublic:
    follow_up = await _require_follow_up(session, caller, follow_up_id)
    return follow_up_public(follow_up, today)


async def update_follow_up(
    writer: Writer,
    follow_up_id: int,
    patch: FollowUpUpdate,
    today: date,
    *,
    if_match: str | None,
) -> FollowUpPublic:
    session, caller = writer.session, writer.caller
    follow_up, consultation = await _lock_follow_up(writer, follow_up_id)
    before = follow_up_public(follow_up, today)
    changes = patch.model_dump(exclude_unset=True)
    require_if_match(if_match, before, "follow-up")
    if follow_up.status != FollowUpStatus.open:
        raise Conflict(
            "follow-up {follow_up_id} is already {follow_up_status}; a closed follow-up is kept as"
            " it was — add a new one instead",
            params={"follow_up_id": follow_up_id, "follow_up_status": follow_up.status},
        )
    status = changes.get("status", FollowUpStatus.open)
    if status == FollowUpStatus.cancelled and not changes.get("cancel_reason"):
        raise Invalid.field(["body", "cancel_reason"], "say why the follow-up is cancelled")
    if status != FollowUpStatus.cancelled and changes.get("cancel_reason"):
        raise Invalid.field(["body", "cancel_reason"], "only for cancelling")
    if "due_date" in changes:
        check_follow_up_date(changes["due_date"], consultation, ["body", "due_date"])
    if changes.get("officer_id") is not None:
        await office_account(
            session,
            caller,
            changes["officer_id"],
            consultation.village_code,
            ["body", "officer_id"],
        )
    follow_up.sqlmodel_update(changes)
    if status != FollowUpStatus.open:
        follow_up.closed_on = today
    follow_up.updated_at = utcnow()
    _follow_ups_changed(consultation)
    await session.flush()  # stamps the change numbers the answer shows
    after = follow_up_public(follow_up, today)
    audit_event(
        session,
        caller,
        "follow_up.update",
        follow_up_id,
        consultation,
        before=before,
        after=after,
    )
    await writer.commit()
    return after


async def list_follow_ups(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    filters: FollowUpFilters,
    today: date,
    updated_since: int | None,
) -> SyncPage[FollowUpPublic]:
    conditions = _follow_up_visible(caller)
    if filters.status is not None:
        conditions.append(FollowUp.status == filters.status.value)
    if filters.due_before is not None:
        conditions.append(FollowUp.due_date < filters.due_before)
    if (officer := officer_id(caller, filters.officer)) is not None:
        conditions.append(FollowUp.officer_id == officer)
    if filters.cooperative_id is not None:
        conditions.append(_CONSULTATIONS.cooperative_id == filters.cooperative_id)
    if filters.region:
        conditions.append(levels_in_region(_CONSULTATIONS, filters.region))
    if filters.overdue is not None:
        overdue = (FollowUp.status == FollowUpStatus.open.value) & (FollowUp.due_date < today)
        conditions.append(overdue if filters.overdue else ~overdue)
    scope = {"filters": filters.model_dump(mode="json"), "today": today}
    query = select(FollowUp).where(*conditions)
    if updated_since is not None:
        changes = await sync_feed.changes_page(
            session,
            query,
            FollowUp.change,
            since=updated_since,
            codec=codec,
            page=page,
            scope=scope,
            removed=sync_feed.tombstones(
                RecordKind.follow_up,
                caller,
                region=filters.region,
                cooperative_id=filters.cooperative_id,
            ),
        )
        return changes.page([follow_up_public(f, today) for f in changes.rows])
    if page.cursor:
        due, after_id = codec.decode(page.cursor, scope)
        position = (FollowUp.due_date > date.fromisoformat(due)) | (
            (FollowUp.due_date == date.fromisoformat(due)) & (FollowUp.id > after_id)
        )
        query = query.where(position)
    listed: Any = FollowUp
    narrowest = max(caller_region(caller) or "", filters.region or "", key=len)
    if len(narrowest) >= 5 or filters.cooperative_id is not None:
        # A regency's follow-ups (a few thousand at most) are found through its consultations,
        # then sorted. Left to itself, PostgreSQL may walk every follow-up in due order (the
        # national list's index) looking for the regency's: 310-440 ms for Kukar's 0.3%. OFFSET
        # 0 keeps the filtered rows a subquery of their own. A province is left to the planner:
        # walking finds a page of Jawa Tengah's in 2 ms, and sorting them all takes 360 ms.
        listed = aliased(FollowUp, query.offset(0).subquery())
        query = select(listed)
    rows = list(
        await session.scalars(query.order_by(listed.due_date, listed.id).limit(page.page_size + 1))
    )
    follow_ups, next_cursor = cut_page(
        rows, page, codec, scope, lambda f: [f.due_date.isoformat(), f.id]
    )
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(FollowUp).where(*conditions))
    return SyncPage(
        items=[follow_up_public(f, today) for f in follow_ups],
        next_cursor=next_cursor,
        total=total,
    )
