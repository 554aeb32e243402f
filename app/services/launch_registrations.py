"""Delegates registered to a launch's hubs: within each hub's capacity, with only what the
launch needs (a name, a role, an optional phone; no NIK), each with a short check-in code."""

import io
import secrets
from typing import Any

import segno
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import registrations_in_caller_reach, sees_cooperative
from app.errors import N_, Conflict, Invalid, NotFound
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams
from app.models.common import mask_phone, utcnow
from app.models.cooperative import Cooperative
from app.models.launch import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Launch,
    LaunchCheckIn,
    LaunchHub,
    LaunchRegistration,
    RegistrationCreate,
    RegistrationPublic,
    RegistrationUpdate,
)
from app.models.region import ancestor_codes
from app.services import audit
from app.services.cooperatives import PHONE_MASKED_ROLES
from app.services.launches import visible_launch


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def qr_svg(code: str) -> bytes:
    """The check-in code as a QR code: what the hub's phone scans."""
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="svg", scale=8, border=2, title=code)
    return out.getvalue()


def _rows(caller: Caller, launch_id: int) -> Any:
    return (
        select(
            LaunchRegistration,
            col(Cooperative.name),
            col(LaunchCheckIn.scanned_at),
            col(LaunchCheckIn.hub_id),
        )
        .join(Cooperative, col(Cooperative.id) == col(LaunchRegistration.cooperative_id))
        .outerjoin(LaunchCheckIn, col(LaunchCheckIn.registration_id) == col(LaunchRegistration.id))
        .where(
            col(LaunchRegistration.launch_id) == launch_id,
            *registrations_in_caller_reach(caller),
        )
    )


def _public(caller: Caller, found: Any) -> RegistrationPublic:
    registration, cooperative, checked_in_at, checked_in_hub_id = found
    phone = registration.phone
    return RegistrationPublic.model_validate(
        {
            **registration.model_dump(),
            "cooperative": cooperative,
            "phone": mask_phone(phone) if caller.role in PHONE_MASKED_ROLES else phone,
            "checked_in_at": checked_in_at,
            "checked_in_hub_id": checked_in_hub_id,
        }
    )


def _not_found(registration_id: int) -> NotFound:
    return NotFound(
        "registration {registration_id} does not exist",
        params={"registration_id": registration_id},
    )


async def _answer(
    session: AsyncSession, caller: Caller, launch_id: int, registration_id: int
) -> Any:
    found = (
        await session.execute(
            _rows(caller, launch_id).where(col(LaunchRegistration.id) == registration_id)
        )
    ).first()
    if found is None:
        raise _not_found(registration_id)
    return _public(caller, found)


async def list_registrations(
    session: AsyncSession,
    caller: Caller,
    launch_id: int,
    codec: CursorCodec,
    page: PageParams,
    *,
    hub_id: int | None,
    cooperative_id: int | None,
) -> Page[RegistrationPublic]:
    """The delegates within your reach, by id: a hub's list to tick, or a cooperative's."""
    await visible_launch(session, caller, launch_id)
    query = _rows(caller, launch_id)
    scope: dict[str, Any] = {
        "list": "launch_registrations",
        "launch": launch_id,
        "hub": hub_id,
        "cooperative": cooperative_id,
    }
    if hub_id is not None:
        query = query.where(col(LaunchRegistration.hub_id) == hub_id)
    if cooperative_id is not None:
        query = query.where(col(LaunchRegistration.cooperative_id) == cooperative_id)
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(col(LaunchRegistration.id) > after_id)
    rows = list(
        (
            await session.execute(
                query.order_by(col(LaunchRegistration.id)).limit(page.page_size + 1)
            )
        ).all()
    )
    more = len(rows) > page.page_size
    rows = rows[: page.page_size]
    next_cursor = codec.encode([rows[-1][0].id], scope) if more else None
    return Page(items=[_public(caller, r) for r in rows], next_cursor=next_cursor, total=total)


async def get_registration(
    session: AsyncSession, caller: Caller, launch_id: int, registration_id: int
) -> RegistrationPublic:
    await visible_launch(session, caller, launch_id)
    return await _answer(session, caller, launch_id, registration_id)


async def registration_qr(
    session: AsyncSession, caller: Caller, launch_id: int, registration_id: int
) -> bytes:
    return qr_svg((await get_registration(session, caller, launch_id, registration_id)).code)


async def _hub_serving(session: AsyncSession, launch_id: int, village_code: str) -> int:
    """The hub of the launch that serves the village: the one of the smallest region holding
    it."""
    codes = [*ancestor_codes(village_code), village_code]
    hub_id = await session.scalar(
        select(col(LaunchHub.id))
        .where(col(LaunchHub.launch_id) == launch_id, col(LaunchHub.region_code).in_(codes))
        .order_by(func.length(col(LaunchHub.region_code)).desc(), col(LaunchHub.id))
        .limit(1)
    )
    if hub_id is None:
        raise Invalid.field(
            ["body", "hub_id"],
            "no hub of this launch serves {village}; name the hub to attend",
            params={"village": village_code},
        )
    return hub_id


async def _refuse_repeat(
    session: AsyncSession, launch_id: int, cooperative_id: int, name: str
) -> None:
    """A delegate is registered once (known by their cooperative and name), so a form sent
    twice registers nobody twice."""
    code = await session.scalar(
        select(col(LaunchRegistration.code)).where(
            col(LaunchRegistration.launch_id) == launch_id,
            col(LaunchRegistration.cooperative_id) == cooperative_id,
            func.lower(col(LaunchRegistration.name)) == name.casefold(),
        )
    )
    if code is not None:
        raise Conflict(
            "{delegate} of this cooperative is already registered (code {code})",
            params={"delegate": name, "code": code},
        )


async def _take_seat(writer: Writer, launch: Launch, hub_id: int) -> LaunchHub:
    """The hub, locked so that two registrations cannot take its last seat at once; a 409 when
    it is full."""
    hub = await writer.lock(LaunchHub, hub_id, col(LaunchHub.launch_id) == launch.id)
    if hub is None:
        raise Invalid.field(
            ["body", "hub_id"],
            "launch {launch_id} has no hub {hub_id}",
            params={"launch_id": launch.id, "hub_id": hub_id},
        )
    taken = await writer.session.scalar(
        select(func.count()).where(col(LaunchRegistration.hub_id) == hub_id)
    )
    if (taken or 0) >= hub.capacity:
        raise Conflict(
            "hub {hub} is full: its {capacity} seats are taken; choose another hub",
            params={"hub": hub.name, "capacity": hub.capacity},
        )
    return hub


async def _unused_code(session: AsyncSession, launch_id: int) -> str:
    while True:
        code = new_code()
        taken = await session.scalar(
            select(col(LaunchRegistration.id)).where(
                col(LaunchRegistration.launch_id) == launch_id,
                col(LaunchRegistration.code) == code,
            )
        )
        if taken is None:
            return code


async def register(writer: Writer, launch_id: int, data: RegistrationCreate) -> RegistrationPublic:
    session, caller = writer.session, writer.caller
    launch = await visible_launch(session, caller, launch_id)
    cooperative = await writer.lock(Cooperative, data.cooperative_id, shared=True)
    if cooperative is None or not sees_cooperative(caller, cooperative):
        raise Invalid.field(
            ["body", "cooperative_id"],
            "cooperative {cooperative_id} does not exist",
            params={"cooperative_id": data.cooperative_id},
        )
    await _refuse_repeat(session, launch_id, data.cooperative_id, data.name)
    hub_id = data.hub_id or await _hub_serving(session, launch_id, cooperative.village_code)
    await _take_seat(writer, launch, hub_id)
    registration = LaunchRegistration(
        launch_id=launch_id,
        hub_id=hub_id,
        cooperative_id=data.cooperative_id,
        village_code=cooperative.village_code,
        name=data.name,
        role=data.role,
        phone=data.phone,
        code=await _unused_code(session, launch_id),
    )
    session.add(registration)
    await session.flush()
    answer = await _answer(session, caller, launch_id, registration.id)  # type: ignore[arg-type]
    audit.record(
        session,
        caller,
        action="launch_registration.create",
        resource_type="launch_registration",
        resource_id=registration.id,
        region_code=registration.village_code,
        after=answer,
    )
    await writer.record(answer)
    await writer.commit()
    return answer


async def _to_change(
    writer: Writer, launch_id: int, registration_id: int, if_match: str | None
) -> tuple[Launch, LaunchRegistration, RegistrationPublic]:
    session, caller = writer.session, writer.caller
    launch = await visible_launch(session, caller, launch_id)
    registration = await writer.lock(
        LaunchRegistration,
        registration_id,
        col(LaunchRegistration.launch_id) == launch_id,
        *registrations_in_caller_reach(caller),
    )
    if registration is None:
        raise _not_found(registration_id)
    before = await _answer(session, caller, launch_id, registration_id)
    require_if_match(if_match, before, "registration")
    return launch, registration, before


def _refuse_after_check_in(before: RegistrationPublic, message: str) -> None:
    if before.checked_in_at is not None:
        raise Conflict(message, params={"name": before.name})


async def update_registration(
    writer: Writer,
    launch_id: int,
    registration_id: int,
    data: RegistrationUpdate,
    *,
    if_match: str | None,
) -> RegistrationPublic:
    """Change a delegate; a move to another hub frees the seat at the first."""
    session, caller = writer.session, writer.caller
    launch, registration, before = await _to_change(writer, launch_id, registration_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    if data.hub_id is not None and data.hub_id != registration.hub_id:
        _refuse_after_check_in(before, N_("{name} has already checked in: too late to move them"))
        await _take_seat(writer, launch, data.hub_id)
    for field, value in changes.items():
        setattr(registration, field, value)
    registration.updated_at = utcnow()
    await session.flush()
    after = await _answer(session, caller, launch_id, registration_id)
    audit.record(
        session,
        caller,
        action="launch_registration.update",
        resource_type="launch_registration",
        resource_id=registration_id,
        region_code=registration.village_code,
        before=before,
        after=after,
    )
    await writer.commit()
    return after


async def cancel_registration(
    writer: Writer, launch_id: int, registration_id: int, *, if_match: str | None
) -> None:
    """Cancel a delegate's registration, which frees their seat."""
    session, caller = writer.session, writer.caller
    _, registration, before = await _to_change(writer, launch_id, registration_id, if_match)
    _refuse_after_check_in(before, N_("{name} has already checked in: too late to cancel"))
    await session.delete(registration)
    audit.record(
        session,
        caller,
        action="launch_registration.delete",
        resource_type="launch_registration",
        resource_id=registration_id,
        region_code=registration.village_code,
        before=before,
    )
    await writer.commit()
