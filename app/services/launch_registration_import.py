"""Import of a launch's delegates from a spreadsheet (CSV or XLSX), all or nothing: up to
100,000 in one file, enough for the national launch.

Row 1 holds the headers, in English (the API's field names) or in Indonesian; see COLUMNS. A row
names its cooperative by `cooperative_id` or by `village_code` (the village's own cooperative),
and its delegate by `name` and `role`, with an optional `phone` and `hub_id`. Every row is checked
with the rules of `POST /launches/{id}/registrations`: the fields by `RegistrationCreate`, the
cooperative (within the caller's reach), the hub (of this launch; the one serving the village
when none is named) and each hub's capacity, counting the file's other rows. If any row is
wrong, nothing is written and the 422 names every bad row and column. The checks run in bulk and
the rows are written with batched INSERTs.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.scope import sees_cooperative
from app.core import bulk
from app.core.spreadsheets import (
    Expected,
    ImportErrors,
    ImportFormat,
    Sheet,
    cell_text,
    check_size,
    detect_format,
    find_columns,
    model_message,
    normal_header,
    read_sheet,
    shown,
)
from app.http.idempotency import Writer
from app.models.common import utcnow
from app.models.cooperative import Cooperative
from app.models.launch import Delegate, LaunchHub, LaunchRegistration
from app.models.region import ancestor_codes
from app.services import audit
from app.services.launch_registrations import new_code
from app.services.launches import visible_launch

# 100,000 delegates with every column filled is about 7 MB of CSV.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_ROWS = 100_000
EXPECTED = Expected(
    document="the delegates",
    records="delegates",
    max_bytes=MAX_FILE_BYTES,
    max_rows=MAX_ROWS,
)
# Values looked up per query: under both drivers' limits on bound parameters.
_LOOKUP_BATCH = 10_000

# field -> (the header shown in messages and in the template, the other headers accepted)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cooperative_id": ("ID Koperasi", ("id kop",)),
    "village_code": ("Kode Desa", ("kode desa/kelurahan", "kode kelurahan", "kode wilayah")),
    "name": ("Nama", ("nama utusan", "nama peserta")),
    "role": ("Peran", ("jabatan",)),
    "phone": ("Telepon", ("no hp", "nomor telepon", "no telepon")),
    "hub_id": ("ID Hub", ("hub",)),
}
HEADER_FIELDS: dict[str, str] = {
    normal_header(alias): name
    for name, (indonesian, others) in COLUMNS.items()
    for alias in (name, indonesian, *others)
}
_INTEGERS = {"cooperative_id", "hub_id"}


class RegistrationImportReport(BaseModel):
    file_name: str | None
    format: ImportFormat
    rows_read: int = PydanticField(description="Data rows read (blank rows are skipped).")
    registrations_created: int
    ids: list[int] = PydanticField(description="The new registrations' ids, in row order.")
    ignored_columns: list[str] = PydanticField(
        description="Headers of columns that are not registration fields, left unread."
    )


@dataclass
class _Row:
    number: int
    village_code: str | None
    cooperative_id: int | None
    delegate: Delegate
    hub_id: int = 0  # the hub it goes to, once found


def _label(name: str) -> str:
    return f"{name} ({COLUMNS[name][0]})"


def _check_rows(sheet: Sheet, errors: ImportErrors) -> tuple[list[_Row], list[str]]:
    """Each row's cells as the fields they are (no database needed: CPU work, run off the
    event loop)."""
    columns, ignored = find_columns(sheet.header, HEADER_FIELDS, ["name", "role"], _label, errors)
    if "cooperative_id" not in columns and "village_code" not in columns:
        errors.row(
            1,
            "cooperative_id",
            "missing column {column} or {other}: each row needs its cooperative",
            "missing",
            column=_label("cooperative_id"),
            other=_label("village_code"),
        )
    if errors.items:
        return [], ignored
    rows = []
    for number, cells in sheet.rows:
        values: dict[str, Any] = {}
        flagged = False
        for name, index in columns.items():
            cell = cells[index] if index < len(cells) else None
            text = cell_text(cell)
            if text is None:
                continue
            if name in _INTEGERS:
                if not (text.isascii() and text.isdigit()):
                    errors.row(number, name, "must be a whole number, e.g. 40", found=shown(cell))
                    flagged = True
                    continue
                values[name] = int(text)
            else:
                values[name] = text.casefold() if name == "role" else text
        village = values.pop("village_code", None)
        if village is None and "cooperative_id" not in values and not flagged:
            errors.row(number, "cooperative_id", "name the cooperative by its id or village code")
            flagged = True
        cooperative_id = values.pop("cooperative_id", None)
        try:
            delegate = Delegate.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "row"
                found = None
                if name in columns and error["type"] != "missing":
                    raw = cells[columns[name]] if columns[name] < len(cells) else None
                    found = shown(raw)
                errors.row(number, name, model_message(error), error["type"], found=found)
            continue
        if not flagged:
            rows.append(_Row(number, village, cooperative_id, delegate))
    return rows, ignored


async def _in_batches(
    session: AsyncSession, query: Any, column: Any, values: list[Any]
) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), _LOOKUP_BATCH):
        batch = values[start : start + _LOOKUP_BATCH]
        found += (await session.execute(query.where(column.in_(batch)))).all()
    return found


async def import_registrations(
    writer: Writer,
    launch_id: int,
    *,
    content: bytes,
    file_name: str | None,
    content_type: str | None,
) -> RegistrationImportReport:
    session, caller = writer.session, writer.caller
    await visible_launch(session, caller, launch_id)
    check_size(content, EXPECTED)
    file_format = detect_format(file_name, content_type, content, EXPECTED)
    errors = ImportErrors()

    def read_and_check() -> tuple[int, list[_Row], list[str]]:
        sheet = read_sheet(content, file_format, EXPECTED)
        return len(sheet.rows), *_check_rows(sheet, errors)

    rows_read, rows, ignored = await asyncio.to_thread(read_and_check)
    errors.raise_if_any()

    cooperatives = {
        cooperative.id: cooperative
        for (cooperative,) in await _in_batches(
            session,
            select(Cooperative),
            col(Cooperative.id),
            sorted({r.cooperative_id for r in rows if r.cooperative_id is not None}),
        )
    }
    by_village = {
        cooperative.village_code: cooperative
        for (cooperative,) in await _in_batches(
            session,
            select(Cooperative).where(col(Cooperative.is_joint).is_(False)),
            col(Cooperative.village_code),
            sorted({r.village_code for r in rows if r.village_code is not None}),
        )
    }
    hubs = (
        await session.execute(
            select(col(LaunchHub.id), col(LaunchHub.region_code)).where(
                col(LaunchHub.launch_id) == launch_id
            )
        )
    ).all()
    hub_serving = {code: hub_id for hub_id, code in sorted(hubs, reverse=True)}
    hub_ids = set(hub_serving.values())
    for entry in rows:
        cooperative = _cooperative_of(entry, cooperatives, by_village, errors)
        if cooperative is None:
            continue
        if not sees_cooperative(caller, cooperative):
            errors.row(
                entry.number,
                "cooperative_id",
                "cooperative {cooperative_id} does not exist",
                cooperative_id=cooperative.id,
            )
            continue
        entry.cooperative_id = cooperative.id
        entry.village_code = cooperative.village_code
        hub_id = entry.delegate.hub_id or next(
            (
                hub_serving[code]
                for code in (entry.village_code, *reversed(ancestor_codes(entry.village_code)))
                if code in hub_serving
            ),
            None,
        )
        if hub_id is None:
            errors.row(
                entry.number,
                "hub_id",
                "no hub of this launch serves {village}; name the hub to attend",
                village=entry.village_code,
            )
        elif hub_id not in hub_ids:
            errors.row(
                entry.number,
                "hub_id",
                "launch {launch_id} has no hub {hub_id}",
                launch_id=launch_id,
                hub_id=hub_id,
            )
        else:
            entry.hub_id = hub_id
    errors.raise_if_any(rows_read)

    await _check_repeats(session, launch_id, rows, errors)
    errors.raise_if_any(rows_read)
    await _check_capacity(writer, rows, errors)
    errors.raise_if_any(rows_read)

    codes = await _unused_codes(session, launch_id, len(rows))
    now = utcnow()
    records: list[dict[str, Any]] = [
        {
            "launch_id": launch_id,
            "hub_id": entry.hub_id,
            "cooperative_id": entry.cooperative_id,
            "village_code": entry.village_code,
            "name": entry.delegate.name,
            "role": entry.delegate.role.value,
            "phone": entry.delegate.phone,
            "code": code,
        }
        for entry, code in zip(rows, codes, strict=True)
    ]
    ids = await bulk.launch_registrations(
        session, [{**record, "created_at": now, "updated_at": now} for record in records]
    )
    await bulk.audit_events(
        session,
        [
            {
                "actor": caller.principal.actor,
                "role": caller.role.value,
                "action": "launch_registration.import",
                "resource_type": "launch_registration",
                "resource_id": str(registration_id),
                "region_code": record["village_code"],
                "request_id": caller.request_id,
                "client_ip": caller.client_ip,
                "before": None,
                "after": {
                    **(audit.snapshot({"id": registration_id, **record}) or {}),
                    "imported_from": {"file": file_name, "row": entry.number},
                },
                "outcome": "success",
            }
            for registration_id, record, entry in zip(ids, records, rows, strict=True)
        ],
    )
    await writer.commit()
    return RegistrationImportReport(
        file_name=file_name,
        format=file_format,
        rows_read=rows_read,
        registrations_created=len(ids),
        ids=ids,
        ignored_columns=ignored,
    )


def _cooperative_of(
    entry: _Row,
    cooperatives: dict[Any, Cooperative],
    by_village: dict[str, Cooperative],
    errors: ImportErrors,
) -> Cooperative | None:
    if entry.cooperative_id is not None:
        cooperative = cooperatives.get(entry.cooperative_id)
        if cooperative is None:
            errors.row(
                entry.number,
                "cooperative_id",
                "cooperative {cooperative_id} does not exist",
                cooperative_id=entry.cooperative_id,
            )
        elif entry.village_code is not None and cooperative.village_code != entry.village_code:
            errors.row(
                entry.number,
                "village_code",
                "cooperative {cooperative_id} is in {village}, not {code}",
                cooperative_id=entry.cooperative_id,
                village=cooperative.village_code,
                code=entry.village_code,
            )
            return None
        return cooperative
    assert entry.village_code is not None  # checked by _check_rows
    cooperative = by_village.get(entry.village_code)
    if cooperative is None:
        errors.row(
            entry.number,
            "village_code",
            "village {code} has no cooperative of its own; name the cooperative by its id",
            code=entry.village_code,
        )
    return cooperative


async def _check_repeats(
    session: AsyncSession, launch_id: int, rows: list[_Row], errors: ImportErrors
) -> None:
    """A delegate is registered once: a file sent again is refused row by row, never
    registered twice (a cooperative's delegate is known by their name)."""
    registered = {
        (cooperative_id, registered_name.casefold()): code
        for cooperative_id, registered_name, code in await _in_batches(
            session,
            select(
                col(LaunchRegistration.cooperative_id),
                col(LaunchRegistration.name),
                col(LaunchRegistration.code),
            ).where(col(LaunchRegistration.launch_id) == launch_id),
            col(LaunchRegistration.cooperative_id),
            sorted({r.cooperative_id for r in rows if r.cooperative_id is not None}),
        )
    }
    first_row_of: dict[tuple[int | None, str], int] = {}
    for entry in rows:
        delegate = (entry.cooperative_id, entry.delegate.name.casefold())
        if delegate in registered:
            errors.row(
                entry.number,
                "name",
                "{delegate} of this cooperative is already registered (code {code})",
                "duplicate",
                delegate=entry.delegate.name,
                code=registered[delegate],
            )
        elif delegate in first_row_of:
            errors.row(
                entry.number,
                "name",
                "repeats row {row}: the same delegate of the same cooperative",
                "duplicate",
                row=first_row_of[delegate],
            )
        else:
            first_row_of[delegate] = entry.number


async def _check_capacity(writer: Writer, rows: list[_Row], errors: ImportErrors) -> None:
    """Every hub seats the delegates already registered and the file's; the hubs are locked
    (in id order) until the import commits, as a single registration locks its hub."""
    wanted = Counter(entry.hub_id for entry in rows)
    hubs = await writer.lock_all(LaunchHub, set(wanted))
    taken = dict(
        (
            await writer.session.execute(
                select(col(LaunchRegistration.hub_id), func.count())
                .where(col(LaunchRegistration.hub_id).in_(list(wanted)))
                .group_by(col(LaunchRegistration.hub_id))
            )
        ).all()
    )
    over = {
        hub_id
        for hub_id, count in wanted.items()
        if taken.get(hub_id, 0) + count > hubs[hub_id].capacity
    }
    for entry in rows:
        hub = hubs[entry.hub_id]
        if hub.id in over:
            errors.row(
                entry.number,
                "hub_id",
                "hub {hub} seats {capacity}: {taken} are registered and this file adds "
                "{adding}; raise its capacity or send some delegates to another hub",
                "capacity",
                hub=hub.name,
                capacity=hub.capacity,
                taken=taken.get(hub.id, 0),
                adding=wanted[hub.id],
            )


async def _unused_codes(session: AsyncSession, launch_id: int, count: int) -> list[str]:
    """`count` check-in codes, none of them held by another registration of the launch."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {new_code() for _ in range(count - len(codes))} - codes
        taken = {
            code
            for (code,) in await _in_batches(
                session,
                select(col(LaunchRegistration.code)).where(
                    col(LaunchRegistration.launch_id) == launch_id
                ),
                col(LaunchRegistration.code),
                sorted(fresh),
            )
        }
        codes |= fresh - taken
    return list(codes)
