"""online: everyone connects on their own; villages without signal go to a hub or are unserved."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from planner.demand import Cohort
from planner.ledger import Context, LineKey, PersonCost, Shared, gb
from planner.model import Bandwidth, Hub, Item, NoSignalPolicy, Payer, Unit, Violation
from planner.regions import regions
from planner.streaming import book_platform, hub_kits, studio
from planner.text import Text

UNSERVED = "unserved"
HUB = "hub:"


def person(c: Cohort, ctx: Context) -> PersonCost:
    if c.no_signal:
        policy = ctx.request.no_signal_policy
        # Their village office has a radio link: a hub there needs no travel.
        return PersonCost((), 0.0, HUB + c.origin if policy is NoSignalPolicy.HUB else UNSERVED)
    payer = Payer.OFFICE if ctx.request.office_pays_data else Payer.PARTICIPANTS
    hours = Decimal(str(ctx.event_hours))
    line = LineKey(
        Item.DATA,
        Text("data allowance, own device"),
        payer,
        Unit.PERSON_HOUR,
        ("data.price_per_gb", "data.viewer_gb_per_hour"),
    )
    return PersonCost(((line, hours),), 0.0, None)


def shared(ctx: Context, total: int, groups: Mapping[str, int]) -> Shared:
    out = Shared()
    known = regions()
    out.unserved = groups.get(UNSERVED, 0)
    hubs = [
        Hub(
            code[len(HUB) :],
            Text("village office {village}", village=known[code[len(HUB) :]].name),
            "village",
            n,
            site=code[len(HUB) :],
        )
        for code, n in sorted(groups.items())
        if code.startswith(HUB) and n
    ]
    individuals = total - sum(groups.values())
    if out.unserved:
        out.violations.append(
            Violation(
                "unserved",
                Text(
                    "{count} participants in villages without signal cannot join",
                    count=out.unserved,
                ),
            )
        )
    if hubs:
        hub_kits(ctx, out, hubs)
        out.notes.append(
            Text(
                "{count} participants in {villages} villages without signal join from a hub at "
                "their village office",
                count=sum(h.attendees for h in hubs),
                villages=len(hubs),
            )
        )
    seats = individuals + len(hubs)
    book_platform(ctx, out, seats, fanout=ctx.request.stream_fanout, what=Text("online seats"))
    studio(out)
    cat = ctx.catalog
    out.bandwidth = Bandwidth(
        origin_uplink_mbps=float(cat.value("bandwidth.origin_uplink_mbps")),
        downlink_mbps=float(cat.value("bandwidth.viewer_mbps")),
        downlink_per="participant",
        endpoints=seats,
        data_gb=round(
            gb(ctx, "data.viewer_gb_per_hour", individuals)
            + gb(ctx, "data.hub_gb_per_hour", len(hubs)),
            1,
        ),
    )
    return out
