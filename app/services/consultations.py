"""Consultations and field mentoring, and the follow-ups made with them (the follow-ups' own
reads and changes are `app.services.follow_ups`).

A cooperative's own account can only *request* a consultation; the office accepts or declines
it. Records are corrected, never erased: deleting marks a record with who, when and why.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import (
    in_caller_scope,
    levels_in_caller_scope,
    levels_in_region,
    lies_within,
    of_own_cooperative,
    own_cooperative_id,
)
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.http import sync_feed
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, PageParams, cut_page
from app.http.sync_feed import SyncPage
from app.models.account import Role, UserAccount
from app.models.common import mask_phone, table_of, utcnow
from app.models.mentoring import (
    Consultation,
    ConsultationCreate,
    ConsultationFilters,
    ConsultationPublic,
    ConsultationStatus,
    ConsultationTopic,
    ConsultationUpdate,
    FollowUp,
    FollowUpCreate,
    FollowUpPublic,
    FollowUpStatus,
    RequestDecision,
    Responsible,
    Topic,
)
from app.models.region import Region, RegionLevel, ancestor_codes
from app.models.sync import DeletedRecord, RecordKind
from app.services import audit
from app.services.cooperatives import PHONE_MASKED_ROLES, lock_cooperative

_COLUMNS = table_of(Consultation).c
_VILLAGE_LEVELS = {RegionLevel.desa.value, RegionLevel.kelurahan.value}
_OFFICE_ROLES = {Role.admin.value, Role.officer.value}
# A consultation "happened" at most this far ahead of the server clock (phones drift).
_CLOCK_SKEW = timedelta(minutes=10)


def visible_to(caller: Caller) -> list[Any]:
    """Consultations that exist for this caller: not deleted, in their region, and for a
    cooperative's account only its own."""
    return [
        _COLUMNS.deleted_at.is_(None),
        *levels_in_caller_scope(caller, _COLUMNS),
        *of_own_cooperative(caller, _COLUMNS.cooperative_id),
    ]


def audit_event(
    session: AsyncSession,
    caller: Caller,
    action: str,
    resource_id: int | None,
    consultation: Consultation,
    **change: Any,
) -> None:
    """One audit event; the action's prefix (`consultation.`, `follow_up.`) names the resource."""
    audit.record(
        session,
        caller,
        action=action,
        resource_type=action.split(".")[0],
        resource_id=resource_id,
        region_code=consultation.village_code,
        **change,
    )


def follow_up_public(follow_up: FollowUp, today: date) -> FollowUpPublic:
    return FollowUpPublic(
        id=follow_up.id,
        consultation_id=follow_up.consultation_id,
        description=follow_up.description,
        responsible=Responsible(follow_up.responsible),
        officer_id=follow_up.officer_id,
        due_date=follow_up.due_date,
        status=FollowUpStatus(follow_up.status),
        overdue=follow_up.status == FollowUpStatus.open and follow_up.due_date < today,
        outcome=follow_up.outcome,
        cancel_reason=follow_up.cancel_reason,
        closed_on=follow_up.closed_on,
        created_at=follow_up.created_at,
        updated_at=follow_up.updated_at,
        change=follow_up.change,
    )


async def _publish(
    session: AsyncSession, caller: Caller, consultations: list[Consultation], today: date
) -> list[ConsultationPublic]:
    """Public records with their topics and follow-ups, in two queries for the whole page."""
    ids = [c.id for c in consultations]
    topics: dict[int, list[Topic]] = {}
    follow_ups: dict[int, list[FollowUpPublic]] = {}
    if ids:
        for consultation_id, topic in await session.execute(
            select(col(ConsultationTopic.consultation_id), col(ConsultationTopic.topic)).where(
                col(ConsultationTopic.consultation_id).in_(ids)
            )
        ):
            topics.setdefault(consultation_id, []).append(Topic(topic))
        for follow_up in await session.scalars(
            select(FollowUp)
            .where(col(FollowUp.consultation_id).in_(ids))
            .order_by(col(FollowUp.id))
        ):
            follow_ups.setdefault(follow_up.consultation_id, []).append(
                follow_up_public(follow_up, today)
            )
    mask = caller.role in PHONE_MASKED_ROLES
    return [
        ConsultationPublic(
            **{
                name: getattr(c, name)
                for name in ConsultationPublic.model_fields
                if name not in ("topics", "follow_ups", "contact_phone")
            },
            contact_phone=mask_phone(c.contact_phone) if mask else c.contact_phone,
            # Read from the database, so each has its id.
            topics=sorted(topics.get(cast(int, c.id), []), key=list(Topic).index),
            follow_ups=follow_ups.get(cast(int, c.id), []),
        )
        for c in consultations
    ]


async def require_consultation(
    session: AsyncSession, caller: Caller, consultation_id: int
) -> Consultation:
    """The consultation, if it exists for this caller."""
    consultation = await session.scalar(
        select(Consultation).where(_COLUMNS.id == consultation_id, *visible_to(caller))
    )
    return _found(consultation, consultation_id)


async def lock_consultation(writer: Writer, consultation_id: int) -> Consultation:
    """The consultation, if it exists for the writer's caller, locked."""
    consultation = await writer.lock(Consultation, consultation_id, *visible_to(writer.caller))
    return _found(consultation, consultation_id)


def _found(consultation: Consultation | None, consultation_id: int) -> Consultation:
    if consultation is None:
        raise NotFound(
            "consultation {consultation_id} does not exist",
            params={"consultation_id": consultation_id},
        )
    return consultation


async def get_consultation(
    session: AsyncSession, caller: Caller, consultation_id: int, today: date
) -> ConsultationPublic:
    consultation = await require_consultation(session, caller, consultation_id)
    return (await _publish(session, caller, [consultation], today))[0]


def officer_id(caller: Caller, officer: str | None) -> int | None:
    """The account an `officer` filter names: `me`, or an account id."""
    if officer != "me":
        if officer and int(officer) > 2**31 - 1:
            # The pattern lets through ten digits; ids are 32-bit in the database.
            raise Invalid.field(["query", "officer"], "no account has an id this large")
        return int(officer) if officer else None
    if caller.principal.kind != "user":
        raise Invalid.field(["query", "officer"], "`me` needs a person's login, not an API key")
    return caller.principal.id


def _filter_conditions(caller: Caller, filters: ConsultationFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.cooperative_id is not None:
        conditions.append(_COLUMNS.cooperative_id == filters.cooperative_id)
    if filters.region:
        conditions.append(levels_in_region(_COLUMNS, filters.region))
    if filters.channel is not None:
        conditions.append(_COLUMNS.channel == filters.channel.value)
    if filters.topic is not None:
        conditions.append(
            _COLUMNS.id.in_(
                select(col(ConsultationTopic.consultation_id)).where(
                    col(ConsultationTopic.topic) == filters.topic.value
                )
            )
        )
    if (officer := officer_id(caller, filters.officer)) is not None:
        conditions.append(_COLUMNS.officer_id == officer)
    if filters.status is not None:
        conditions.append(_COLUMNS.status == filters.status.value)
    if filters.date_from is not None:
        conditions.append(_COLUMNS.occurred_at >= _start_of(filters.date_from))
    if filters.date_to is not None:
        conditions.append(_COLUMNS.occurred_at < _start_of(filters.date_to + timedelta(days=1)))
    return conditions


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def list_query(caller: Caller, filters: ConsultationFilters) -> Select[Any]:
    return select(Consultation).where(*visible_to(caller), *_filter_conditions(caller, filters))


def page_query(
    caller: Caller, filters: ConsultationFilters, limit: int, before_id: int | None = None
) -> Select[Any]:
    """One page, newest first: the office mostly looks at what happened lately."""
    query = list_query(caller, filters)
    if before_id is not None:
        query = query.where(_COLUMNS.id < before_id)
    return query.order_by(_COLUMNS.id.desc()).limit(limit)


async def list_consultations(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    filters: ConsultationFilters,
    today: date,
    updated_since: int | None,
) -> SyncPage[ConsultationPublic]:
    scope = {"filters": filters.model_dump(mode="json")}
    if updated_since is not None:
        changes = await sync_feed.changes_page(
            session,
            list_query(caller, filters),
            _COLUMNS.change,
            since=updated_since,
            codec=codec,
            page=page,
            scope=scope,
            removed=sync_feed.tombstones(
                RecordKind.consultation,
                caller,
                region=filters.region,
                cooperative_id=filters.cooperative_id,
            ),
        )
        return changes.page(await _publish(session, caller, changes.rows, today))
    (before_id,) = codec.decode(page.cursor, scope) if page.cursor else (None,)
    rows = list(await session.scalars(page_query(caller, filters, page.page_size + 1, before_id)))
    consultations, next_cursor = cut_page(rows, page, codec, scope, lambda c: [c.id])
    total = None
    if page.total:
        total = await session.scalar(
            select(func.count())
            .select_from(Consultation)
            .where(*visible_to(caller), *_filter_conditions(caller, filters))
        )
    items = await _publish(session, caller, consultations, today)
    return SyncPage(items=items, next_cursor=next_cursor, total=total)


async def office_account(
    session: AsyncSession, caller: Caller, user_id: int, village_code: str, loc: list[str | int]
) -> int:
    """`user_id` if it is an active officer or admin whose region covers the village. An
    account outside the caller's region gets the same answer as an id that does not exist,
    as everywhere else: naming one must not tell who works in another office."""
    user = await session.get(UserAccount, user_id)
    if (
        user is None
        or not in_caller_scope(caller, user.region_scope)
        or not user.is_active
        or user.role not in _OFFICE_ROLES
        or not lies_within(village_code, user.region_scope)
    ):
        raise Invalid.field(
            loc, "{user_id} is not an active officer for this village", params={"user_id": user_id}
        )
    return user_id


def _caller_user_id(caller: Caller) -> int | None:
    return caller.principal.id if caller.principal.kind == "user" else None


def check_follow_up_date(due: date, consultation: Consultation, loc: list[str | int]) -> None:
    happened = consultation.occurred_at
    if happened is not None and due < happened.date():
        raise Invalid.field(
            loc,
            "due {due} is before the consultation itself ({happened_on})",
            params={"due": due, "happened_on": happened.date()},
        )


async def new_follow_up(
    session: AsyncSession,
    caller: Caller,
    consultation: Consultation,
    data: FollowUpCreate,
    loc: list[str | int],
) -> FollowUp:
    check_follow_up_date(data.due_date, consultation, [*loc, "due_date"])
    officer_id = None
    if data.officer_id is not None:
        officer_id = await office_account(
            session, caller, data.officer_id, consultation.village_code, [*loc, "officer_id"]
        )
    elif data.responsible is Responsible.officer:
        officer_id = consultation.officer_id or _caller_user_id(caller)
    return FollowUp(
        consultation_id=cast(int, consultation.id),  # stored
        description=data.description,
        responsible=data.responsible.value,
        officer_id=officer_id,
        due_date=data.due_date,
    )


async def _where(writer: Writer, data: ConsultationCreate) -> tuple[int | None, str]:
    """The cooperative and village a new consultation is about."""
    session, caller = writer.session, writer.caller
    if data.cooperative_id is not None:
        try:
            # Locked, so that it cannot be removed between this check and the insert.
            cooperative = await lock_cooperative(writer, data.cooperative_id)
        except NotFound:
            raise Invalid.field(
                ["body", "cooperative_id"], "no such cooperative in your region"
            ) from None
        if data.village_code is not None and data.village_code != cooperative.village_code:
            raise Invalid.field(
                ["body", "village_code"],
                "cooperative {cooperative_id} is in {cooperative_village_code}; leave it out",
                params={
                    "cooperative_id": cooperative.id,
                    "cooperative_village_code": cooperative.village_code,
                },
            )
        return cooperative.id, cooperative.village_code
    if caller.role is Role.cooperative:
        raise Forbidden("a cooperative account requests consultations for its own cooperative")
    if data.village_code is None or data.contact_name is None:
        missing = "village_code" if data.village_code is None else "contact_name"
        raise Invalid.field(
            ["body", missing],
            "required when there is no cooperative yet (a group still forming one)",
        )
    village = await session.get(Region, data.village_code)
    if village is None or village.level not in _VILLAGE_LEVELS:
        raise Invalid.field(["body", "village_code"], "not a desa or kelurahan")
    if not in_caller_scope(caller, village.code):
        raise Invalid.field(["body", "village_code"], "lies outside your region")
    return None, village.code


async def create_consultation(
    writer: Writer, data: ConsultationCreate, today: date
) -> ConsultationPublic:
    session, caller = writer.session, writer.caller
    is_request = caller.role is Role.cooperative
    if is_request:
        if data.cooperative_id is None:
            data = data.model_copy(update={"cooperative_id": own_cooperative_id(caller)})
        for field in ("officer_id", "advice", "follow_ups"):
            if getattr(data, field):
                raise Invalid.field(["body", field], "the office fills this in, not a request")
    elif data.occurred_at is None:
        raise Invalid.field(["body", "occurred_at"], "when did it happen?")
    if (
        not is_request
        and data.occurred_at is not None
        and data.occurred_at > utcnow() + _CLOCK_SKEW
    ):
        raise Invalid.field(["body", "occurred_at"], "is in the future; record what has happened")
    if (data.latitude is None) != (data.longitude is None):
        raise Invalid.field(["body", "longitude"], "give both latitude and longitude, or neither")

    cooperative_id, village_code = await _where(writer, data)
    officer_id = None
    if not is_request:
        officer_id = (
            await office_account(
                session, caller, data.officer_id, village_code, ["body", "officer_id"]
            )
            if data.officer_id is not None
            else _caller_user_id(caller)
        )
    province, regency, district = ancestor_codes(village_code)
    consultation = Consultation(
        cooperative_id=cooperative_id,
        village_code=village_code,
        district_code=district,
        regency_code=regency,
        province_code=province,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        occurred_at=data.occurred_at,
        duration_minutes=data.duration_minutes,
        channel=data.channel.value,
        officer_id=officer_id,
        status=(ConsultationStatus.requested if is_request else ConsultationStatus.held).value,
        business_units=[unit.value for unit in dict.fromkeys(data.business_units)],
        summary=data.summary,
        advice=data.advice,
        latitude=data.latitude,
        longitude=data.longitude,
        created_by=caller.principal.actor,
    )
    session.add(consultation)
    await session.flush()
    assert consultation.id is not None  # flushed
    session.add_all(
        ConsultationTopic(consultation_id=consultation.id, topic=topic.value)
        for topic in dict.fromkeys(data.topics)
    )
    for index, follow_up in enumerate(data.follow_ups):
        session.add(
            await new_follow_up(
                session, caller, consultation, follow_up, ["body", "follow_ups", index]
            )
        )
    await session.flush()
    public = (await _publish(session, caller, [consultation], today))[0]
    audit_event(
        session,
        caller,
        "consultation.request" if is_request else "consultation.create",
        consultation.id,
        consultation,
        after=public,
    )
    await writer.record(public)
    await writer.commit()
    return public


async def update_consultation(
    writer: Writer,
    consultation_id: int,
    patch: ConsultationUpdate,
    today: date,
    *,
    if_match: str | None,
) -> ConsultationPublic:
    session, caller = writer.session, writer.caller
    consultation = await lock_consultation(writer, consultation_id)
    before = (await _publish(session, caller, [consultation], today))[0]
    changes = patch.model_dump(exclude_unset=True)
    require_if_match(if_match, before, "consultation")
    if "status" in changes and changes["status"] != consultation.status:
        allowed = {ConsultationStatus.accepted.value: ConsultationStatus.held.value}
        if allowed.get(consultation.status) != changes["status"]:
            raise Conflict(
                "a {consultation_status} consultation cannot become {wanted}; requests are "
                "accepted or declined with their own endpoints, and an accepted one becomes held "
                "once it has taken place",
                params={"consultation_status": consultation.status, "wanted": changes["status"]},
            )
    status = changes.get("status", consultation.status)
    occurred_at = changes.get("occurred_at", consultation.occurred_at)
    if status == ConsultationStatus.held and occurred_at is None:
        raise Invalid.field(["body", "occurred_at"], "a held consultation needs its date")
    if "officer_id" in changes and changes["officer_id"] is not None:
        await office_account(
            session,
            caller,
            changes["officer_id"],
            consultation.village_code,
            ["body", "officer_id"],
        )
    if "topics" in changes:
        topics = changes.pop("topics") or []
        await session.execute(
            delete(ConsultationTopic).where(
                col(ConsultationTopic.consultation_id) == consultation_id
            )
        )
        session.add_all(
            ConsultationTopic(consultation_id=consultation_id, topic=str(topic))
            for topic in dict.fromkeys(topics)
        )
    if "business_units" in changes:
        changes["business_units"] = [str(u) for u in dict.fromkeys(changes["business_units"] or [])]
    consultation.sqlmodel_update(changes)
    if (consultation.latitude is None) != (consultation.longitude is None):
        raise Invalid.field(["body", "longitude"], "give both latitude and longitude, or neither")
    consultation.updated_at = utcnow()
    await session.flush()
    after = (await _publish(session, caller, [consultation], today))[0]
    audit_event(
        session,
        caller,
        "consultation.update",
        consultation_id,
        consultation,
        before=before,
        after=after,
    )
    await writer.commit()
    return after


async def decide_request(
    writer: Writer,
    consultation_id: int,
    decision: RequestDecision,
    *,
    accept: bool,
    today: date,
) -> ConsultationPublic:
    session, caller = writer.session, writer.caller
    consultation = await lock_consultation(writer, consultation_id)
    if consultation.status != ConsultationStatus.requested:
        raise Conflict(
            "consultation {consultation_id} is {consultation_status}; only a requested one can be "
            "accepted or declined",
            params={"consultation_id": consultation_id, "consultation_status": consultation.status},
        )
    before = (await _publish(session, caller, [consultation], today))[0]
    consultation.status = (
        ConsultationStatus.accepted if accept else ConsultationStatus.declined
    ).value
    if accept:
        consultation.officer_id = (
            await office_account(
                session,
                caller,
                decision.officer_id,
                consultation.village_code,
                ["body", "officer_id"],
            )
            if decision.officer_id is not None
            else _caller_user_id(caller)
        )
    if decision.note:
        consultation.advice = decision.note
    consultation.updated_at = utcnow()
    await session.flush()
    after = (await _publish(session, caller, [consultation], today))[0]
    audit_event(
        session,
        caller,
        "consultation.accept" if accept else "consultation.decline",
        consultation_id,
        consultation,
        before=before,
        after=after,
    )
    await writer.record(after)
    await writer.commit()
    return after


async def delete_consultation(
    writer: Writer,
    consultation_id: int,
    reason: str,
    today: date,
    *,
    if_match: str | None,
) -> None:
    session, caller = writer.session, writer.caller
    consultation = await lock_consultation(writer, consultation_id)
    before = (await _publish(session, caller, [consultation], today))[0]
    require_if_match(if_match, before, "consultation")
    now = utcnow()
    consultation.deleted_at = now
    consultation.deleted_by = caller.principal.actor
    consultation.deleted_reason = reason
    consultation.updated_at = now
    # It leaves every list, and its follow-ups with it: syncing clients must drop them.
    where: dict[str, Any] = {
        "region_code": consultation.village_code,
        "cooperative_id": consultation.cooperative_id,
        "deleted_at": now,
    }
    follow_ups = await session.scalars(
        # The id column holds no NULL, whatever SQLModel's `int | None` says.
        select(cast(Mapped[int], FollowUp.id)).where(
            col(FollowUp.consultation_id) == consultation_id
        )
    )
    session.add(DeletedRecord(kind=RecordKind.consultation, record_id=consultation_id, **where))
    session.add_all(
        DeletedRecord(kind=RecordKind.follow_up, record_id=follow_up_id, **where)
        for follow_up_id in follow_ups
    )
    audit_event(
        session,
        caller,
        "consultation.delete",
        consultation_id,
        consultation,
        before=before,
        after={"deleted_reason": reason},
    )
    await writer.commit()
