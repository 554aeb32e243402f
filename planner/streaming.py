"""Pieces shared by the two formats that stream: studio, licences and hub kits."""

from __future__ import annotations

from planner.ledger import Context, LineKey, Shared, ceil_div, konsumsi_lines
from planner.model import Booking, Hub, Item, Payer, PlatformKind, Unit, Violation
from planner.platforms import Part, Setup, Use, choose_setup, largest_cap
from planner.regions import access
from planner.text import Text, Value


def book_platform(ctx: Context, out: Shared, seats: int, *, fanout: bool, what: Text) -> None:
    if seats == 0:
        return
    setup = choose_setup(
        ctx.offers, seats, fanout=fanout, interactive_seats=ctx.request.interactive_seats
    )
    if setup is None:
        kinds = frozenset({PlatformKind.MEETING, PlatformKind.WEBINAR})
        biggest = largest_cap(ctx.offers, kinds)
        if biggest:
            why = Text(
                "{seats} {what} exceed the cap of every allowed platform; the largest allowed is "
                "{platform} ({cap})",
                seats=seats,
                what=what,
                platform=biggest[1],
                cap=biggest[0],
            )
        else:
            why = Text(
                "{seats} {what} exceed the cap of every allowed platform", seats=seats, what=what
            )
        out.violations.append(Violation("platform_cap", why))
        return
    _charge(out, setup)
    meeting = largest_cap(ctx.offers, frozenset({PlatformKind.MEETING}))
    stream = next((o.platform.name for o in ctx.offers if o.cap is None), None)
    for part in setup.parts:
        out.notes.append(_why(part, what, meeting[0] if meeting else None))
        if part.offer.cap is not None and _at_cap(ctx, part.seats, part.offer.cap):
            out.warnings.append(_at_cap_warning(part, stream))


def _why(part: Part, what: Text, meeting_cap: int | None) -> Text:
    """Why this licence: what it is for, and why not a meeting when it is not one."""
    name, seats = part.platform.name, part.seats
    beyond = (
        meeting_cap is not None
        and seats > meeting_cap
        and part.offer.platform.kind is not PlatformKind.MEETING
    )
    if part.use is Use.VIEWERS:
        return Text(
            "{platform}: the other {seats} {what} watch the stream, which has no seat cap",
            platform=name,
            seats=seats,
            what=what,
        )
    if part.use is Use.EVERYONE:
        purpose = Text("one licence for all {seats} {what}", seats=seats, what=what)
    else:
        purpose = Text("the {seats} interactive seats, who may speak", seats=seats)
    if beyond:
        return Text(
            "{platform}: {purpose}; they exceed the {cap}-seat meeting cap",
            platform=name,
            purpose=purpose,
            cap=meeting_cap or 0,
        )
    return Text("{platform}: {purpose}", platform=name, purpose=purpose)


def _at_cap(ctx: Context, seats: int, cap: int) -> bool:
    """Booked so close to its cap that a late join or a reconnect may find no seat."""
    return seats >= cap * (1 - ctx.f["rules.cap_headroom"])


def _at_cap_warning(part: Part, stream: str | None) -> Text:
    booked: dict[str, Value] = {
        "platform": part.platform.name,
        "seats": part.seats,
        "cap": part.offer.cap or 0,
    }
    if stream is None:
        return Text(
            "{platform} is booked for {seats} of its {cap} seats, and no allowed platform is a "
            "stream to fall back on: allow one, or book the next tier",
            **booked,
        )
    return Text(
        "{platform} is booked for {seats} of its {cap} seats: share a {stream} link as the "
        "fallback for whoever is turned away",
        **booked,
        stream=stream,
    )


def _charge(out: Shared, setup: Setup) -> None:
    for part in setup.parts:
        for q, keys, unit in part.charges:
            out.add(LineKey(Item.LICENCE, part.platform.name, Payer.OFFICE, unit, keys), q)
        cap = (
            Text("no published cap")
            if part.offer.cap is None
            else Text("cap {cap}", cap=part.offer.cap)
        )
        out.bookings.append(
            Booking(
                "licence",
                part.platform.id,
                part.platform.name,
                1,
                Text("{seats} seats, {cap}", seats=part.seats, cap=cap),
                seats=part.seats,
                capacity=part.offer.cap,
            )
        )


def studio(out: Shared) -> None:
    out.add(
        LineKey(
            Item.STUDIO,
            Text("streaming production at the origin"),
            Payer.OFFICE,
            Unit.EVENT,
            ("studio.production",),
        ),
        1,
    )
    out.bookings.append(Booking("studio", "studio", Text("streaming production studio"), 1))


def hub_kits(ctx: Context, out: Shared, hubs: list[Hub]) -> None:
    seats = ctx.catalog.int_value("hub.kit_seats")
    kits = sum(ceil_div(h.attendees, seats) for h in hubs)
    hall_seats = ctx.catalog.int_value("hub.hall_seats")
    halls = sum(ceil_div(h.attendees, hall_seats) for h in hubs)
    out.add(
        LineKey(
            Item.HUB_KIT,
            Text("screen, sound and connection ({hubs} hubs)", hubs=len(hubs)),
            Payer.OFFICE,
            Unit.KIT_EVENT,
            ("hub.kit",),
        ),
        kits,
    )
    out.add(
        LineKey(Item.HUB_HALL, Text("hub halls"), Payer.OFFICE, Unit.HALL, ("hub.venue_rent",)),
        halls,
    )
    crowded = [h for h in hubs if h.attendees > hall_seats]
    if crowded:
        largest = max(crowded, key=lambda h: h.attendees)
        out.notes.append(
            Text(
                "{hubs} hubs have more people than one hall holds ({seats}): they take {extra} "
                "more halls, the largest, {hub}, {halls} halls for {people} people",
                hubs=len(crowded),
                seats=hall_seats,
                extra=halls - len(hubs),
                hub=largest.name,
                halls=ceil_div(largest.attendees, hall_seats),
                people=largest.attendees,
            )
        )
    unpowered = [h for h in hubs if h.site in access().no_power]
    if unpowered:
        out.add(
            LineKey(
                Item.POWER,
                Text("generators at hubs without 24-hour power ({hubs})", hubs=len(unpowered)),
                Payer.OFFICE,
                Unit.GENERATOR_DAY,
                ("power.generator_day",),
            ),
            len(unpowered),
        )
    konsumsi_lines(ctx, out, sum(h.attendees for h in hubs), Text("hubs"))
    out.hubs.extend(hubs)
    out.bookings.append(
        Booking(
            "hub",
            "hubs",
            Text("watch-party hubs"),
            len(hubs),
            Text("{kits} screen-and-sound kits", kits=kits),
        )
    )
