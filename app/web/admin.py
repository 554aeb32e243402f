"""Admin: the accounts of the administrator's region (made, given a role and a region, a new
password, disabled and enabled again), the API keys of other systems (made and shown once,
revoked), and the audit trail with its filters, each event linked to its record's page. Each
handler calls the API's services: accounts, api_keys and audit."""

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.scope import caller_region
from app.core.db import ReaderDep, SessionDep
from app.errors import N_, Conflict, Invalid, NotFound, PreconditionFailed, PreconditionRequired
from app.http.conditional import etag_of, no_store
from app.http.idempotency import WriterDep
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.account import (
    USER_ROLES,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiScope,
    Role,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.models.audit import AuditEventPublic
from app.models.region import RegionPublic
from app.routers.params import RecordId
from app.services import accounts, api_keys, audit, cooperatives, regions
from app.web import i18n
from app.web.forms import Blank, field_errors, form_values, parse
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import (
    FormWriterDep,
    answer_of,
    new_idempotency_key,
    page_router,
    see_other,
)
from app.web.session import flash
from app.web.words import name_of

router = page_router()

USERS_PAGE_SIZE = 50
KEYS_PAGE_SIZE = 100
AUDIT_PAGE_SIZE = 50
NEW_USER_FIELDS = ("username", "password", "role", "region_scope", "cooperative_id")
ASSIGNMENT_FIELDS = ("role", "region_scope", "cooperative_id")
KEY_FIELDS = ("name", "scopes", "region_scope")
Cursor = Annotated[str | None, Query(max_length=500)]

# The audit trail's kinds of record, in the office's words; a kind not named here is shown
# as its code.
RESOURCE_TYPES = {
    "cooperative": N_("Cooperative"),
    "officer": N_("Cooperative officer"),
    "consultation": N_("Consultation"),
    "follow_up": N_("Follow-up"),
    "training": N_("Training"),
    "budget_line": N_("Budget line"),
    "refocusing": N_("Refocusing"),
    "sk_ahu_target": N_("SK AHU target"),
    "user": N_("Account"),
    "api_key": N_("API key"),
    "session": N_("Login"),
}
# What an API key may read, in the office's words.
SCOPE_WORDS = {
    ApiScope.regions_read.value: N_("Regions"),
    ApiScope.cooperatives_read.value: N_("Cooperatives"),
    ApiScope.officers_read.value: N_("Cooperative officers (names, contacts masked)"),
    ApiScope.stats_read.value: N_("Figures of the morning table"),
    ApiScope.planner_use.value: N_("Launch planner"),
}
# What the action box suggests as the administrator types (any action may be typed).
KNOWN_ACTIONS = (
    "api_key.create",
    "api_key.revoke",
    "auth.login",
    "auth.logout",
    "auth.refresh",
    "budget_line.create",
    "budget_line.import",
    "calendar.feed_token_issue",
    "calendar.feed_token_revoke",
    "consultation.accept",
    "consultation.create",
    "consultation.decline",
    "consultation.delete",
    "consultation.request",
    "consultation.update",
    "cooperative.create",
    "cooperative.delete",
    "cooperative.import",
    "cooperative.update",
    "follow_up.create",
    "follow_up.update",
    "legal_event.create",
    "officer.create",
    "officer.delete",
    "officer.nik_read",
    "officer.nik_read_limit_reached",
    "officer.update",
    "refocusing.apply",
    "refocusing.approve",
    "refocusing.create",
    "refocusing.reverse",
    "refocusing.submit",
    "refocusing.update",
    "sk_ahu_target.create",
    "sk_ahu_target.delete",
    "training.attendance",
    "training.create",
    "training.invite",
    "training.transition",
    "training.update",
    "user.create",
    "user.password_change",
    "user.update",
)


# --- accounts ---------------------------------------------------------------------------------


async def _region_choices(session: AsyncSession, caller: Caller) -> list[RegionPublic]:
    """What the region box suggests: the caller's own region and the regions directly in it
    (any code within it may be typed)."""
    own = caller_region(caller)
    choices: list[RegionPublic] = [await regions.get_region(session, own)] if own else []
    return choices + await regions.children(session, own)


@router.get("/admin/pengguna")
async def users_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    halaman: Cursor = None,
) -> Response:
    """The accounts within the caller's region. `halaman`: the cursor of the page to show."""
    page = PageParams(page_size=USERS_PAGE_SIZE, cursor=halaman, total=True)
    found = await accounts.list_users(session, caller, codec, page)
    return render(request, "admin_pengguna.html", {"found": found, "section": "pengguna"})


@router.get("/admin/pengguna/baru")
async def new_user_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    values = {"role": "officer", "region_scope": caller_region(caller) or ""}
    return await _new_user_form(request, session, caller, values)


async def _new_user_form(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_pengguna_baru.html",
        {
            "values": values,
            "errors": errors or {},
            "roles": USER_ROLES,
            "regions": await _region_choices(session, caller),
            "idempotency_key": idempotency_key or new_idempotency_key(),
            "section": "pengguna",
        },
        status_code=status_code,
    )


@router.post("/admin/pengguna/baru")
async def create_user(request: Request, writer: FormWriterDep) -> Response:
    form = await request.form()
    try:
        data = parse(UserCreate, form, NEW_USER_FIELDS)
        answer = await writer.once(201, accounts.create_user(writer, data), etag=True)
    except (ValidationError, Invalid, Conflict) as invalid:
        errors = field_errors(invalid)
        if isinstance(invalid, Conflict) and "username" in invalid.params:
            errors = {"username": invalid.said(gettext)}  # the name is taken
        # Never the password: it is typed again.
        values = {name: form.get(name) for name in NEW_USER_FIELDS if name != "password"}
        key = str(form.get("idempotency_key") or "") or None
        return await _new_user_form(
            request,
            writer.session,
            writer.caller,
            values,
            errors=errors,
            idempotency_key=key,
            status_code=422,
        )
    created = answer_of(answer)
    flash(
        request,
        gettext("The account %(username)s has been created.") % {"username": created["username"]},
    )
    return see_other(f"/admin/pengguna/{created['id']}")


async def _user_page(
    request: Request,
    reader: AsyncEngine,
    session: AsyncSession,
    caller: Caller,
    user_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """An account, and the forms that change it (none for the caller's own: that is
    `/akun`)."""
    user = await accounts.get_user(session, caller, user_id)
    cooperative = None
    if user.cooperative_id is not None:
        try:
            cooperative = await cooperatives.get_cooperative(reader, caller, user.cooperative_id)
        except NotFound:  # removed: the account lost its binding
            cooperative = None
    return render(
        request,
        "admin_pengguna_satu.html",
        {
            "user": user,
            "cooperative": cooperative,
            "own": caller.principal.kind == "user" and caller.principal.id == user.id,
            "etag": etag_of(user),
            "values": values or _assignment(user),
            "errors": errors or {},
            "roles": USER_ROLES,
            "regions": await _region_choices(session, caller),
            "section": "pengguna",
        },
        status_code=status_code,
    )


def _assignment(user: UserPublic) -> dict[str, Any]:
    return {
        "role": user.role.value,
        "region_scope": user.region_scope,
        "cooperative_id": user.cooperative_id,
    }


@router.get("/admin/pengguna/{user_id:int}")
async def user_page(
    request: Request, reader: ReaderDep, session: SessionDep, caller: CallerDep, user_id: RecordId
) -> Response:
    return await _user_page(request, reader, session, caller, user_id)


async def _change_user(
    request: Request,
    reader: AsyncEngine,
    writer: Any,
    user_id: int,
    form: FormData,
    patch: dict[str, Any] | tuple[str, ...],
    done: str,
) -> Response:
    """Change the account as `PATCH /api/v1/users/{id}` does, against the version the form
    was drawn from (its `etag`): `patch` is the change, or the form's fields that hold it."""
    etag = form.get("etag")
    url = f"/admin/pengguna/{user_id}"
    try:
        change = (
            parse(UserUpdate, form, patch)
            if isinstance(patch, tuple)
            else UserUpdate.model_validate_json(json.dumps(patch))
        )
        await accounts.update_user(
            writer,
            request.app.state.login_checks,
            user_id,
            change,
            if_match=etag if isinstance(etag, str) else None,
        )
    except (ValidationError, Invalid) as invalid:
        await writer.session.rollback()
        typed = (
            {name: form.get(name) for name in ASSIGNMENT_FIELDS}
            if patch == ASSIGNMENT_FIELDS
            else None
        )
        return await _user_page(
            request,
            reader,
            writer.session,
            writer.caller,
            user_id,
            values=typed,
            errors=field_errors(invalid),
            status_code=422,
        )
    except (PreconditionFailed, PreconditionRequired):
        await writer.session.rollback()
        flash(request, gettext("Someone else changed this account. Look at it again first."))
        return see_other(url)
    flash(request, done)
    return see_other(url)


@router.post("/admin/pengguna/{user_id:int}/peran")
async def change_assignment(
    request: Request, reader: ReaderDep, writer: WriterDep, user_id: RecordId
) -> Response:
    """The role, the region and (for a cooperative's account) the cooperative."""
    form = await request.form()
    done = gettext("The role and region have been saved.")
    return await _change_user(request, reader, writer, user_id, form, ASSIGNMENT_FIELDS, done)


@router.post("/admin/pengguna/{user_id:int}/sandi")
async def reset_password(
    request: Request, reader: ReaderDep, writer: WriterDep, user_id: RecordId
) -> Response:
    form = await request.form()
    done = gettext(
        "The new password has been set, and every login of the account has ended. "
        "Give it to its owner in person."
    )
    return await _change_user(request, reader, writer, user_id, form, ("password",), done)


@router.post("/admin/pengguna/{user_id:int}/status")
async def enable_or_disable(
    request: Request, reader: ReaderDep, writer: WriterDep, user_id: RecordId
) -> Response:
    form = await request.form()
    active = form.get("is_active") == "true"
    done = (
        gettext("The account has been enabled again.")
        if active
        else gettext("The account has been disabled, and its logins have ended.")
    )
    change = {"is_active": active}
    return await _change_user(request, reader, writer, user_id, form, change, done)


# --- API keys ---------------------------------------------------------------------------------


async def _api_keys_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    cursor: str | None,
    *,
    values: dict[str, Any] | None = None,
    created: ApiKeyCreated | None = None,
    errors: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
) -> Response:
    page = PageParams(page_size=KEYS_PAGE_SIZE, cursor=cursor, total=True)
    return render(
        request,
        "admin_kunci_api.html",
        {
            "found": await api_keys.list_api_keys(session, caller, codec, page),
            "created": created,
            "values": values or {"region_scope": caller_region(caller) or "", "scopes": []},
            "errors": errors or {},
            "scopes": list(ApiScope),
            "scope_words": {code: gettext(words) for code, words in SCOPE_WORDS.items()},
            "regions": await _region_choices(session, caller),
            "idempotency_key": idempotency_key or new_idempotency_key(),
            "section": "kunci-api",
        },
        status_code=status_code,
    )


@router.get("/admin/kunci-api")
async def api_keys_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    halaman: Cursor = None,
) -> Response:
    """The API keys within the caller's region, never their secrets, and the form for a new
    one. `halaman`: the cursor of the page to show."""
    return await _api_keys_page(request, session, caller, codec, halaman)


def _until_end_of(day: object) -> str | None:
    """The last day a key works (a form's date) as the moment it stops: the next midnight on
    the office's clock. Anything else is passed on, to be refused next to its field."""
    text = day.strip() if isinstance(day, str) else ""
    if not text:
        return None
    try:
        following = date.fromisoformat(text) + timedelta(days=1)
    except ValueError:
        return text
    return i18n.office_moment(f"{following.isoformat()}T00:00")


@router.post("/admin/kunci-api")
async def create_api_key(
    request: Request, codec: CursorCodecDep, writer: FormWriterDep
) -> Response:
    """The key is shown on the page this answers with, once: it is never stored, so it cannot
    follow a redirect. Sent again (a reload, a double click), the form gets the key's details
    without it."""
    form = await request.form()
    body = form_values(ApiKeyCreate, form, KEY_FIELDS)
    body["expires_at"] = _until_end_of(form.get("expires_at"))
    try:
        data = ApiKeyCreate.model_validate_json(json.dumps(body))
        answer = await writer.once(201, api_keys.create_api_key(writer, data), etag=True)
    except (ValidationError, Invalid) as invalid:
        values = {**body, "expires_at": form.get("expires_at")}
        key = str(form.get("idempotency_key") or "") or None
        return await _api_keys_page(
            request,
            writer.session,
            writer.caller,
            codec,
            None,
            values=values,
            errors=field_errors(invalid),
            idempotency_key=key,
            status_code=422,
        )
    created = ApiKeyCreated.model_validate_json(bytes(answer.body))
    page = await _api_keys_page(
        request, writer.session, writer.caller, codec, None, created=created
    )
    no_store(page)
    return page


@router.post("/admin/kunci-api/{api_key_id:int}/cabut")
async def revoke_api_key(request: Request, writer: WriterDep, api_key_id: RecordId) -> Response:
    form = await request.form()
    etag = form.get("etag")
    try:
        revoked = await api_keys.revoke_api_key(
            writer, api_key_id, if_match=etag if isinstance(etag, str) else None
        )
    except (PreconditionFailed, PreconditionRequired):
        await writer.session.rollback()
        flash(
            request,
            gettext(
                "This key has changed since the page was drawn (it may just have been used). "
                "Look at it again, then revoke it."
            ),
        )
    else:
        flash(request, gettext("The API key %(name)s has been revoked.") % {"name": revoked.name})
    return see_other("/admin/kunci-api")


# --- the audit trail --------------------------------------------------------------------------


class AuditQuery(BaseModel):
    """The trail's filters as its form sends them: an empty box is no filter."""

    model_config = ConfigDict(frozen=True)

    pelaku: Blank[Annotated[str, Field(max_length=100)]] = None
    jenis: Blank[Annotated[str, Field(max_length=40)]] = None
    aksi: Blank[Annotated[str, Field(max_length=60)]] = None
    dari: Blank[date] = None
    sampai: Blank[date] = None

    def actor(self) -> str | None:
        """A username alone is a person's account (`user:ani`); `api_key:…` names a key."""
        if not self.pelaku:
            return None
        actor = self.pelaku.strip()
        return actor if ":" in actor else f"user:{actor}"

    def since(self) -> datetime | None:
        """The first day's start, on the office's clock."""
        return _office_midnight(self.dari) if self.dari else None

    def until(self) -> datetime | None:
        """The end of the last day: the next day's start."""
        return _office_midnight(self.sampai + timedelta(days=1)) if self.sampai else None


def _office_midnight(day: date) -> datetime:
    return datetime.fromisoformat(i18n.office_moment(f"{day.isoformat()}T00:00") or "")


AuditQueryDep = Annotated[AuditQuery, Query()]


def record_link(event: AuditEventPublic) -> str | None:
    """The page of the record an event is about, where it has one."""
    snapshot = event.after or event.before or {}
    rid = event.resource_id if event.resource_id and event.resource_id.isdigit() else None
    kind = event.resource_type
    if kind == "cooperative" and rid:
        return f"/koperasi/{rid}"
    if kind == "officer" and isinstance(snapshot.get("cooperative_id"), int):
        return f"/koperasi/{snapshot['cooperative_id']}#pengurus"
    if kind == "consultation" and rid:
        return f"/konsultasi/{rid}"
    if kind == "follow_up" and isinstance(snapshot.get("consultation_id"), int):
        return f"/konsultasi/{snapshot['consultation_id']}"
    if kind == "training" and rid:
        return f"/pelatihan/{rid}"
    if kind == "budget_line" and isinstance(snapshot.get("fiscal_year"), int):
        return f"/anggaran?tahun={snapshot['fiscal_year']}#pos-{rid}"
    if kind == "refocusing" and rid:
        return f"/pergeseran/{rid}"
    if kind == "launch_plan" and rid:
        return f"/rencana/{rid}"
    if kind == "user" and rid:
        return f"/admin/pengguna/{rid}"
    if kind == "api_key" and rid:
        return f"/admin/kunci-api#kunci-{rid}"
    return None


def role_word(code: str) -> str:
    """The office's word for the role an event was made with; a failed login's is unknown."""
    try:
        return name_of(Role(code))
    except ValueError:
        return code


def changes(event: AuditEventPublic) -> list[tuple[str, str, str]]:
    """The fields an event changed, with their values before and after as text (as the trail
    keeps them: personal data masked or left out)."""
    before, after = event.before or {}, event.after or {}
    return [
        (name, _shown(before.get(name)), _shown(after.get(name)))
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(map(_shown, value)) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@router.get("/admin/audit")
async def audit_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    query: AuditQueryDep,
    halaman: Cursor = None,
) -> Response:
    """The trail of the caller's region, newest first, filtered by who, what kind of record,
    which action and which days. `halaman`: the cursor of the page to show."""
    page = PageParams(page_size=AUDIT_PAGE_SIZE, cursor=halaman, total=True)
    found = await audit.list_events(
        session,
        caller,
        codec,
        page,
        actor=query.actor(),
        resource_type=query.jenis,
        resource_id=None,
        action=query.aksi.strip() if query.aksi else None,
        request_id=None,
        since=query.since(),
        until=query.until(),
    )
    filters = urlencode({k: v for k, v in query.model_dump(mode="json").items() if v})
    return render(
        request,
        "admin_audit.html",
        {
            "found": found,
            "query": query,
            "filter_query": filters,
            "resource_types": {code: gettext(name) for code, name in RESOURCE_TYPES.items()},
            "actions": KNOWN_ACTIONS,
            "link_of": record_link,
            "changes_of": changes,
            "word_of_role": role_word,
            "section": "audit",
        },
    )
