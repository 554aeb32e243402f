"""Pieces shared by the two formats that stream: studio, licences and hub kits."""

from __future__ import annotations

from planner.ledger import Context, LineKey, Shared, ceil_div, konsumsi_lines
from planner.model import Booking, Hub, Payer, PlatformKind, Violation
from planner.platforms import Part, Setup, Use, choose_setup, largest_cap


def book_platform(ctx: Context, out: Shared, seats: int, *, fanout: bool, what: str) -> None:
    if seats == 0:
        return
    setup = choose_setup(
        ctx.offers, seats, fanout=fanout, interactive_seats=ctx.request.interactive_seats
    )
    if setup is None:
        kinds = frozenset({PlatformKind.MEETING, PlatformKind.WEBINAR})
        biggest = largest_cap(ctx.offers, kinds)
        tail = f"; the largest allowed is {biggest[1]} ({biggest[0]:,})" if biggest else ""
        out.violations.append(
            Violation(
                "platform_cap", f"{seats:,} {what} exceed the cap of every allowed platform{tail}"
            )
        )
        return
    _charge(out, setup)
    meeting = largest_cap(ctx.offers, frozenset({PlatformKind.MEETING}))
    for part in setup.parts:
        out.notes.append(_why(part, what, meeting[0] if meeting else None))


def _why(part: Part, what: str, meeting_cap: int | None) -> str:
    """Why this licence: what it is for, and why not a meeting when it is not one."""
    name, seats = part.platform.name, part.seats
    beyond = (
        f"; they exceed the {meeting_cap:,}-seat meeting cap"
        if meeting_cap is not None
        and seats > meeting_cap
        and part.offer.platform.kind is not PlatformKind.MEETING
        else ""
    )
    if part.use is Use.EVERYONE:
        return f"{name}: one licence for all {seats:,} {what}{beyond}"
    if part.use is Use.INTERACTIVE:
        return f"{name}: the {seats:,} interactive seats, who may speak{beyond}"
    return f"{name}: the other {seats:,} {what} watch the stream, which has no seat cap"


def _charge(out: Shared, setup: Setup) -> None:
    for part in setup.parts:
        for q, keys, unit in part.charges:
            out.add(LineKey("licence", part.platform.name, Payer.OFFICE, unit, keys), q)
        cap = "no published cap" if part.offer.cap is None else f"cap {part.offer.cap:,}"
        out.bookings.append(
            Booking(
                "licence",
                part.platform.id,
                part.platform.name,
                1,
                f"{part.seats:,} seats, {cap}",
                seats=part.seats,
                capacity=part.offer.cap,
            )
        )


def studio(out: Shared) -> None:
    out.add(
        LineKey(
            "studio",
            "streaming production at the origin",
            Payer.OFFICE,
            "event",
            ("studio.production",),
        ),
        1,
    )
    out.bookings.append(Booking("studio", "studio", "streaming production studio", 1))


def hub_kits(ctx: Context, out: Shared, hubs: list[Hub]) -> None:
    seats = ctx.catalog.int_value("hub.kit_seats")
    kits = sum(ceil_div(h.attendees, seats) for h in hubs)
    out.add(
        LineKey(
            "hub_kit",
            f"screen, sound and connection ({len(hubs):,} hubs)",
            Payer.OFFICE,
            "kit-event",
            ("hub.kit",),
        ),
        kits,
    )
    out.add(LineKey("hub_kit", "hub halls", Payer.OFFICE, "hub", ("hub.venue_rent",)), len(hubs))
    konsumsi_lines(ctx, out, sum(h.attendees for h in hubs), "hubs")
    out.hubs.extend(hubs)
    out.bookings.append(
        Booking("hub", "hubs", "watch-party hubs", len(hubs), f"{kits:,} screen-and-sound kits")
    )
