"""The officer's calendar: upcoming trainings and open follow-ups as an iCalendar feed that a
phone calendar can subscribe to.

A phone calendar cannot send a bearer header, so a subscription uses a feed token in the URL:
signed with the app secret (rotating the secret revokes every feed token) and bound to the
account's version, like access tokens are (a new password, role, region or a disabled account
revokes that account's feed tokens), and to the account's feed version, which its owner puts
up to revoke the link alone (a phone lost or a link shared by mistake) and get a new one. It
names only the account: role and region are read from the database on every fetch.
"""

import re
from datetime import date, datetime, timedelta

from asgi_correlation_id import correlation_id
from fastapi import Request
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller, user_principal
from app.access.permissions import Permission
from app.access.scope import code_in_caller_scope
from app.errors import Forbidden, Unauthorized
from app.http.idempotency import Writer
from app.models.account import UserAccount
from app.models.common import EARLIEST_DATE, LATEST_DATE, utcnow
from app.models.cooperative import Cooperative
from app.models.mentoring import (
    Consultation,
    FollowUp,
    FollowUpStatus,
    Training,
    TrainingStatus,
)
from app.services import audit
from app.services.accounts import access_claims
from app.services.trainings import visible_to

_SALT = "kopdes.calendar-feed"
# A national account could otherwise pull every training in the country into a phone.
MAX_EVENTS = 500
_UPCOMING = (TrainingStatus.funded.value, TrainingStatus.scheduled.value)
# Free text may hold a phone number or a NIK typed in by someone; a feed leaves the service
# for phones and their cloud backups, so any run of 10 or more digits is left out.
_DIGIT_RUN = re.compile(r"\+?\d[\d .-]*\d")
_SUMMARY_LENGTH = 120


class FeedToken(BaseModel):
    token: str = Field(description="Secret: whoever has it can read your calendar.")
    url: str = Field(description="Subscribe to this URL in a phone or desktop calendar.")


class FeedTokensRevoked(BaseModel):
    revoked_at: datetime = Field(
        description="Every feed URL issued before this moment no longer works; "
        "`POST /api/v1/calendar/feed-token` gives the new one."
    )


def _serializer(request: Request) -> URLSafeSerializer:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return URLSafeSerializer(secret, salt=_SALT)


def _user_id(caller: Caller) -> int:
    """The caller's account, which a feed belongs to."""
    if caller.principal.kind != "user":
        raise Forbidden("a calendar feed belongs to a user account, not an API key")
    return caller.principal.id


def _active(user: UserAccount | None) -> UserAccount:
    if user is None or not user.is_active:
        raise Unauthorized("this account no longer exists or is deactivated")
    return user


async def issue_feed_token(writer: Writer, request: Request) -> FeedToken:
    """The account's current feed URL: the same one each time until the link is revoked (or
    the account's password, role, region or active flag changes)."""
    session, caller = writer.session, writer.caller
    user = _active(await session.get(UserAccount, _user_id(caller)))
    token = _serializer(request).dumps(
        {"u": user.id, "v": user.token_version, "f": user.calendar_feed_version}
    )
    url = request.url_for("calendar_feed_by_token").include_query_params(token=token)
    # Issuing a long-lived credential is worth a line in the trail (the token itself is not).
    audit.record(
        session,
        caller,
        action="calendar.feed_token_issue",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_scope,
    )
    await writer.commit()
    return FeedToken(token=token, url=str(url))


async def revoke_feed_tokens(writer: Writer) -> FeedTokensRevoked:
    """End every feed URL of the caller's account issued so far; the next one issued is new.
    The account's logins are untouched. Only the moment is recorded for a retry (never a
    token: the record is kept in clear text)."""
    session, caller = writer.session, writer.caller
    user = _active(await writer.lock(UserAccount, _user_id(caller)))
    user.calendar_feed_version += 1  # only ever up: an old link never comes back
    audit.record(
        session,
        caller,
        action="calendar.feed_token_revoke",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_scope,
    )
    answer = FeedTokensRevoked(revoked_at=utcnow())
    await writer.record(answer)
    await writer.commit()
    return answer


async def caller_from_feed_token(session: AsyncSession, request: Request, token: str) -> Caller:
    """The caller a feed token stands for, with the account's current role and region."""
    refused = Unauthorized(
        "the calendar feed token is invalid or revoked; get a new one from "
        "POST /api/v1/calendar/feed-token"
    )
    try:
        claims = _serializer(request).loads(token)
        user = await session.get(UserAccount, int(claims["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise refused from None
    if (
        user is None
        or not user.is_active
        or claims.get("v") != user.token_version
        # Issued before feed versions existed: version 1, until the link is first revoked.
        or claims.get("f", 1) != user.calendar_feed_version
    ):
        raise refused
    principal = user_principal(access_claims(user))
    if Permission.calendar_read not in principal.permissions:
        raise Forbidden(
            "your role ({role}) may not do this ({permission})",
            params={"role": principal.role, "permission": Permission.calendar_read},
        )
    return Caller(
        principal=principal,
        request_id=correlation_id.get(),
        client_ip=request.client.host if request.client else None,
    )


def _clean(text: str) -> str:
    def drop_long_numbers(match: re.Match[str]) -> str:
        digits = sum(char.isdigit() for char in match.group())
        return "[number removed]" if digits >= 10 else match.group()

    return _DIGIT_RUN.sub(drop_long_numbers, text)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SUMMARY_LENGTH else text[: _SUMMARY_LENGTH - 1] + "…"


def _all_day(event: Event, first: date, last: date) -> None:
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # DTEND of an all-day event is exclusive


async def _training_events(session: AsyncSession, caller: Caller, today: date) -> list[Event]:
    trainings = await session.scalars(
        select(Training)
        .where(
            *visible_to(caller),
            col(Training.status).in_(_UPCOMING),
            col(Training.planned_start) >= EARLIEST_DATE,  # which leaves out those with no dates
            col(Training.planned_end) >= today,
            col(Training.planned_end) <= LATEST_DATE,
        )
        .order_by(col(Training.planned_start), col(Training.id))
        .limit(MAX_EVENTS)
    )
    events = []
    for training in trainings:
        scheduled = training.status == TrainingStatus.scheduled
        event = Event()
        event.add("uid", f"training-{training.id}@kopdes")
        # Without METHOD, DTSTAMP is when the information last changed (RFC 5545 3.8.7.2).
        event.add("dtstamp", training.updated_at)
        assert training.planned_start is not None and training.planned_end is not None
        _all_day(event, training.planned_start, training.planned_end)
        prefix = "Training" if scheduled else "Training (funded, not yet scheduled)"
        event.add("summary", f"{prefix}: {_short(_clean(training.title))}")
        if training.venue:
            event.add("location", _clean(training.venue))
        event.add(
            "description",
            f"Status: {training.status}. Region {training.region_code}. "
            f"Capacity {training.capacity}. Training {training.id}.",
        )
        event.add("status", "CONFIRMED" if scheduled else "TENTATIVE")
        event.add("categories", ["training"])
        events.append(event)
    return events


async def _follow_up_events(session: AsyncSession, caller: Caller) -> list[Event]:
    if caller.principal.kind != "user":
        return []
    query = (
        select(FollowUp, col(Consultation.contact_name), col(Cooperative.name))
        .join(Consultation, col(Consultation.id) == FollowUp.consultation_id)
        .outerjoin(Cooperative, col(Cooperative.id) == Consultation.cooperative_id)
        .where(
            col(FollowUp.officer_id) == caller.principal.id,
            col(FollowUp.status) == FollowUpStatus.open.value,
            col(FollowUp.due_date).between(EARLIEST_DATE, LATEST_DATE),
            # A soft-deleted consultation takes its follow-ups out of everyone's work.
            col(Consultation.deleted_at).is_(None),
        )
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
        .limit(MAX_EVENTS)
    )
    query = query.where(*code_in_caller_scope(caller, Consultation.village_code))
    events = []
    # Overdue ones stay in the feed, on their due date: no follow-up is to be forgotten.
    for follow_up, contact_name, cooperative_name in await session.execute(query):
        who = cooperative_name or contact_name
        event = Event()
        event.add("uid", f"follow-up-{follow_up.id}@kopdes")
        event.add("dtstamp", follow_up.updated_at)
        _all_day(event, follow_up.due_date, follow_up.due_date)
        event.add("summary", f"Follow-up: {_short(_clean(follow_up.description))}")
        description = _clean(follow_up.description)
        if who:
            description += f"\nWith: {_clean(who)}"
        description += f"\nConsultation {follow_up.consultation_id}."
        event.add("description", description)
        event.add("categories", ["follow-up"])
        events.append(event)
    return events


async def feed(session: AsyncSession, caller: Caller, today: date) -> bytes:
    """The feed for `officer=me`: the caller's upcoming trainings (funded or scheduled, with
    dates, not yet over, in their region) and the due dates of their open follow-ups.

    Only dates within the API's range (EARLIEST_DATE to LATEST_DATE) are shown: a row stored
    before the range was enforced (a training ending on 9999-12-31) would otherwise break the
    whole feed, and no calendar can show it sensibly; the lists still show it, to correct it."""
    calendar = Calendar()
    calendar.add("prodid", "-//kopdes//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Kopdes: {caller.principal.name}")
    # Subscribed calendars poll; hourly is enough for trainings and due dates.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in await _training_events(session, caller, today):
        calendar.add_component(event)
    for event in await _follow_up_events(session, caller):
        calendar.add_component(event)
    return calendar.to_ical()
