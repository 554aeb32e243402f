"""Launches and their hubs: a saved plan made into an event, each hub's place, capacity,
coordinator and readiness checklist, and the status derived from it."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.permissions import Permission
from app.access.scope import (
    account_reaches,
    check_in_caller_scope,
    code_in_region,
    coordinates,
    hubs_in_caller_reach,
    launches_in_caller_reach,
    runs_launch,
)
from app.errors import Forbidden, Invalid, NotFound
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.account import Role, UserAccount
from app.models.common import utcnow
from app.models.launch import (
    HubCreate,
    HubPublic,
    HubStatus,
    HubUpdate,
    Launch,
    LaunchCreate,
    LaunchHub,
    LaunchPublic,
    LaunchRegistration,
    LaunchUpdate,
    Readiness,
    ReadinessReason,
    ReadinessUpdate,
)
from app.models.region import Region
from app.services import audit, launch_plans
from planner import default_catalog
from planner.regions import access

# A measured speed under this multiple of the need leaves no room for a neighbour's download.
SAFE_MARGIN = 1.2
# From this long before the start, a hub that is not ready is flagged on the board.
FLAG_FROM = timedelta(days=3)
_BLOCKING = {
    Readiness.no_coordinator,
    Readiness.venue_unconfirmed,
    Readiness.no_screen,
    Readiness.no_sound,
    Readiness.no_power,
    Readiness.internet_untested,
    Readiness.internet_too_slow,
}


# --- launches ---------------------------------------------------------------------------------


def _launch_found(launch: Launch | None, launch_id: int) -> Launch:
    if launch is None:
        raise NotFound("launch {launch_id} does not exist", params={"launch_id": launch_id})
    return launch


def sees_links(caller: Caller, launch: Launch) -> bool:
    """The meeting and stream links are for the hubs' coordinators and the office running it."""
    return caller.role is Role.coordinator or (
        runs_launch(caller, launch) and Permission.launches_write in caller.principal.permissions
    )


async def _public(session: AsyncSession, caller: Caller, launch: Launch) -> LaunchPublic:
    hubs = await session.scalar(
        select(func.count())
        .select_from(LaunchHub)
        .where(col(LaunchHub.launch_id) == launch.id, *hubs_in_caller_reach(caller))
    )
    links = sees_links(caller, launch)
    return LaunchPublic.model_validate(
        {
            **launch.model_dump(),
            "hubs": hubs or 0,
            "meeting_url": launch.meeting_url if links else None,
            "stream_url": launch.stream_url if links else None,
        }
    )


async def visible_launch(session: AsyncSession, caller: Caller, launch_id: int) -> Launch:
    launch = await session.scalar(
        select(Launch).where(col(Launch.id) == launch_id, *launches_in_caller_reach(caller))
    )
    return _launch_found(launch, launch_id)


async def _launch_to_change(writer: Writer, launch_id: int) -> Launch:
    """The launch locked for a change by the office that runs it; others get a 404 if they
    cannot see it, a 403 if they can but do not run it."""
    caller = writer.caller
    launch = _launch_found(
        await writer.lock(Launch, launch_id, *launches_in_caller_reach(caller)), launch_id
    )
    if not runs_launch(caller, launch):
        raise Forbidden(
            "launch {launch_id} is run by the office of {region}; ask it to change it",
            params={"launch_id": launch_id, "region": launch.region or "Indonesia"},
        )
    return launch


async def list_launches(
    session: AsyncSession, caller: Caller, codec: CursorCodec, page: PageParams
) -> Page[LaunchPublic]:
    found = await page_by_id(
        session,
        Launch,
        launches_in_caller_reach(caller),
        codec,
        page,
        {"list": "launches"},
        newest_first=True,
    )
    items = [await _public(session, caller, launch) for launch in found.rows]
    return Page(items=items, next_cursor=found.next_cursor, total=found.total)


async def get_launch(session: AsyncSession, caller: Caller, launch_id: int) -> LaunchPublic:
    return await _public(session, caller, await visible_launch(session, caller, launch_id))


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid.field(["body", "ends_at"], "must be after the start")


def _hub_download(bandwidth: dict[str, Any]) -> float:
    """What one hub's internet must carry: the plan's figure when its hubs are what it counts;
    an online plan counts per participant, so its watch parties take the catalog's per hub."""
    if bandwidth["downlink_per"] == "hub":
        return float(bandwidth["downlink_mbps"])
    return float(default_catalog().value("bandwidth.hub_mbps"))


def _hubs_of_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return list(plan.get("hubs") or [])


async def create_launch(writer: Writer, data: LaunchCreate) -> LaunchPublic:
    session, caller = writer.session, writer.caller
    _check_window(data.starts_at, data.ends_at)
    saved = await launch_plans.get_plan(session, caller, data.plan_id)
    check_in_caller_scope(caller, saved.region, ["body", "plan_id"])
    result = saved.result
    chosen = data.format or result["recommendation"]["format"]
    if chosen is None:
        raise Invalid.field(
            ["body", "format"],
            "the plan recommends no format; name the one to run",
        )
    plan = result["plans"][chosen]
    launch = Launch(
        region=saved.region,
        name=data.name,
        plan_id=saved.id,
        format=chosen,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        planned=plan["participants"],
        meeting_url=data.meeting_url,
        stream_url=data.stream_url,
        hub_down_mbps=_hub_download(plan["bandwidth"]),
        hub_up_mbps=data.hub_up_mbps,
        created_by=caller.principal.actor,
    )
    session.add(launch)
    await session.flush()
    planned_hubs = _hubs_of_plan(plan)
    names = dict(
        (
            await session.execute(
                select(col(Region.code), col(Region.name)).where(
                    col(Region.code).in_([hub["code"] for hub in planned_hubs])
                )
            )
        ).all()
    )
    unpowered = access().no_power
    session.add_all(
        LaunchHub(
            launch_id=launch.id,  # type: ignore[arg-type]  # flushed above
            region_code=hub["code"],
            name=names.get(hub["code"], hub["code"]),
            place_code=hub.get("site") or None,
            capacity=max(hub["attendees"], 1),
            planned=hub["attendees"],
            connections=hub.get("connections", 1),
            generator_needed=hub.get("site", "") in unpowered,
        )
        for hub in planned_hubs
    )
    await session.flush()
    answer = await _public(session, caller, launch)
    audit.record(
        session,
        caller,
        action="launch.create",
        resource_type="launch",
        resource_id=launch.id,
        region_code=launch.region,
        after=answer,
    )
    await writer.record(answer)
    await writer.commit()
    return answer


async def update_launch(
    writer: Writer, launch_id: int, data: LaunchUpdate, *, if_match: str | None
) -> LaunchPublic:
    session, caller = writer.session, writer.caller
    launch = await _launch_to_change(writer, launch_id)
    before = await _public(session, caller, launch)
    require_if_match(if_match, before, "launch")
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(launch, field, value)
    _check_window(launch.starts_at, launch.ends_at)
    launch.updated_at = utcnow()
    await session.flush()
    after = await _public(session, caller, launch)
    audit.record(
        session,
        caller,
        action="launch.update",
        resource_type="launch",
        resource_id=launch_id,
        region_code=launch.region,
        before=before,
        after=after,
    )
    await writer.commit()
    return after


# --- readiness --------------------------------------------------------------------------------


def readiness(hub: LaunchHub, launch: Launch) -> list[ReadinessReason]:
    """What keeps the hub from being ready, blocking reasons first."""
    missing = [
        (hub.coordinator_id is None, Readiness.no_coordinator),
        (not hub.venue_confirmed, Readiness.venue_unconfirmed),
        (not hub.screen_ready, Readiness.no_screen),
        (not hub.sound_ready, Readiness.no_sound),
        (not hub.power_ready, Readiness.no_power),
    ]
    reasons = [reason for absent, reason in missing if absent]
    reasons += _internet(hub, launch)
    if not hub.rehearsal_done:
        reasons.append(Readiness.no_rehearsal)
    reasons.sort(key=lambda reason: reason not in _BLOCKING)
    return [ReadinessReason(reason=r, blocking=r in _BLOCKING) for r in reasons]


def internet_needs(
    launch: Launch | LaunchPublic, hub: LaunchHub | HubPublic
) -> tuple[float, float | None]:
    """The download and upload (Mbps; no upload when the launch names none) that `readiness`
    judges the hub's internet test against: the launch's need per hall, times its halls."""
    up = launch.hub_up_mbps * hub.connections if launch.hub_up_mbps is not None else None
    return launch.hub_down_mbps * hub.connections, up


def _internet(hub: LaunchHub, launch: Launch) -> list[Readiness]:
    if hub.down_mbps is None or hub.up_mbps is None:
        return [Readiness.internet_untested]
    down, up = internet_needs(launch, hub)
    needs = [(hub.down_mbps, down)] + ([(hub.up_mbps, up)] if up is not None else [])
    if any(measured < need for measured, need in needs):
        return [Readiness.internet_too_slow]
    if any(measured < need * SAFE_MARGIN for measured, need in needs):
        return [Readiness.internet_thin_margin]
    return []


def status_of(reasons: list[ReadinessReason]) -> HubStatus:
    if any(reason.blocking for reason in reasons):
        return HubStatus.not_ready
    return HubStatus.at_risk if reasons else HubStatus.ready


def flagged(status: HubStatus, launch: Launch, now: datetime) -> bool:
    return status is not HubStatus.ready and now >= launch.starts_at - FLAG_FROM


# --- hubs -------------------------------------------------------------------------------------


def _registered() -> Any:
    return (
        select(func.count())
        .where(col(LaunchRegistration.hub_id) == col(LaunchHub.id))
        .correlate(LaunchHub)
        .scalar_subquery()
    )


def _hub_rows(caller: Caller, launch_id: int) -> Any:
    return (
        select(LaunchHub, _registered(), col(UserAccount.username))
        .outerjoin(UserAccount, col(UserAccount.id) == col(LaunchHub.coordinator_id))
        .where(col(LaunchHub.launch_id) == launch_id, *hubs_in_caller_reach(caller))
    )


def hub_public(
    hub: LaunchHub, launch: Launch, registered: int, coordinator: str | None, now: datetime
) -> HubPublic:
    reasons = readiness(hub, launch)
    status = status_of(reasons)
    return HubPublic.model_validate(
        {
            **hub.model_dump(),
            "registered": registered,
            "coordinator": coordinator,
            "status": status,
            "reasons": reasons,
            "flagged": flagged(status, launch, now),
        }
    )


async def _hub_answer(session: AsyncSession, caller: Caller, launch: Launch, hub_id: int) -> Any:
    found = (
        await session.execute(
            _hub_rows(caller, launch.id).where(col(LaunchHub.id) == hub_id)  # type: ignore[arg-type]  # stored
        )
    ).first()
    if found is None:
        raise NotFound("hub {hub_id} does not exist", params={"hub_id": hub_id})
    hub, registered, coordinator = found
    return hub_public(hub, launch, registered, coordinator, utcnow())


async def list_hubs(
    session: AsyncSession,
    caller: Caller,
    launch_id: int,
    codec: CursorCodec,
    page: PageParams,
    within: str | None,
) -> Page[HubPublic]:
    """The hubs of the launch within your reach (and within `within`, e.g. a district), by id."""
    launch = await visible_launch(session, caller, launch_id)
    query = _hub_rows(caller, launch_id)
    scope: dict[str, Any] = {"list": "launch_hubs", "launch": launch_id, "within": within}
    if within:
        query = query.where(code_in_region(col(LaunchHub.region_code), within))
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(col(LaunchHub.id) > after_id)
    rows = list(
        (await session.execute(query.order_by(col(LaunchHub.id)).limit(page.page_size + 1))).all()
    )
    more = len(rows) > page.page_size
    rows = rows[: page.page_size]
    now = utcnow()
    items = [hub_public(hub, launch, n, name, now) for hub, n, name in rows]
    next_cursor = codec.encode([rows[-1][0].id], scope) if more else None
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return Page(items=items, next_cursor=next_cursor, total=total)


async def get_hub(session: AsyncSession, caller: Caller, launch_id: int, hub_id: int) -> HubPublic:
    launch = await visible_launch(session, caller, launch_id)
    return await _hub_answer(session, caller, launch, hub_id)


async def _check_coordinator(writer: Writer, coordinator_id: int | None, region: str) -> None:
    if coordinator_id is None:
        return
    account = await writer.lock(UserAccount, coordinator_id, shared=True)
    if (
        account is None
        or account.role != Role.coordinator
        or not account.is_active
        or not account_reaches(account, region)
    ):
        raise Invalid.field(
            ["body", "coordinator_id"],
            "must be an active coordinator account whose region holds the hub's",
        )


async def _check_place(session: AsyncSession, place_code: str | None) -> None:
    if place_code is not None and await session.get(Region, place_code) is None:
        raise Invalid.field(
            ["body", "place_code"], "no village has the code {code}", params={"code": place_code}
        )


async def add_hub(writer: Writer, launch_id: int, data: HubCreate) -> HubPublic:
    session, caller = writer.session, writer.caller
    launch = await _launch_to_change(writer, launch_id)
    check_in_caller_scope(caller, data.region_code, ["body", "region_code"])
    if await session.get(Region, data.region_code) is None:
        raise Invalid.field(
            ["body", "region_code"],
            "no region has the code {code}",
            params={"code": data.region_code},
        )
    await _check_place(session, data.place_code)
    await _check_coordinator(writer, data.coordinator_id, data.region_code)
    hub = LaunchHub(
        launch_id=launch_id,
        **data.model_dump(),
        generator_needed=(data.place_code or "") in access().no_power,
    )
    session.add(hub)
    await session.flush()
    answer = await _hub_answer(session, caller, launch, hub.id)  # type: ignore[arg-type]  # flushed
    audit.record(
        session,
        caller,
        action="launch_hub.create",
        resource_type="launch_hub",
        resource_id=hub.id,
        region_code=hub.region_code,
        after=answer,
    )
    await writer.record(answer)
    await writer.commit()
    return answer


async def _hub_to_change(writer: Writer, launch: Launch, hub_id: int) -> LaunchHub:
    hub = await writer.lock(
        LaunchHub,
        hub_id,
        col(LaunchHub.launch_id) == launch.id,
        *hubs_in_caller_reach(writer.caller),
    )
    if hub is None:
        raise NotFound("hub {hub_id} does not exist", params={"hub_id": hub_id})
    return hub


async def update_hub(
    writer: Writer, launch_id: int, hub_id: int, data: HubUpdate, *, if_match: str | None
) -> HubPublic:
    session, caller = writer.session, writer.caller
    launch = await _launch_to_change(writer, launch_id)
    hub = await _hub_to_change(writer, launch, hub_id)
    before = await _hub_answer(session, caller, launch, hub_id)
    require_if_match(if_match, before, "hub")
    changes = data.model_dump(exclude_unset=True)
    if "place_code" in changes:
        await _check_place(session, data.place_code)
        hub.generator_needed = (data.place_code or "") in access().no_power
    if "coordinator_id" in changes:
        await _check_coordinator(writer, data.coordinator_id, hub.region_code)
    if data.capacity is not None and data.capacity < before.registered:
        raise Invalid.field(
            ["body", "capacity"],
            "{registered} delegates are registered here; move or cancel some first",
            params={"registered": before.registered},
        )
    for field, value in changes.items():
        setattr(hub, field, value)
    return await _save_hub(writer, launch, hub, before, "launch_hub.update")


async def update_readiness(
    writer: Writer, launch_id: int, hub_id: int, data: ReadinessUpdate, *, if_match: str | None
) -> HubPublic:
    """Tick the checklist: the hub's coordinator, or the office that runs the launch."""
    session, caller = writer.session, writer.caller
    launch = await visible_launch(session, caller, launch_id)
    hub = await _hub_to_change(writer, launch, hub_id)
    if not (coordinates(caller, hub) or runs_launch(caller, launch)):
        raise Forbidden("only the hub's coordinator or the office running the launch may")
    before = await _hub_answer(session, caller, launch, hub_id)
    require_if_match(if_match, before, "hub")
    changes = data.model_dump(exclude_unset=True)
    if ("down_mbps" in changes) != ("up_mbps" in changes):
        raise Invalid.field(["body", "up_mbps"], "send the download and the upload of one test")
    for field, value in changes.items():
        setattr(hub, field, value)
    if "down_mbps" in changes:
        hub.internet_tested_at = utcnow()
    return await _save_hub(writer, launch, hub, before, "launch_hub.readiness")


async def _save_hub(
    writer: Writer, launch: Launch, hub: LaunchHub, before: HubPublic, action: str
) -> HubPublic:
    session, caller = writer.session, writer.caller
    hub.updated_at = utcnow()
    await session.flush()
    after = await _hub_answer(session, caller, launch, hub.id)  # type: ignore[arg-type]  # stored
    audit.record(
        session,
        caller,
        action=action,
        resource_type="launch_hub",
        resource_id=hub.id,
        region_code=hub.region_code,
        before=before,
        after=after,
    )
    await writer.commit()
    return after


async def coordinator_choices(
    session: AsyncSession, caller: Caller, launch_id: int, hub_id: int
) -> list[tuple[int, str]]:
    """The accounts the office may make the hub's coordinator (active `coordinator` accounts
    whose region holds the hub's, as `update_hub` requires), by username; none for a caller
    whose office does not run the launch."""
    launch = await visible_launch(session, caller, launch_id)
    hub = await _hub_answer(session, caller, launch, hub_id)
    if not runs_launch(caller, launch):
        return []
    accounts = await session.scalars(
        select(UserAccount)
        .where(col(UserAccount.role) == Role.coordinator.value, col(UserAccount.is_active))
        .order_by(col(UserAccount.username))
    )
    return [
        (account.id, account.username)
        for account in accounts
        if account.id is not None and account_reaches(account, hub.region_code)
    ]
