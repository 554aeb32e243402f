"""The calendar feed, two ways in.

`GET /calendar.ics` is an ordinary route: `authorize` checks the bearer token (or API key)
against the permission table like everywhere else.

A phone calendar cannot send a header, so `GET /calendar/feed.ics?token=…` takes a signed feed
token instead. It is `public` in the permission table because `authorize` only understands
headers; the route authenticates itself with the token (`calendar.caller_from_feed_token`),
and the token is a required query parameter, so there is no way in without one. Keeping it a
separate path, rather than letting `/calendar.ics` also be public, keeps the table truthful:
`/calendar.ics` still needs `calendar_read`, and the role × route matrix holds for both.
"""

from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.auth import Caller, CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import no_store, with_no_store
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.services import calendar

router = APIRouter(tags=["calendar"], route_class=StrictJSONRoute)

# "Upcoming" is judged in WIB, the earliest "today" in Indonesia, so that nothing is dropped
# from the feed while it is still today somewhere in the country.
_WIB = timezone(timedelta(hours=7))
_ICS = "text/calendar; charset=utf-8"
_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "An iCalendar (RFC 5545) feed."}
}
Officer = Annotated[
    Literal["me"],
    Query(description="Whose calendar: only `me` (your own trainings and follow-ups)."),
]


async def _feed(session: AsyncSession, caller: Caller) -> Response:
    body = await calendar.feed(session, caller, datetime.now(UTC).astimezone(_WIB).date())
    return Response(
        body,
        media_type=_ICS,
        headers={
            "Content-Disposition": 'inline; filename="kopdes.ics"',
            # Names and due dates of one officer: no shared cache may keep them.
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/calendar.ics", response_class=Response, responses=_FEED_RESPONSES)
async def calendar_feed(
    session: SessionDep, caller: CallerDep, officer: Officer = "me"
) -> Response:
    """Your upcoming trainings (funded or scheduled, in your region) as all-day events, and
    the due dates of your open follow-ups, overdue ones included."""
    return await _feed(session, caller)


@router.get(
    "/calendar/feed.ics",
    response_class=Response,
    responses={**_FEED_RESPONSES, **problems(401, 403)},
)
async def calendar_feed_by_token(
    request: Request,
    session: SessionDep,
    token: Annotated[
        str,
        Query(
            min_length=20,
            max_length=500,
            description="The feed token from `POST /api/v1/calendar/feed-token`.",
        ),
    ],
    officer: Officer = "me",
) -> Response:
    """The same feed for a phone calendar, which cannot send a header: the feed token in the
    URL is the credential."""
    caller = await calendar.caller_from_feed_token(session, request, token)
    return await _feed(session, caller)


@router.post(
    "/calendar/feed-token", status_code=status.HTTP_201_CREATED, responses=with_no_store({}, 201)
)
async def issue_feed_token(
    request: Request, response: Response, writer: WriterDep
) -> calendar.FeedToken:
    """A long-lived URL to subscribe to your calendar from a phone. Keep it secret: it reads
    your calendar without a password. Changing your password revokes it, and so does
    `POST /api/v1/calendar/feed-token/revoke`."""
    no_store(response)
    return await calendar.issue_feed_token(writer, request)


@router.post(
    "/calendar/feed-token/revoke",
    response_model=calendar.FeedTokensRevoked,
    responses={**problems(401, 403), **idempotent(200)},
)
async def revoke_feed_tokens(writer: IdempotentWriterDep) -> Response:
    """Revoke your calendar feed URL (a phone lost, a link shared by mistake): every feed token
    issued so far is refused from now on, and `POST /api/v1/calendar/feed-token` gives a new
    one. Your logins stay as they are."""
    return await writer.once(status.HTTP_200_OK, calendar.revoke_feed_tokens(writer))
