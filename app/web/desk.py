"""Meja konsultasi (the walk-in desk), a consultation's page, and Tindak lanjut (the caller's
follow-ups). Each handler calls the API's services."""

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.core.clock import TodayDep
from app.core.db import ReaderDep, SessionDep
from app.errors import Invalid, PreconditionFailed
from app.http.idempotency import WriterDep
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.cooperative import CooperativeFilters
from app.models.mentoring import (
    Channel,
    ConsultationCreate,
    FollowUpCreate,
    FollowUpFilters,
    FollowUpStatus,
    FollowUpUpdate,
)
from app.routers.params import RecordId
from app.services import consultations, cooperatives, follow_ups, regions
from app.web import i18n
from app.web.forms import field_errors, form_values
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import (
    FormWriterDep,
    answer_of,
    local_page,
    new_idempotency_key,
    page_router,
    see_other,
)
from app.web.session import flash

router = page_router()

SUGGESTIONS = 8  # of each kind, cooperatives and villages, as the officer types
FOLLOW_UPS_PAGE_SIZE = 100
CONSULTATION_FIELDS = ("contact_name", "contact_phone", "channel", "topics", "advice")
FOLLOW_UP_FIELDS = ("description", "due_date", "responsible")
FOLLOW_UP_PREFIX = "follow_ups.0."
DUE_SOON = timedelta(days=7)  # "due" on the follow-ups page: within a week
SearchText = Annotated[str, Query(max_length=100)]


class Choice(BaseModel):
    """A place a consultation can be about: a cooperative (`koperasi:12`), or a village where
    a group is still forming one (`desa:64.02.06.2001`)."""

    value: str
    label: str


async def _choices(
    reader: AsyncEngine, session: AsyncSession, caller: Caller, codec: CursorCodec, text: str
) -> list[Choice]:
    """The cooperatives and villages in the caller's region whose names hold `text`."""
    text = text.strip()
    if len(text) < 2:
        return []
    found = await cooperatives.list_cooperatives(
        reader,
        caller,
        codec,
        PageParams(page_size=SUGGESTIONS, cursor=None, total=False),
        filters=CooperativeFilters(q=text),
        sort=None,
        updated_since=None,
    )
    villages = await regions.search_villages(session, caller, text, SUGGESTIONS)
    forming = gettext("a group still forming a cooperative")
    choices = [
        Choice(value=f"koperasi:{c.id}", label=f"{c.name} ({c.village_code})") for c in found.items
    ]
    for village in villages:
        district = village.ancestors[0].name if village.ancestors else ""
        choices.append(
            Choice(value=f"desa:{village.code}", label=f"{village.name}, {district}: {forming}")
        )
    return choices


@router.get("/meja/pilihan")
async def suggestions(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    cari: SearchText = "",
) -> Response:
    """The choices for what the officer has typed so far (htmx swaps them into the form)."""
    choices = await _choices(reader, session, caller, codec, cari)
    return render(request, "parts/pilihan.html", {"choices": choices, "chosen": None, "text": cari})


@router.get("/meja")
async def desk_page(request: Request, tersimpan: RecordId | None = None) -> Response:
    """`tersimpan`: the consultation just recorded, for the notice."""
    return _desk_form(request, {"channel": Channel.walk_in.value}, saved=tersimpan)


def _desk_form(
    request: Request,
    values: dict[str, Any],
    *,
    choices: list[Choice] | None = None,
    errors: dict[str, str] | None = None,
    saved: int | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "meja.html",
        {
            "values": values,
            "choices": choices or [],
            "errors": errors or {},
            "saved": saved,
            "now": i18n.office_now().strftime("%Y-%m-%dT%H:%M"),
            "idempotency_key": idempotency_key or new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.post("/meja")
async def record_walk_in(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    today: TodayDep,
    writer: FormWriterDep,
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {name: form.get(name) for name in form}
    values["topics"] = form.getlist("topics")
    key = str(form.get("idempotency_key") or "") or None
    choices = await _choices(
        reader, writer.session, writer.caller, codec, str(values.get("cari") or "")
    )
    chosen = str(values.get("tempat") or "")
    if ":" not in chosen:
        # Typed without picking (no JavaScript, or Enter before the list came): a single match
        # is the choice; otherwise the officer picks one of the matches.
        if len(choices) != 1:
            message = (
                gettext("Choose the cooperative or village from the list.")
                if choices
                else gettext("Type at least two letters of the cooperative's or village's name.")
            )
            return _desk_form(
                request,
                values,
                choices=choices,
                errors={"cari": message},
                idempotency_key=key,
                status_code=422,
            )
        chosen = values["tempat"] = choices[0].value
    try:
        data = ConsultationCreate.model_validate_json(json.dumps(_consultation(form, chosen)))
        answer = await writer.once(
            201, consultations.create_consultation(writer, data, today), etag=True
        )
    except (ValidationError, Invalid) as invalid:
        return _desk_form(
            request,
            values,
            choices=choices,
            errors=field_errors(invalid),
            idempotency_key=key,
            status_code=422,
        )
    return see_other(f"/meja?tersimpan={answer_of(answer)['id']}")


def _consultation(form: FormData, chosen: str) -> dict[str, Any]:
    """The form as the API's ConsultationCreate body."""
    kind, _, code = chosen.partition(":")
    body = form_values(ConsultationCreate, form, CONSULTATION_FIELDS)
    if kind == "koperasi" and code.isdigit():
        body["cooperative_id"] = int(code)
    else:
        body["village_code"] = code
    body["occurred_at"] = i18n.office_moment(str(form.get("occurred_at", "")))
    follow_up = {name: form.get(FOLLOW_UP_PREFIX + name) for name in FOLLOW_UP_FIELDS}
    if str(follow_up["description"] or "").strip():
        body["follow_ups"] = [form_values(FollowUpCreate, follow_up, FOLLOW_UP_FIELDS)]
    return body


@router.get("/konsultasi/{consultation_id:int}")
async def consultation_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    today: TodayDep,
    consultation_id: RecordId,
) -> Response:
    consultation = await consultations.get_consultation(session, caller, consultation_id, today)
    place = await regions.get_region(session, consultation.village_code)
    cooperative = None
    if consultation.cooperative_id is not None:
        cooperative = await cooperatives.get_cooperative(
            reader, caller, consultation.cooperative_id
        )
    return render(
        request,
        "konsultasi.html",
        {"consultation": consultation, "place": place, "cooperative": cooperative},
    )


FollowUpView = Annotated[str, Query(pattern="^(terbuka|jatuh-tempo|terlambat)$")]


@router.get("/tindak-lanjut")
async def follow_ups_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    today: TodayDep,
    tampil: FollowUpView = "terbuka",
    halaman: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The caller's open follow-ups, by due date: all open, those due within a week, or those
    overdue. `halaman`: the cursor of the page to show."""
    filters = FollowUpFilters(
        status=FollowUpStatus.open,
        officer="me" if caller.principal.kind == "user" else None,
        overdue=True if tampil == "terlambat" else None,
        due_before=today + DUE_SOON if tampil == "jatuh-tempo" else None,
    )
    page = PageParams(page_size=FOLLOW_UPS_PAGE_SIZE, cursor=halaman, total=True)
    found = await follow_ups.list_follow_ups(session, caller, codec, page, filters, today, None)
    return render(
        request,
        "tindak_lanjut.html",
        {"found": found, "view": tampil, "today": today},
    )


@router.post("/tindak-lanjut/{follow_up_id:int}")
async def close_follow_up(
    request: Request, writer: WriterDep, today: TodayDep, follow_up_id: RecordId
) -> Response:
    """Done (with what came of it) or cancelled (with why), from the list or the consultation."""
    form = await request.form()
    done = form.get("status") == FollowUpStatus.done.value
    note = str(form.get("note") or "").strip() or None
    back = local_page(form.get("kembali"))
    body = (
        {"status": FollowUpStatus.done.value, "outcome": note}
        if done
        else {"status": FollowUpStatus.cancelled.value, "cancel_reason": note}
    )
    etag = form.get("etag")
    try:
        patch = FollowUpUpdate.model_validate_json(json.dumps(body))
        await follow_ups.update_follow_up(
            writer, follow_up_id, patch, today, if_match=etag if isinstance(etag, str) else None
        )
    except (ValidationError, Invalid) as invalid:
        for message in field_errors(invalid).values():
            flash(request, gettext("Not saved: %(reason)s") % {"reason": message})
        return see_other(back)
    except PreconditionFailed:
        flash(request, gettext("Not saved: someone else changed this follow-up; check it again."))
        return see_other(back)
    flash(request, gettext("Marked done.") if done else gettext("Cancelled."))
    return see_other(back)
