from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.core.spreadsheets import XLSX_MEDIA_TYPE
from app.errors import problems
from app.http import downloads
from app.http.body_limit import max_body_bytes
from app.http.conditional import (
    NOT_MODIFIED,
    PRECONDITIONS,
    IfMatchHeader,
    IfNoneMatchHeader,
    represent,
    with_etag,
)
from app.http.downloads import MEDIA_TYPES
from app.http.events import board_events
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.models.launch import (
    ActualCostIn,
    Board,
    BoardLevel,
    CheckInAnswer,
    CheckInBatch,
    HubCreate,
    HubPublic,
    HubUpdate,
    LaunchCreate,
    LaunchPublic,
    LaunchUpdate,
    LineAgainstActual,
    PlanAgainstActual,
    ReadinessUpdate,
    RegistrationCreate,
    RegistrationPublic,
    RegistrationUpdate,
)
from app.models.region import REGION_CODE_PATTERN
from app.routers.params import RecordId
from app.services import (
    check_ins,
    launch_costs,
    launch_registration_import,
    launch_registrations,
    launches,
)
from app.services.exports import ExportFormat, HeaderLanguage
from app.services.launch_registration_import import RegistrationImportReport
from app.services.live_board import LiveBoardDep

router = APIRouter(prefix="/launches", tags=["launches"], route_class=StrictJSONRoute)

LaunchId = RecordId
HubId = RecordId
RegistrationId = RecordId
Within = Annotated[
    str | None,
    Query(
        pattern=REGION_CODE_PATTERN,
        description="Only hubs serving this region or one inside it, e.g. a district.",
    ),
]


@router.get("", responses=problems(400))
async def list_launches(
    session: SessionDep, caller: CallerDep, codec: CursorCodecDep, page: PageDep
) -> Page[LaunchPublic]:
    """The launches of your region and of the regions holding it (a province's, the
    country's), newest first; a coordinator sees the launches of their hubs."""
    return await launches.list_launches(session, caller, codec, page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LaunchPublic,
    responses={**problems(404), **idempotent(201, etag=True)},
)
async def create_launch(writer: IdempotentWriterDep, data: LaunchCreate) -> Response:
    """Run a saved plan: the launch takes the plan's format (its recommendation unless
    `format` says), its participants, the download each hub needs, and its hubs, each with the
    region it serves, its hall's village, its planned attendance as capacity, and whether it
    needs a generator."""
    return await writer.once(
        status.HTTP_201_CREATED, launches.create_launch(writer, data), etag=True
    )


@router.get(
    "/{launch_id}",
    response_model=LaunchPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_launch(
    session: SessionDep,
    caller: CallerDep,
    launch_id: LaunchId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return represent(await launches.get_launch(session, caller, launch_id), if_none_match)


@router.patch(
    "/{launch_id}",
    response_model=LaunchPublic,
    responses={**problems(403, 404), **PRECONDITIONS, **with_etag()},
)
async def update_launch(
    writer: WriterDep, launch_id: LaunchId, patch: LaunchUpdate, if_match: IfMatchHeader = None
) -> Response:
    """Change the fields sent; only the office that runs the launch may (403 for others)."""
    return represent(await launches.update_launch(writer, launch_id, patch, if_match=if_match))


@router.get("/{launch_id}/board", responses=problems(404))
async def get_board(
    session: SessionDep,
    caller: CallerDep,
    launch_id: LaunchId,
    level: BoardLevel = BoardLevel.hub,
    within: Within = None,
) -> Board:
    """The live count: planned, registered, checked in and walk-ins, per hub or per district,
    regency or province (a hub serving a wider region counts under its own code), for the hubs
    within your reach, as the database holds them now."""
    return await check_ins.board(session, caller, launch_id, level, within)


@router.get(
    "/{launch_id}/board/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: a `board` event (the board's JSON, as `GET "
            "/board` answers it) at once and after every change, and a comment after about 10 s "
            "without one to keep the connection open. The stream ends after a few minutes; a "
            "browser's EventSource opens it again by itself.",
        },
        **problems(404),
    },
)
async def stream_board(
    request: Request,
    caller: CallerDep,
    live: LiveBoardDep,
    launch_id: LaunchId,
    level: BoardLevel = BoardLevel.hub,
    within: Within = None,
) -> Response:
    """The live count as it changes: each check-in at any hub, on any worker, reaches the
    board within seconds."""
    state = request.app.state
    figures = await check_ins.watch_board(
        caller,
        launch_id,
        level,
        within,
        live=live,
        engine=state.engine,
        lasting=state.settings.board_stream_seconds,
    )
    return board_events(figures)


@router.get(
    "/{launch_id}/attendance",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The attendance report, as an attachment.",
            "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
        },
        **problems(404, 422),
    },
)
async def attendance_report(
    session: SessionDep,
    caller: CallerDep,
    launch_id: LaunchId,
    level: BoardLevel = BoardLevel.hub,
    export_format: Annotated[
        ExportFormat, Query(alias="format", description="`csv` or `xlsx`.")
    ] = ExportFormat.xlsx,
    headers: Annotated[
        HeaderLanguage, Query(description="Column headers in Indonesian (`id`) or English (`en`).")
    ] = HeaderLanguage.id,
) -> StreamingResponse:
    """The attendance report for the office's files: per hub or per district, regency or
    province within your reach, planned, registered, checked in (and of those, from other
    hubs), walk-ins and everyone present, with a JUMLAH row; the board's figures now."""
    return await downloads.attendance(session, caller, launch_id, level, export_format, headers)


@router.get("/{launch_id}/costs", responses=problems(404, 409))
async def plan_against_actual(
    session: SessionDep, caller: CallerDep, launch_id: LaunchId
) -> PlanAgainstActual:
    """Every cost line of the launch's plan (its format's `lines`, numbered from 0) beside what
    it actually cost, and the totals per item and per payer: planned for every line, planned
    for the lines entered, and paid. A 409 when the plan was deleted."""
    return await launch_costs.plan_against_actual(session, caller, launch_id)


@router.post(
    "/{launch_id}/costs",
    status_code=status.HTTP_201_CREATED,
    response_model=LineAgainstActual,
    responses={**problems(403, 404, 409), **idempotent(201)},
)
async def enter_actual(
    writer: IdempotentWriterDep, launch_id: LaunchId, data: ActualCostIn
) -> Response:
    """Enter what one plan line actually cost: the quantity bought, the rupiah paid and who
    paid; sent again for the same line, it replaces what was entered (the audit trail keeps
    both). Only the office running the launch may."""
    return await writer.once(
        status.HTTP_201_CREATED, launch_costs.enter_actual(writer, launch_id, data)
    )


@router.get(
    "/{launch_id}/costs/catalog",
    response_class=Response,
    responses={
        200: {
            "content": {"application/toml": {"schema": {"type": "string"}}},
            "description": "A planner catalog (TOML) on the packaged one.",
        },
        **problems(404, 409),
    },
)
async def catalog_of_actuals(
    session: SessionDep, caller: CallerDep, launch_id: LaunchId
) -> Response:
    """The prices this launch actually paid, as a new version of the planner's catalog: each
    price key of a line with an actual cost, scaled by what was paid against what the plan's
    prices would have cost for the quantities bought, with its source (this launch) and date.
    Plan the next launch with it: `python -m planner --catalog <file>`. A 409 while no cost is
    entered, or when the plan was made with another catalog than this service's."""
    return await downloads.catalog_of_actuals(session, caller, launch_id)


@router.get("/{launch_id}/hubs", responses=problems(400, 404))
async def list_hubs(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    launch_id: LaunchId,
    within: Within = None,
) -> Page[HubPublic]:
    """The readiness board: the hubs within your reach, each with its checklist, its derived
    `status` (ready, at_risk or not_ready), the reasons, and `flagged` from three days before
    the start for every hub not ready."""
    return await launches.list_hubs(session, caller, launch_id, codec, page, within)


@router.post(
    "/{launch_id}/hubs",
    status_code=status.HTTP_201_CREATED,
    response_model=HubPublic,
    responses={**problems(403, 404), **idempotent(201, etag=True)},
)
async def add_hub(writer: IdempotentWriterDep, launch_id: LaunchId, data: HubCreate) -> Response:
    """Add a hub the plan did not have (an offline launch's venue, an online launch's watch
    party)."""
    return await writer.once(
        status.HTTP_201_CREATED, launches.add_hub(writer, launch_id, data), etag=True
    )


@router.get(
    "/{launch_id}/hubs/{hub_id}",
    response_model=HubPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_hub(
    session: SessionDep,
    caller: CallerDep,
    launch_id: LaunchId,
    hub_id: HubId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return represent(await launches.get_hub(session, caller, launch_id, hub_id), if_none_match)


@router.patch(
    "/{launch_id}/hubs/{hub_id}",
    response_model=HubPublic,
    responses={**problems(403, 404), **PRECONDITIONS, **with_etag()},
)
async def update_hub(
    writer: WriterDep,
    launch_id: LaunchId,
    hub_id: HubId,
    patch: HubUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change the hub's place, capacity (never below the delegates registered there) or
    coordinator (an active `coordinator` account whose region holds the hub's)."""
    return represent(await launches.update_hub(writer, launch_id, hub_id, patch, if_match=if_match))


@router.patch(
    "/{launch_id}/hubs/{hub_id}/readiness",
    response_model=HubPublic,
    responses={**problems(403, 404), **PRECONDITIONS, **with_etag()},
)
async def update_readiness(
    writer: WriterDep,
    launch_id: LaunchId,
    hub_id: HubId,
    patch: ReadinessUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Tick the checklist, as the hub's coordinator or the office running the launch. An
    internet test sends its measured download and upload together."""
    return represent(
        await launches.update_readiness(writer, launch_id, hub_id, patch, if_match=if_match)
    )


@router.post(
    "/{launch_id}/hubs/{hub_id}/check-ins",
    responses=problems(404),
)
async def check_in(
    writer: WriterDep, live: LiveBoardDep, launch_id: LaunchId, hub_id: HubId, batch: CheckInBatch
) -> CheckInAnswer:
    """Check delegates in at this hub by their codes, and count walk-ins: what the phone
    queued, in batches of up to 1,000 of each. Safe to send again without an
    Idempotency-Key: a delegate already counted answers `already`, a walk-in count already
    received is not added again. A delegate registered to another hub is counted here, with
    `other_hub`; an unknown code answers `unknown`."""
    return await check_ins.check_in(writer, live, launch_id, hub_id, batch)


@router.get("/{launch_id}/registrations", responses=problems(400, 404))
async def list_registrations(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    launch_id: LaunchId,
    hub_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    cooperative_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[RegistrationPublic]:
    """The delegates within your reach, with whether and where they checked in: a hub's
    list, or a cooperative's."""
    return await launch_registrations.list_registrations(
        session, caller, launch_id, codec, page, hub_id=hub_id, cooperative_id=cooperative_id
    )


@router.post(
    "/{launch_id}/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationPublic,
    responses={**problems(404, 409), **idempotent(201, etag=True)},
)
async def register(
    writer: IdempotentWriterDep, launch_id: LaunchId, data: RegistrationCreate
) -> Response:
    """Register a cooperative's delegate to a hub (the one serving its village unless
    `hub_id` says), within the hub's capacity (409 when full). The answer carries the
    delegate's check-in code."""
    return await writer.once(
        status.HTTP_201_CREATED,
        launch_registrations.register(writer, launch_id, data),
        etag=True,
    )


@router.post(
    "/{launch_id}/registrations/import",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409, 413, 415),
    openapi_extra={
        **max_body_bytes(launch_registration_import.MAX_REQUEST_BYTES),
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "encoding": {"file": {"contentType": f"text/csv, {XLSX_MEDIA_TYPE}"}}
                }
            }
        },
    },
)
async def import_registrations(
    writer: WriterDep,
    launch_id: LaunchId,
    file: Annotated[
        UploadFile,
        File(description="The delegates as .csv (UTF-8 or Windows-1252; `,` or `;`) or .xlsx."),
    ],
) -> RegistrationImportReport:
    """Register many delegates from a spreadsheet, **all or nothing**.

    Row 1 holds the headers (case-insensitive; the field name or its Indonesian header):

    | field | Indonesian header | |
    |---|---|---|
    | `cooperative_id` | ID Koperasi | the cooperative; or `village_code` |
    | `village_code` | Kode Desa | the village whose own cooperative it is, e.g. 64.02.12.2001 |
    | `name` | Nama | required |
    | `role` | Peran | required: ketua, pengurus, pengawas, anggota, manajer or pendamping |
    | `phone` | Telepon | |
    | `hub_id` | ID Hub | the hub serving the village when empty |

    No NIK is taken. Other columns are ignored and listed in the report. Each row is checked
    like `POST /registrations`: the cooperative within your reach, the hub of this launch, and
    every hub's capacity with the file's other rows counted. If any row is wrong nothing is
    written: the 422 lists every bad row and column in `errors` (`loc: ["file", "row", 7,
    "role"]`, numbered as the spreadsheet shows them, header = row 1). At most 32 MB (413) and
    100,000 rows (422) per file. Each delegate gets a check-in code; list them with
    `GET /registrations`."""
    content = await file.read(launch_registration_import.MAX_FILE_BYTES + 1)
    return await launch_registration_import.import_registrations(
        writer,
        launch_id,
        content=content,
        file_name=file.filename,
        content_type=file.content_type,
    )


@router.get(
    "/{launch_id}/registrations/{registration_id:int}",
    response_model=RegistrationPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_registration(
    session: SessionDep,
    caller: CallerDep,
    launch_id: LaunchId,
    registration_id: RegistrationId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return represent(
        await launch_registrations.get_registration(session, caller, launch_id, registration_id),
        if_none_match,
    )


@router.patch(
    "/{launch_id}/registrations/{registration_id:int}",
    response_model=RegistrationPublic,
    responses={**problems(404, 409), **PRECONDITIONS, **with_etag()},
)
async def update_registration(
    writer: WriterDep,
    launch_id: LaunchId,
    registration_id: RegistrationId,
    patch: RegistrationUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change a delegate; moving them to another hub frees their seat (409 once they have
    checked in, or when the new hub is full)."""
    return represent(
        await launch_registrations.update_registration(
            writer, launch_id, registration_id, patch, if_match=if_match
        )
    )


@router.delete(
    "/{launch_id}/registrations/{registration_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404, 409), **PRECONDITIONS},
)
async def cancel_registration(
    writer: WriterDep,
    launch_id: LaunchId,
    registration_id: RegistrationId,
    if_match: IfMatchHeader = None,
) -> None:
    """Cancel a registration, which frees its seat (409 once the delegate has checked in)."""
    await launch_registrations.cancel_registration(
        writer, launch_id, registration_id, if_match=if_match
    )


@router.get(
    "/{launch_id}/registrations/{registration_id:int}/qr",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The check-in code as a QR code."},
        **problems(404),
    },
)
async def registration_qr(
    session: SessionDep, caller: CallerDep, launch_id: LaunchId, registration_id: RegistrationId
) -> Response:
    return Response(
        await launch_registrations.registration_qr(session, caller, launch_id, registration_id),
        media_type="image/svg+xml",
    )
