"""Check-in on the day, and the count it makes.

A hub's phone sends what it queued as one batch. Each registered delegate is counted once, by
the primary key of `launch_check_in` (their registration), so a retry or a second scan of the
same code answers `already` and adds nothing; a walk-in count carries the phone's own id for the
same reason. A batch is one INSERT for the delegates and one for the walk-ins, so its cost hardly
grows with its size.
"""

from collections import defaultdict
from collections.abc import AsyncGenerator
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import (
    code_in_region,
    hub_reach_conditions,
    hub_reach_values,
    hubs_in_caller_reach,
    reach_key,
)
from app.core.db import own_session
from app.core.sql import dialect_insert
from app.errors import NotFound
from app.http.events import board_event
from app.http.idempotency import Writer
from app.models.common import table_of, utcnow
from app.models.launch import (
    Board,
    BoardLevel,
    BoardRow,
    CheckInAnswer,
    CheckInBatch,
    CheckInOutcome,
    CheckInResult,
    Launch,
    LaunchCheckIn,
    LaunchHub,
    LaunchRegistration,
    LaunchWalkIn,
)
from app.models.region import Region
from app.services import audit
from app.services.launches import visible_launch
from app.services.live_board import LiveBoard

_CODE_LENGTH_OF = {BoardLevel.province: 2, BoardLevel.regency: 5, BoardLevel.district: 8}


@cache
def _hub_and_codes(reach: tuple[str, ...]) -> Select[Any]:
    """The hub (in the caller's reach, of a launch they see) and which of the batch's `codes`
    are the launch's, in one statement built once per shape: a phone's single scans are the
    hot path of the day. No row: no such hub for this caller."""
    registration = table_of(LaunchRegistration).c
    hub = table_of(LaunchHub).c
    return (
        select(
            hub.region_code,
            registration.id,
            registration.code,
            registration.hub_id,
            registration.name,
        )
        .select_from(table_of(LaunchHub))
        .join(table_of(Launch), table_of(Launch).c.id == hub.launch_id)
        .outerjoin(
            table_of(LaunchRegistration),
            and_(
                registration.launch_id == hub.launch_id,
                registration.code.in_(bindparam("codes", expanding=True)),
            ),
        )
        .where(
            hub.id == bindparam("hub_id"),
            hub.launch_id == bindparam("launch_id"),
            *hub_reach_conditions(reach),
        )
    )


async def check_in(
    writer: Writer, live: LiveBoard, launch_id: int, hub_id: int, batch: CheckInBatch
) -> CheckInAnswer:
    session, caller = writer.session, writer.caller
    codes = {item.code for item in batch.check_ins}
    reach = hub_reach_values(caller)
    connection = await session.connection()
    found = (
        await connection.execute(
            _hub_and_codes(tuple(reach)),
            {**reach, "launch_id": launch_id, "hub_id": hub_id, "codes": list(codes)},
        )
    ).all()
    if not found:
        await visible_launch(session, caller, launch_id)  # which of the two is missing
        raise NotFound("hub {hub_id} does not exist", params={"hub_id": hub_id})
    hub_region = found[0][0]
    registered: dict[str, tuple[Any, int, str]] = {
        code: (registration_id, home_hub, name)
        for _, registration_id, code, home_hub, name in found
        if code is not None
    }
    actor, now = caller.principal.actor, utcnow()
    new_rows: dict[int, dict[str, Any]] = {}
    for item in batch.check_ins:
        if item.code in registered:
            registration_id, home_hub, _ = registered[item.code]
            new_rows.setdefault(
                registration_id,
                {
                    "registration_id": registration_id,
                    "launch_id": launch_id,
                    "hub_id": hub_id,
                    "other_hub": home_hub != hub_id,
                    "method": item.method,
                    "scanned_at": item.scanned_at,
                    "received_at": now,
                    "checked_in_by": actor,
                },
            )
    insert = dialect_insert(session)
    counted: set[int] = set()
    if new_rows:
        counted = set(
            (
                await connection.execute(
                    insert(table_of(LaunchCheckIn))
                    .on_conflict_do_nothing(index_elements=["registration_id"])
                    .returning(table_of(LaunchCheckIn).c.registration_id),
                    list(new_rows.values()),
                )
            ).scalars()
        )
    walk_ins = 0
    if batch.walk_ins:
        unique = {item.id: item for item in batch.walk_ins}
        walk_ins = sum(
            (
                await connection.execute(
                    insert(table_of(LaunchWalkIn))
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(table_of(LaunchWalkIn).c.people),
                    [
                        {
                            "id": item.id,
                            "launch_id": launch_id,
                            "hub_id": hub_id,
                            "people": item.people,
                            "scanned_at": item.scanned_at,
                            "received_at": now,
                            "checked_in_by": actor,
                        }
                        for item in unique.values()
                    ],
                )
            ).scalars()
        )
    anything_new = bool(counted) or walk_ins > 0
    results = []
    for item in batch.check_ins:
        if item.code not in registered:
            results.append(
                CheckInResult(
                    code=item.code,
                    outcome=CheckInOutcome.unknown,
                    registration_id=None,
                    name=None,
                    other_hub=False,
                )
            )
            continue
        registration_id, home_hub, name = registered[item.code]
        first = registration_id in counted
        counted.discard(registration_id)  # a second scan in the same batch is `already`
        results.append(
            CheckInResult(
                code=item.code,
                outcome=CheckInOutcome.checked_in if first else CheckInOutcome.already,
                registration_id=registration_id,
                name=name,
                other_hub=home_hub != hub_id,
            )
        )
    answer = CheckInAnswer(check_ins=results, walk_ins_added=walk_ins)
    audit.record(
        session,
        caller,
        action="launch.check_in",
        resource_type="launch_hub",
        resource_id=hub_id,
        region_code=hub_region,
        after={
            outcome.value: sum(r.outcome is outcome for r in results) for outcome in CheckInOutcome
        }
        | {"walk_ins_added": walk_ins},
    )
    await writer.record(answer)
    await writer.commit()
    if anything_new:
        live.changed(launch_id)
    return answer


# --- the board --------------------------------------------------------------------------------


async def _per_hub(session: AsyncSession, query: Any) -> dict[int, Any]:
    return {row[0]: row[1:] for row in (await session.execute(query))}


async def board(
    session: AsyncSession, caller: Caller, launch_id: int, level: BoardLevel, within: str | None
) -> Board:
    """Checked-in against registered against planned, per hub or region, counted from the
    database at the moment of asking."""
    await visible_launch(session, caller, launch_id)
    conditions = [col(LaunchHub.launch_id) == launch_id, *hubs_in_caller_reach(caller)]
    if within:
        conditions.append(code_in_region(col(LaunchHub.region_code), within))
    hubs: list[tuple[Any, str, str, int]] = list(
        await session.execute(
            select(
                col(LaunchHub.id),
                col(LaunchHub.name),
                col(LaunchHub.region_code),
                col(LaunchHub.planned),
            )
            .where(*conditions)
            .order_by(col(LaunchHub.id))
        )
    )
    of_launch = col(LaunchRegistration.launch_id) == launch_id
    registered = await _per_hub(
        session,
        select(col(LaunchRegistration.hub_id), func.count())
        .where(of_launch)
        .group_by(col(LaunchRegistration.hub_id)),
    )
    arrived = await _per_hub(
        session,
        select(
            col(LaunchCheckIn.hub_id),
            func.count(),
            func.count().filter(col(LaunchCheckIn.other_hub)),
        )
        .where(col(LaunchCheckIn.launch_id) == launch_id)
        .group_by(col(LaunchCheckIn.hub_id)),
    )
    walked_in = await _per_hub(
        session,
        select(col(LaunchWalkIn.hub_id), func.sum(col(LaunchWalkIn.people)))
        .where(col(LaunchWalkIn.launch_id) == launch_id)
        .group_by(col(LaunchWalkIn.hub_id)),
    )
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    names: dict[str, str] = {}
    for hub_id, name, region_code, planned in hubs:
        if level is BoardLevel.hub:
            key = str(hub_id)
            names[key] = name
        else:
            key = region_code[: _CODE_LENGTH_OF[level]]
        checked_in, other_hub = arrived.get(hub_id, (0, 0))
        counts = (
            planned,
            registered.get(hub_id, (0,))[0],
            checked_in,
            other_hub,
            walked_in.get(hub_id, (0,))[0] or 0,
        )
        sums[key] = [a + b for a, b in zip(sums[key], counts, strict=True)]
    if level is not BoardLevel.hub and sums:
        names = dict(
            (
                await session.execute(
                    select(col(Region.code), col(Region.name)).where(
                        col(Region.code).in_(list(sums))
                    )
                )
            ).all()
        )
    rows = [_row(key, names.get(key, key), counts) for key, counts in sums.items()]
    totals = [sum(column) for column in zip(*sums.values(), strict=True)] or [0] * 5
    return Board(
        launch_id=launch_id,
        level=level,
        rows=rows,
        totals=_row("", "", totals),
        as_of=utcnow(),
    )


async def watch_board(
    caller: Caller,
    launch_id: int,
    level: BoardLevel,
    within: str | None,
    *,
    live: LiveBoard,
    engine: AsyncEngine,
    lasting: float,
) -> AsyncGenerator[bytes | None, None]:
    """The board as a `board_event` now and after every change, for `lasting` seconds (None:
    no change for a while). A watcher may stay for minutes: it holds no session, nor a
    connection between counts."""
    async with own_session(engine) as session:
        await visible_launch(session, caller, launch_id)

    async def count() -> bytes:
        async with own_session(engine) as own:
            return board_event(
                (await board(own, caller, launch_id, level, within)).model_dump_json()
            )

    key = (reach_key(caller), launch_id, level, within)
    return live.watch(key, launch_id, count, lasting)


def _row(key: str, name: str, counts: list[int]) -> BoardRow:
    planned, registered, checked_in, other_hub, walk_ins = counts
    return BoardRow(
        key=key,
        name=name,
        planned=planned,
        registered=registered,
        checked_in=checked_in,
        other_hub=other_hub,
        walk_ins=walk_ins,
    )
