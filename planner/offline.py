"""offline_central: everyone travels to one venue in Tenggarong."""

from __future__ import annotations

from collections.abc import Mapping

from planner import travel
from planner.demand import Cohort
from planner.ledger import Context, LineKey, PersonCost, Shared, ceil_div, konsumsi_lines
from planner.model import Booking, Payer, Violation


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
                f"{total:,} participants do not fit any catalogued venue; the largest is "
                f"{biggest.name} ({cap:,})",
            )
        )
        out.notes.append(f"costed as if {biggest.name} could hold everyone")
        venue = biggest
    elif venue is None:
        out.violations.append(Violation("venue_capacity", "the catalog lists no venue"))
    if venue is not None:
        cap = cat.int_value(f"venue.{venue.id}.capacity")
        out.bookings.append(
            Booking(
                "venue", venue.id, venue.name, 1, f"capacity {cap:,}", seats=total, capacity=cap
            )
        )
        out.add(LineKey("venue", venue.name, Payer.OFFICE, "day", (f"venue.{venue.id}.rent",)), 1)

    konsumsi_lines(ctx, out, total, "venue")

    large = total > cat.int_value("production.sound_large_above")
    sound = "production.sound_large" if large else "production.sound_small"
    out.add(LineKey("production", "sound system", Payer.OFFICE, "day", (sound,)), 1)
    out.bookings.append(
        Booking(
            "production", sound, "sound system", 1, "large outdoor PA" if large else "ceremony PA"
        )
    )
    screens = ceil_div(total, cat.int_value("production.people_per_screen"))
    m2 = screens * cat.int_value("production.led_m2_per_screen")
    out.add(
        LineKey(
            "production",
            f"LED screens ({screens})",
            Payer.OFFICE,
            "m2-day",
            ("production.led_m2_day",),
        ),
        m2,
    )
    out.bookings.append(Booking("production", "led_screen", "LED screen", screens, f"{m2} m2"))
    if venue is not None and venue.outdoor:
        tents = ceil_div(total, cat.int_value("production.tent_seats"))
        out.add(
            LineKey("production", "tents", Payer.OFFICE, "tent-day", ("production.tent",)), tents
        )
        out.add(
            LineKey("production", "chairs", Payer.OFFICE, "chair-day", ("production.chair_day",)),
            total,
        )
        out.bookings.append(Booking("production", "tent", "tent", tents))
        out.bookings.append(Booking("production", "chair", "chair", total))

    members = max(
        cat.int_value("committee.minimum"), ceil_div(total, cat.int_value("committee.per_member"))
    )
    out.add(
        LineKey(
            "committee",
            f"committee ({members})",
            Payer.OFFICE,
            "person-event",
            ("committee.honor",),
        ),
        members,
    )
    out.add(LineKey("committee", "master of ceremonies", Payer.OFFICE, "event", ("honor.mc",)), 1)
    return out
