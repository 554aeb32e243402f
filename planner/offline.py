"""offline_central: everyone travels to one venue in Tenggarong."""

from __future__ import annotations

from collections.abc import Mapping

from planner import travel
from planner.demand import Cohort
from planner.ledger import Context, LineKey, PersonCost, Shared, ceil_div, konsumsi_lines
from planner.model import Booking, Item, Payer, Unit, Violation
from planner.text import Text

SOUND_SYSTEM = Text("sound system")


def person(c: Cohort, ctx: Context) -> PersonCost:
    return PersonCost(travel.lines(c, travel.to_tenggarong(c), ctx), c.hours, None)


def shared(ctx: Context, total: int, groups: Mapping[str, int]) -> Shared:
    cat = ctx.catalog
    out = Shared()
    venues = sorted(
        cat.venues,
        key=lambda v: (
            cat.int_value(f"venue.{v.id}.capacity"),
            cat.value(f"venue.{v.id}.rent"),
            v.id,
        ),
    )
    # The cheapest venue that holds everyone (the smaller on equal rent): more people can only
    # rule venues out, so the rent never falls as the attendance grows.
    venue = min(
        (v for v in venues if cat.int_value(f"venue.{v.id}.capacity") >= total),
        key=lambda v: (cat.value(f"venue.{v.id}.rent"), venues.index(v)),
        default=None,
    )
    if venue is None and venues:
        biggest = venues[-1]
        cap = cat.int_value(f"venue.{biggest.id}.capacity")
        out.violations.append(
            Violation(
                "venue_capacity",
                Text(
                    "{total} participants do not fit any catalogued venue; the largest is "
                    "{venue} ({capacity})",
                    total=total,
                    venue=biggest.name,
                    capacity=cap,
                ),
            )
        )
        out.notes.append(Text("costed as if {venue} could hold everyone", venue=biggest.name))
        venue = biggest
    elif venue is None:
        out.violations.append(Violation("venue_capacity", Text("the catalog lists no venue")))
    if venue is not None:
        cap = cat.int_value(f"venue.{venue.id}.capacity")
        out.bookings.append(
            Booking(
                "venue",
                venue.id,
                venue.name,
                1,
                Text("capacity {capacity}", capacity=cap),
                seats=total,
                capacity=cap,
            )
        )
        out.add(
            LineKey(Item.VENUE, venue.name, Payer.OFFICE, Unit.DAY, (f"venue.{venue.id}.rent",)), 1
        )
        if venue.risk:
            out.warnings.append(Text("{venue}: {risk}", venue=venue.name, risk=venue.risk))

    konsumsi_lines(ctx, out, total, Text("venue"))

    large = total > cat.int_value("production.sound_large_above")
    sound = "production.sound_large" if large else "production.sound_small"
    out.add(LineKey(Item.PRODUCTION, SOUND_SYSTEM, Payer.OFFICE, Unit.DAY, (sound,)), 1)
    out.bookings.append(
        Booking(
            "production",
            sound,
            SOUND_SYSTEM,
            1,
            Text("large outdoor PA") if large else Text("ceremony PA"),
        )
    )
    screens = ceil_div(total, cat.int_value("production.people_per_screen"))
    m2 = screens * cat.int_value("production.led_m2_per_screen")
    out.add(
        LineKey(
            Item.PRODUCTION,
            Text("LED screens ({screens})", screens=screens),
            Payer.OFFICE,
            Unit.M2_DAY,
            ("production.led_m2_day",),
        ),
        m2,
    )
    out.bookings.append(
        Booking("production", "led_screen", Text("LED screen"), screens, Text("{m2} m²", m2=m2))
    )
    if venue is not None and venue.outdoor:
        tents = ceil_div(total, cat.int_value("production.tent_seats"))
        out.add(
            LineKey(
                Item.PRODUCTION, Text("tents"), Payer.OFFICE, Unit.TENT_DAY, ("production.tent",)
            ),
            tents,
        )
        out.add(
            LineKey(
                Item.PRODUCTION,
                Text("chairs"),
                Payer.OFFICE,
                Unit.CHAIR_DAY,
                ("production.chair_day",),
            ),
            total,
        )
        out.bookings.append(Booking("production", "tent", Text("tent"), tents))
        out.bookings.append(Booking("production", "chair", Text("chair"), total))

    members = max(
        cat.int_value("committee.minimum"), ceil_div(total, cat.int_value("committee.per_member"))
    )
    out.add(
        LineKey(
            Item.COMMITTEE,
            Text("committee ({members})", members=members),
            Payer.OFFICE,
            Unit.PERSON_EVENT,
            ("committee.honor",),
        ),
        members,
    )
    out.add(
        LineKey(
            Item.COMMITTEE, Text("master of ceremonies"), Payer.OFFICE, Unit.EVENT, ("honor.mc",)
        ),
        1,
    )
    ceremony(ctx, out, total)
    return out


def ceremony(ctx: Context, out: Shared, total: int) -> None:
    """What a ceremony of `total` people needs beyond the stage: documentation and decoration
    (bought from vendors, as production is), a guard for every so many people and a health post
    for every so many, at least one."""
    cat = ctx.catalog
    for key, what in (
        ("ceremony.documentation", Text("photo and video documentation")),
        ("ceremony.decoration", Text("stage decoration and banners")),
    ):
        out.add(LineKey(Item.PRODUCTION, what, Payer.OFFICE, Unit.EVENT, (key,)), 1)
    guards = ceil_div(total, cat.int_value("ceremony.people_per_guard"))
    out.add(
        LineKey(
            Item.CEREMONY,
            Text("security ({guards} guards)", guards=guards),
            Payer.OFFICE,
            Unit.GUARD_DAY,
            ("ceremony.guard_day",),
        ),
        guards,
    )
    posts = ceil_div(total, cat.int_value("ceremony.people_per_health_post"))
    out.add(
        LineKey(
            Item.CEREMONY,
            Text("health posts ({posts})", posts=posts),
            Payer.OFFICE,
            Unit.POST_DAY,
            ("ceremony.health_post",),
        ),
        posts,
    )
