"""What to book, and when: the milestones of a format, working back from the event date.

Lead times are catalog entries (`lead.*`), so that an office can set its own. The budget window
is the law's: the APBD is agreed at least a month before its fiscal year begins, and its change
(APBD-P) at least three months before the year ends (PP 12/2019 on regional financial
management).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from planner.ledger import Context
from planner.model import Booking, Format, Milestone
from planner.text import Text, joined

# The bookings bought from vendors, for which three quotes are needed.
_QUOTED = ("production", "studio", "hub")


def milestones(ctx: Context, fmt: Format, bookings: Sequence[Booking]) -> tuple[Milestone, ...]:
    event = ctx.request.event.date
    catalog = ctx.catalog

    def before(key: str, what: Text) -> Milestone:
        return Milestone(event - dt.timedelta(days=catalog.int_value(key)), what, (key,))

    out = [_budget_window(event)]
    offers = {o.platform.id: o for o in ctx.offers}
    for booking in bookings:
        if booking.kind == "licence" and booking.id in offers:
            offer = offers[booking.id]
            if offer.platform.through_sales:
                out.append(
                    before(
                        "lead.sales_licence_days",
                        Text(
                            "order {platform} through the vendor's sales team",
                            platform=offer.platform.name,
                        ),
                    )
                )
            elif offer.price:
                out.append(
                    before(
                        "lead.licence_days", Text("buy {platform}", platform=offer.platform.name)
                    )
                )
        elif booking.kind == "venue":
            out.append(
                before(
                    "lead.permit_days",
                    Text(
                        "book {venue} in writing and get the crowd permit (izin keramaian) from "
                        "the Polres",
                        venue=booking.name,
                    ),
                )
            )
    quoted = [booking.name for booking in bookings if booking.kind in _QUOTED]
    if quoted:
        out.append(
            before(
                "lead.quotes_days",
                Text("three vendor quotes for: {items}", items=joined(quoted, ", ")),
            )
        )
    rehearsal = (
        Text("rehearse at the venue (gladi bersih)")
        if fmt is Format.OFFLINE_CENTRAL
        else Text("rehearse with the studio and every hub or room connected as on the day")
    )
    out.append(before("lead.rehearsal_days", rehearsal))
    return tuple(sorted(out, key=lambda m: m.due))


def _budget_window(event: dt.date) -> Milestone:
    """The latest budget that can still fund the event: the APBD-P of its year when it falls
    after that change is agreed, else the APBD of its year."""
    change_agreed = dt.date(event.year, 9, 30)
    if event > change_agreed:
        return Milestone(
            change_agreed,
            Text(
                "the cost in the APBD {year}, or at the latest in its change (APBD-P), agreed "
                "by this date",
                year=str(event.year),
            ),
        )
    return Milestone(
        dt.date(event.year - 1, 11, 30),
        Text("the cost in the APBD {year}, agreed by this date", year=str(event.year)),
    )


def cost_standard_warnings(ctx: Context) -> list[Text]:
    """A warning when the event falls outside the year of the catalog's cost standard."""
    year, standard = ctx.request.event.date.year, ctx.catalog.int_value("sbm.year")
    if year == standard:
        return []
    return [
        Text(
            "the event is in {year}, but the per diem and meal rates are the cost standard's "
            "for {standard}: check them against the standard for {year}",
            year=str(year),
            standard=str(standard),
        )
    ]
