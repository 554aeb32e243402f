"""A trip and what it costs: the one travel model of every format.

A person going to the venue in Tenggarong, or to a hub there, makes the trip the access data
describes (road or charter fare, boat legs, hours, nights away, per diem); a person going to a
district hub makes a local trip within their district. Both are priced here, so that the same
trip costs the same whichever format sends them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from planner.demand import Cohort
from planner.ledger import Context, LineKey
from planner.model import Item, Unit
from planner.text import Text

_PER_DIEM = {
    True: ("perdiem.kukar_luar_kota", "perdiem.kukar_dalam_kota_8h"),
    False: ("perdiem.luar_kota", "perdiem.dalam_kota_8h"),
}


class Trip(NamedTuple):
    fare_qty: Decimal  # per person, priced with fare_keys (there and back)
    fare_keys: tuple[str, ...]
    fare_unit: Unit
    boat_legs: int  # one way
    hours: float  # one way
    dalam_kota: bool  # within the SBM's "dalam kota": no hotel, the in-town per diem


def to_tenggarong(c: Cohort) -> Trip:
    """The cohort's own trip to Tenggarong, from the access data."""
    # A fare priced by the km (Kukar's roads, the province's other regencies) counts person-km;
    # the flat fare of a guest from further away counts persons.
    unit = Unit.PERSON_KM if "travel.road_fare_per_km" in c.fare_keys else Unit.PERSON
    return Trip(c.fare_qty, c.fare_keys, unit, c.boat_legs, c.hours, c.dalam_kota)


def local(km: Decimal, keys: tuple[str, ...], hours: float) -> Trip:
    """A trip of `km` (one way) by road within the person's own district."""
    return Trip(2 * km, keys, Unit.PERSON_KM, 0, hours, True)


def nights(trip: Trip, ctx: Context) -> int:
    """Hotel nights: the night before for long trips, the night after if the day runs too long."""
    if trip.dalam_kota:
        return 0
    before = ctx.request.event.arrive_day_before or trip.hours > ctx.f["rules.same_day_max_hours"]
    after = trip.hours + ctx.event_hours > ctx.f["rules.max_day_hours"]
    return int(before) + int(after)


def lines(c: Cohort, trip: Trip, ctx: Context) -> tuple[tuple[LineKey, Decimal], ...]:
    """Fare, boat, hotel and per diem of one person of `c` making `trip`."""
    payer = ctx.payer_for(c)
    out: list[tuple[LineKey, Decimal]] = []
    if trip.fare_qty:
        out.append(
            (LineKey(Item.TRANSPORT, c.place, payer, trip.fare_unit, trip.fare_keys), trip.fare_qty)
        )
    if trip.boat_legs:
        boat = LineKey(
            Item.TRANSPORT,
            Text("{place} (boat)", place=c.place),
            payer,
            Unit.PERSON_LEG,
            ("travel.boat_fare_leg",),
        )
        out.append((boat, Decimal(2 * trip.boat_legs)))
    away = nights(trip, ctx)
    if away:
        hotel = LineKey(Item.LODGING, c.place, payer, Unit.PERSON_NIGHT, ("lodging.night",))
        out.append((hotel, Decimal(away)))
    if ctx.catalog.roles[c.role].per_diem:
        # A trip inside Kukar is paid at the regent's rate, the others at the SBM's.
        luar_kota, dalam_kota = _PER_DIEM[c.inside]
        if not trip.dalam_kota:
            # SBM: luar kota per diem for every day away, travel days included.
            per_diem = LineKey(
                Item.PER_DIEM,
                Text("{place} (luar kota)", place=c.place),
                payer,
                Unit.PERSON_DAY,
                (luar_kota,),
            )
            out.append((per_diem, Decimal(1 + away)))
        elif ctx.event_hours + 2 * trip.hours > ctx.f["rules.dalam_kota_min_hours"]:
            per_diem = LineKey(
                Item.PER_DIEM,
                Text("{place} (dalam kota > 8 h)", place=c.place),
                payer,
                Unit.PERSON_DAY,
                (dalam_kota,),
            )
            out.append((per_diem, Decimal(1)))
    return tuple(out)
