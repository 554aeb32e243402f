"""Pages from Jinja2 templates, in the request's language.

Every page gets the caller (or None), the CSRF token for its forms, its language and the
switch to the other, and the formatters of `app.web.i18n` as filters.
"""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from app.access.permissions import Permission
from app.http.conditional import etag_of
from app.models.cooperative import BusinessUnit, LegalMilestone, LegalStage
from app.models.launch import BoardLevel, CheckInOutcome, DelegateRole, HubStatus, Readiness
from app.models.mentoring import Channel, Responsible, Topic, TrainingStatus
from app.web import i18n, words
from app.web.session import CSRF_FIELD, csrf_token, take_notices
from planner import Format, Item, Payer, Unit

STATIC_FILES = Path(__file__).parent / "static"
_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    i18n.gettext, i18n.ngettext, newstyle=True
)
_environment.filters.update(
    rupiah=i18n.rupiah,
    number=i18n.number,
    long_date=i18n.long_date,
    date_time=i18n.date_time,
    percent=i18n.percent,
)
# The codes whose words (`words(Topic)`) the templates list in forms and tables.
_environment.globals.update(
    {
        kind.__name__: kind
        for kind in (
            LegalStage,
            LegalMilestone,
            BusinessUnit,
            Channel,
            Topic,
            TrainingStatus,
            Format,
            Payer,
            Item,
            Unit,
            HubStatus,
            Readiness,
            DelegateRole,
            BoardLevel,
            CheckInOutcome,
        )
    },
    Responsible=Responsible,
    etag_of=etag_of,
)
templates = Jinja2Templates(env=_environment)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    caller = getattr(request.state, "caller", None)
    permissions = caller.principal.permissions if caller else frozenset()
    locale = i18n.current_locale()
    return templates.TemplateResponse(
        request,
        template,
        {
            "caller": caller,
            "may": lambda permission: Permission(permission) in permissions,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request),
            "locale": locale,
            "languages": i18n.LANGUAGE_NAMES.items(),
            "word": words.name_of,
            "words": words.names,
            "notices": take_notices(request),
            **(context or {}),
        },
        status_code=status_code,
    )
