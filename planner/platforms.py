"""Choose the cheapest online set-up that keeps every platform under its hard cap."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from planner.catalog import Catalog, Platform
from planner.model import PlatformKind, Unit


@dataclass(frozen=True, slots=True)
class Offer:
    """A platform with its cap and its price in rupiah, read once from the catalog."""

    platform: Platform
    cap: int | None  # None: no published cap (stream fan-out)
    price_keys: tuple[str, ...]
    price: Decimal
    included: int  # attendees included before per-attendee charges
    extra_keys: tuple[str, ...]  # per-attendee price keys, empty if none
    extra: Decimal

    def fits(self, seats: int) -> bool:
        return self.cap is None or seats <= self.cap

    def cost(self, seats: int) -> Decimal:
        over = max(0, seats - self.included) if self.extra_keys else 0
        return self.price + over * self.extra


class Use(StrEnum):
    """What a licence of a set-up is for."""

    EVERYONE = "everyone"  # one licence holds every seat
    INTERACTIVE = "interactive"  # the seats that may speak, beside a stream
    VIEWERS = "viewers"  # everyone else, watching the stream


@dataclass(frozen=True, slots=True)
class Part:
    offer: Offer
    seats: int
    use: Use

    @property
    def platform(self) -> Platform:
        return self.offer.platform

    @property
    def charges(self) -> tuple[tuple[Decimal, tuple[str, ...], Unit], ...]:
        """(quantity, catalog keys, unit) lines that price this part."""
        o = self.offer
        out = [(Decimal(1), o.price_keys, Unit.LICENCE)]
        over = max(0, self.seats - o.included) if o.extra_keys else 0
        if over:
            out.append((Decimal(over), o.extra_keys, Unit.ATTENDEE))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Setup:
    parts: tuple[Part, ...]


def offers(catalog: Catalog, allowed: tuple[str, ...] | None) -> tuple[Offer, ...]:
    out = []
    for p in catalog.platforms:
        if allowed is not None and p.id not in allowed:
            continue
        price_key = f"platform.{p.id}.price"
        extra_key = f"platform.{p.id}.per_attendee"
        has_extra = extra_key in catalog.entries
        out.append(
            Offer(
                platform=p,
                cap=None if p.unlimited else catalog.int_value(f"platform.{p.id}.cap"),
                price_keys=catalog.price_keys(price_key),
                price=catalog.idr(price_key),
                included=catalog.int_value(f"platform.{p.id}.included") if has_extra else 0,
                extra_keys=catalog.price_keys(extra_key) if has_extra else (),
                extra=catalog.idr(extra_key) if has_extra else Decimal(0),
            )
        )
    return tuple(out)


def _cheapest(candidates: list[Offer], seats: int) -> Offer | None:
    # Cheapest first; on a tie the smaller cap, then the id, so the choice never
    # depends on catalog order.
    fitting = [o for o in candidates if o.fits(seats)]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda o: (o.cost(seats), o.cap if o.cap is not None else 1 << 62, o.platform.id),
    )


def choose_setup(
    table: tuple[Offer, ...], seats: int, *, fanout: bool, interactive_seats: int
) -> Setup | None:
    """The cheapest set-up for ``seats`` people, or None when no allowed platform fits.

    Without fan-out, one licence must hold everyone. With fan-out, an interactive room
    holds ``interactive_seats`` and a view-only stream carries the rest: the room is a
    meeting, or a webinar when no meeting holds that many seats. The seats that may speak
    and the people who watch are different things: more seats never drop the stream.
    """
    options: list[tuple[Decimal, Setup]] = []
    single = _cheapest([o for o in table if o.platform.kind is not PlatformKind.STREAM], seats)
    if single is not None:
        options.append((single.cost(seats), Setup((Part(single, seats, Use.EVERYONE),))))
    if fanout:
        core = min(interactive_seats, seats)
        rest = seats - core
        stream = _cheapest([o for o in table if o.platform.kind is PlatformKind.STREAM], rest)
        room = _cheapest(
            [o for o in table if o.platform.kind is PlatformKind.MEETING], core
        ) or _cheapest([o for o in table if o.platform.kind is PlatformKind.WEBINAR], core)
        if stream is not None and (core == 0 or room is not None):
            parts = []
            cost = stream.cost(rest)
            if room is not None and core:
                parts.append(Part(room, core, Use.INTERACTIVE))
                cost += room.cost(core)
            if rest:
                parts.append(Part(stream, rest, Use.VIEWERS))
            options.append((cost, Setup(tuple(parts))))
    # A single licence wins a tie: one platform is simpler to run.
    return min(options, key=lambda x: (x[0], len(x[1].parts)))[1] if options else None


def largest_cap(table: tuple[Offer, ...], kinds: frozenset[PlatformKind]) -> tuple[int, str] | None:
    caps = [
        (o.cap, o.platform.name) for o in table if o.platform.kind in kinds and o.cap is not None
    ]
    return max(caps) if caps else None
