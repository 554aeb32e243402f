"""Kalender: the link that subscribes a phone or desktop calendar to the caller's trainings and
follow-ups, as text and as a QR code, and the revocation that ends it. Each handler calls the
API's calendar service.

The link is a credential (whoever has it reads the calendar), so it is shown as the NIK is:
after a click, recorded in the audit trail as `POST /api/v1/calendar/feed-token` records it,
and never kept by a cache."""

import segno
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from app.http.conditional import no_store
from app.http.idempotency import WriterDep
from app.services import calendar
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import FormWriterDep, new_idempotency_key, page_router, see_other
from app.web.session import flash

router = page_router()

QR_SCALE = 4  # pixels per module at its natural size; the page scales it to fit


def qr_code(text: str, title: str) -> Markup:
    """`text` as a QR code in inline SVG, named `title` for a screen reader. segno writes no
    style attribute and no script, so the page's CSP takes it as it is."""
    svg = segno.make(text, error="m").svg_inline(
        scale=QR_SCALE, title=title, svgclass="qr", lineclass=None, omitsize=True
    )
    # segno escapes the title; the markup is its own.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def _calendar_page(request: Request, feed: calendar.FeedToken | None = None) -> Response:
    context = {"feed": feed, "idempotency_key": new_idempotency_key()}
    if feed is not None:
        context["qr"] = qr_code(feed.url, gettext("QR code of your calendar subscription link"))
    return render(request, "kalender.html", context)


@router.get("/kalender")
async def calendar_page(request: Request) -> Response:
    return _calendar_page(request)


@router.post("/kalender/tautan")
async def show_link(request: Request, writer: WriterDep) -> Response:
    """The link and its QR code, issued as the API issues it (and recorded in the trail)."""
    feed = await calendar.issue_feed_token(writer, request)
    page = _calendar_page(request, feed)
    no_store(page)
    return page


@router.post("/kalender/cabut")
async def revoke_link(request: Request, writer: FormWriterDep) -> Response:
    """Every link issued so far stops working; the next one shown is new."""
    await writer.once(200, calendar.revoke_feed_tokens(writer))
    flash(
        request,
        gettext(
            "The old link has been revoked and no longer works. Show the new link and "
            "subscribe with it again."
        ),
    )
    return see_other("/kalender")
