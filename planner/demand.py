"""Turn attendee groups into cohorts: people of one role from one origin, with travel facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from planner.catalog import Catalog
from planner.errors import InvalidInputError, Loc, UnknownRegionError
from planner.model import PlanRequest, Role, TravelOverride
from planner.regions import (
    KUKAR,
    Point,
    RegencyTrip,
    access,
    ancestor,
    kukar_points,
    regions,
)

MAX_DRAWS = 200_000
# The largest launch the planner prices: the biggest platform's cap (Zoom's one-time webinar
# for a million). Every count is bounded by it, so no total overflows.
MAX_PARTICIPANTS = 1_000_000
MIN_EVENT_HOURS = Decimal("0.5")
MAX_BUDGET = 10**15  # rupiah; a thousand trillion
MAX_SEED = 2**32 - 1
# A travel override's bounds, as the catalog's own travel entries have.
TRAVEL_BOUNDS: Mapping[str, tuple[Decimal, Decimal]] = {
    "hours": (Decimal(0), Decimal(72)),
    "road_km": (Decimal(0), Decimal(2000)),
    "boat_legs": (Decimal(0), Decimal(20)),
    "local_speed_kmh": (Decimal(1), Decimal(120)),
}


class Cohort(NamedTuple):
    role: Role
    count: int  # type: ignore[assignment]  # shadows tuple.count, which nothing here calls
    origin: str
    rank: int  # 0 province .. 3 village
    # Where cost lines are grouped: a Kukar district, a regency of East Kalimantan, else a
    # province.
    place: str
    inside: bool  # inside Kutai Kartanegara, so Kukar's own road travel data applies
    fare_qty: Decimal  # per person, priced with fare_keys (return trip)
    fare_keys: tuple[str, ...]
    boat_legs: int  # one way
    hours: float  # one way to Tenggarong
    dalam_kota: bool
    no_signal: bool
    point: Point | None
    local_speed_kmh: float | None

    def with_count(self, count: int) -> Cohort:
        return self._replace(count=count)


def validate(request: PlanRequest, catalog: Catalog) -> None:
    """Reject bad input with the offending field named; never clamp silently."""
    if not request.groups:
        raise InvalidInputError("at least one attendee group is needed", ("groups",))
    known = regions()
    for i, g in enumerate(request.groups):
        if isinstance(g.count, bool) or not isinstance(g.count, int):
            raise InvalidInputError("must be a whole number", ("groups", i, "count"))
        if not 0 <= g.count <= MAX_PARTICIPANTS:
            raise InvalidInputError(
                "must be between 0 and {most}", ("groups", i, "count"), most=MAX_PARTICIPANTS
            )
        if g.origin not in known:
            raise UnknownRegionError(
                "unknown region code {code}", ("groups", i, "origin"), code=g.origin
            )
        if not isinstance(g.role, Role):
            raise InvalidInputError("unknown role", ("groups", i, "role"))
    total = sum(g.count for g in request.groups)
    if not 1 <= total <= MAX_PARTICIPANTS:
        raise InvalidInputError(
            "total attendance must be between 1 and {most}; it is {total}",
            ("groups",),
            most=MAX_PARTICIPANTS,
            total=total,
        )
    if not MIN_EVENT_HOURS <= request.event.hours <= 24:
        raise InvalidInputError(
            "must be between {least} and {most}", ("event", "hours"), least=MIN_EVENT_HOURS, most=24
        )
    for name, largest in (
        ("interactive_seats", MAX_PARTICIPANTS),
        ("seed", MAX_SEED),
        ("budget_ceiling", MAX_BUDGET),
    ):
        value = getattr(request, name)
        if value is not None and not 0 <= value <= largest:
            raise InvalidInputError("must be between 0 and {most}", (name,), most=largest)
    if not 1 <= request.draws <= MAX_DRAWS:
        raise InvalidInputError("must be between 1 and {most}", ("draws",), most=MAX_DRAWS)
    if request.platforms is not None:
        ids = {p.id for p in catalog.platforms}
        for i, pid in enumerate(request.platforms):
            if pid not in ids:
                raise InvalidInputError("unknown platform {id}", ("platforms", i), id=pid)
    for code, o in request.travel_overrides.items():
        loc: Loc = ("travel_overrides", code)
        if code not in known:
            raise UnknownRegionError("unknown region code {code}", loc, code=code)
        for name, (least, most) in TRAVEL_BOUNDS.items():
            given = getattr(o, name)
            if given is not None and not least <= given <= most:
                raise InvalidInputError(
                    "must be between {least} and {most}", (*loc, name), least=least, most=most
                )
    for i, code in enumerate(request.no_signal or ()):
        if code not in known:
            raise UnknownRegionError("unknown region code {code}", ("no_signal", i), code=code)


def _override(code: str, table: Mapping[str, TravelOverride]) -> TravelOverride | None:
    if code in table:
        return table[code]
    if len(code) > 8:
        return table.get(ancestor(code, "district"))
    return None


def _nearby(
    origin: str, rank: int, table: Mapping[str, RegencyTrip], asked: Mapping[str, TravelOverride]
) -> tuple[str, RegencyTrip, TravelOverride | None] | None:
    """The regency of an origin outside Kukar whose trip to Tenggarong the access data has
    (East Kalimantan's other regencies and cities), its trip, and the request's override for
    the origin, its district or its regency, the most precise first. None for an origin above
    the regency level or elsewhere."""
    if rank < 1:
        return None
    regency = ancestor(origin, "regency")
    trip = table.get(regency)
    if trip is None:
        return None
    codes = (origin, ancestor(origin, "district"), regency) if rank >= 2 else (origin,)
    o = next((asked[c] for c in codes if c in asked), None)
    return regency, trip, o


def build_cohorts(request: PlanRequest, catalog: Catalog) -> tuple[Cohort, ...]:
    known = regions()
    pts = kukar_points()
    acc = access()
    table = {**acc.origins, **request.travel_overrides}
    no_signal = acc.no_signal if request.no_signal is None else frozenset(request.no_signal)
    road_factor = catalog.value("travel.road_factor")
    speed = float(catalog.value("travel.road_speed_kmh"))
    outside_hours = float(catalog.value("travel.outside_hours"))

    # Outside Kukar there are no village coordinates, so every village of a district
    # has the same travel profile: fold them into one cohort per district (keeping
    # rank 3, "people from villages"). This is what keeps 83,762 villages fast.
    merged: dict[tuple[str, int, Role, bool], int] = {}
    for g in request.groups:
        if not g.count:
            continue
        region = known[g.origin]
        silent = g.origin in no_signal
        code = g.origin
        if region.rank == 3 and not silent and not code.startswith(KUKAR + "."):
            code = region.parent
        key = (code, region.rank, g.role, silent)
        merged[key] = merged.get(key, 0) + g.count

    cohorts = []
    for (origin, rank, role, silent), count in merged.items():
        inside = origin == KUKAR or origin.startswith(KUKAR + ".")
        near = None if inside else _nearby(origin, rank, acc.regencies, request.travel_overrides)
        if near is not None:
            # A guest from elsewhere in the province travels by road (and ferry or boat) as the
            # access data has it: the road km there and back at the road fare, no flat fare.
            regency, trip, o = near
            km = o.road_km if o and o.road_km is not None else trip.road_km
            cohorts.append(
                Cohort(
                    role=role,
                    count=count,
                    origin=origin,
                    rank=rank,
                    place=known[regency].name,
                    inside=False,
                    fare_qty=2 * km,
                    fare_keys=("travel.road_fare_per_km",),
                    boat_legs=o.boat_legs if o and o.boat_legs is not None else trip.boat_legs,
                    hours=float(o.hours if o and o.hours is not None else trip.hours),
                    dalam_kota=False,
                    no_signal=silent,
                    point=None,
                    local_speed_kmh=float(o.local_speed_kmh) if o and o.local_speed_kmh else None,
                )
            )
            continue
        if not inside:
            # From another province, or the province as a whole (no seat to start from): the
            # catalog's flat return fare and hours.
            province = known[ancestor(origin, "province")].name
            cohorts.append(
                Cohort(
                    role=role,
                    count=count,
                    origin=origin,
                    rank=rank,
                    place=province,
                    inside=False,
                    fare_qty=Decimal(1),
                    fare_keys=("travel.outside_fare_return",),
                    boat_legs=0,
                    hours=outside_hours,
                    dalam_kota=False,
                    no_signal=silent,
                    point=None,
                    local_speed_kmh=None,
                )
            )
            continue
        point = pts.get(origin)
        o = _override(origin, table)
        district = ancestor(origin, "district") if rank >= 2 else origin
        place = known[district].name if rank >= 2 else "Tenggarong"
        keys: tuple[str, ...]
        if o is not None and o.road_km is not None:
            km, keys = o.road_km, ("travel.road_fare_per_km",)
            road_km = float(o.road_km)
        else:
            # Straight km priced with the road factor as a separate key, so the
            # sensitivity run varies the detour factor as well as the fare.
            km = point.straight_km if point else Decimal(0)
            keys = ("travel.road_fare_per_km", "travel.road_factor")
            road_km = float(km * road_factor)
        cohorts.append(
            Cohort(
                role=role,
                count=count,
                origin=origin,
                rank=rank,
                place=place,
                inside=True,
                fare_qty=2 * km,
                fare_keys=keys,
                boat_legs=(o.boat_legs or 0) if o else 0,
                hours=float(o.hours) if o and o.hours is not None else road_km / speed,
                dalam_kota=origin in acc.dalam_kota or district in acc.dalam_kota,
                no_signal=silent,
                point=point,
                local_speed_kmh=float(o.local_speed_kmh) if o and o.local_speed_kmh else None,
            )
        )
    cohorts.sort(key=lambda c: (c.origin, c.rank, c.role, c.no_signal))
    return tuple(cohorts)


def largest_remainder(weights: Sequence[int], total: int) -> list[int]:
    """`total` split in proportion to `weights` into whole numbers that sum to it: each its
    whole part, then the rest one by one to the largest fractional parts, ties to the first
    (so the split never depends on anything but the order given)."""
    whole = sum(weights)
    shares = [weight * total // whole for weight in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * total % whole), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def scale_cohorts(cohorts: tuple[Cohort, ...], target: int) -> tuple[Cohort, ...]:
    """Scale every cohort to a new total, keeping the mix."""
    if sum(c.count for c in cohorts) == target:
        return cohorts
    shares = largest_remainder([c.count for c in cohorts], target)
    return tuple(c.with_count(n) for c, n in zip(cohorts, shares, strict=True) if n)
