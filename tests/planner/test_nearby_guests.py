"""Guests from nearby (the office's ask 2): a guest from East Kalimantan's other regencies and
cities travels as planner/data/access.toml has it (road km at the road fare, boat legs, hours),
not on the flat fare and 10 h of a guest from another province. Worked by hand with round unit
costs; the arithmetic is in the comments."""

import datetime as dt
from decimal import Decimal

import pytest

from planner import (
    AttendeeGroup,
    Event,
    Format,
    PlanRequest,
    Role,
    TravelOverride,
    default_catalog,
    plan_format,
)
from planner.demand import TRAVEL_BOUNDS, build_cohorts
from planner.regions import KUKAR, access, ancestor, regions

FARE = 1_000  # travel.road_fare_per_km, rupiah per person-km
PER_DIEM = 400_000  # perdiem.luar_kota (the SBM's), per person-day
KUKAR_PER_DIEM = 300_000  # perdiem.kukar_luar_kota (the regent's), never paid to these guests
NIGHT = 500_000  # lodging.night
BOAT = 100_000  # travel.boat_fare_leg, per person-leg
FLAT_FARE = 2_000_000  # travel.outside_fare_return
FLAT_HOURS = 10  # travel.outside_hours

ROUND = {
    "travel.road_fare_per_km": FARE,
    "perdiem.luar_kota": PER_DIEM,
    "perdiem.kukar_luar_kota": KUKAR_PER_DIEM,
    "lodging.night": NIGHT,
    "travel.boat_fare_leg": BOAT,
    "travel.outside_fare_return": FLAT_FARE,
    "travel.outside_hours": FLAT_HOURS,
    "rules.same_day_max_hours": 3,
    "rules.max_day_hours": 12,
}
TRAVEL = ("transport", "lodging", "per_diem")


def _request(*groups: AttendeeGroup, **kw: object) -> PlanRequest:
    # A 3-hour event that starts in the morning (the conftest's event).
    event = Event(dt.date(2026, 3, 2), Decimal(3))
    return PlanRequest(groups=groups, event=event, overrides=ROUND, draws=10, **kw)  # type: ignore[arg-type]


def travel_lines(request: PlanRequest, fmt: Format = Format.OFFLINE_CENTRAL):
    plan = plan_format(request, fmt)
    return {
        (line.item, str(line.detail)): (line.quantity, line.unit_cost, line.amount)
        for line in plan.lines
        if line.item in TRAVEL
    }


def test_a_samarinda_official_drives_an_hour_and_goes_home_the_same_day():
    # 2 officials of the city of Samarinda (64.72): 40 road km, 1 h each way, no boat.
    got = travel_lines(_request(AttendeeGroup(2, "64.72", Role.OFFICIAL)))
    # Fare: 2 people x 2 x 40 km = 160 person-km at Rp1,000 = Rp160,000, not 2 x Rp2,000,000.
    assert (
        got[("transport", "Kota Samarinda")]
        == (160, FARE, 2 * 2 * 40 * FARE)
        == (
            160,
            1_000,
            160_000,
        )
    )
    # 1 h <= 3 h: no night before; 1 h + 3 h event = 4 h <= 12 h: no night after. No hotel.
    assert not any(item == "lodging" for item, _ in got)
    # Away from home but not dalam kota: one day of the SBM's luar kota per diem each (0 nights
    # + 1), at the SBM's rate (Rp400,000), not the regent's (Rp300,000): 2 x 1 x Rp400,000.
    assert got[("per_diem", "Kota Samarinda (luar kota)")] == (2, PER_DIEM, 800_000)
    # No boat, and nothing else.
    assert set(got) == {("transport", "Kota Samarinda"), ("per_diem", "Kota Samarinda (luar kota)")}


def test_a_district_or_village_of_samarinda_travels_as_the_city_and_is_grouped_under_it():
    # A kelurahan of Samarinda (folded into its district, as every village outside Kukar is)
    # and a district of it: 1 + 1 people, each 2 x 40 km and one per-diem day.
    village = next(c for c in regions() if c.startswith("64.72.") and len(c) > 8)
    got = travel_lines(
        _request(
            AttendeeGroup(1, village, Role.DELEGATE), AttendeeGroup(1, "64.72.01", Role.DELEGATE)
        )
    )
    # The same place and payer, so one line: (1 + 1) x 80 km = 160 km.
    assert got[("transport", "Kota Samarinda")] == (160, FARE, 160_000)
    assert got[("per_diem", "Kota Samarinda (luar kota)")] == (2, PER_DIEM, 800_000)


def test_balikpapan_is_two_and_a_half_hours_away_so_still_no_hotel():
    # 1 delegate from Balikpapan (64.71): 135 road km, 2.5 h each way.
    got = travel_lines(_request(AttendeeGroup(1, "64.71", Role.DELEGATE)))
    # 2 x 135 km = 270 person-km x Rp1,000 = Rp270,000.
    assert got[("transport", "Kota Balikpapan")] == (270, FARE, 270_000)
    # 2.5 h <= 3 h and 2.5 + 3 = 5.5 h <= 12 h: no hotel, one per-diem day.
    assert ("lodging", "Kota Balikpapan") not in got
    assert got[("per_diem", "Kota Balikpapan (luar kota)")] == (1, PER_DIEM, 400_000)


def test_a_kutai_barat_guest_stays_one_night():
    # 1 official from Kutai Barat (64.07): 310 road km, 7.5 h each way, by road.
    got = travel_lines(_request(AttendeeGroup(1, "64.07", Role.OFFICIAL)))
    # Fare 2 x 310 = 620 person-km = Rp620,000.
    assert got[("transport", "Kabupaten Kutai Barat")] == (620, FARE, 620_000)
    # 7.5 h > 3 h: the night before; 7.5 + 3 = 10.5 h <= 12 h: home the same evening. 1 night.
    assert got[("lodging", "Kabupaten Kutai Barat")] == (1, NIGHT, 500_000)
    # Per diem for 1 + 1 = 2 days.
    assert got[("per_diem", "Kabupaten Kutai Barat (luar kota)")] == (2, PER_DIEM, 800_000)


def test_a_mahakam_ulu_guest_comes_by_speedboat_and_road_and_stays_two_nights():
    # 3 delegates from Long Hurai, Long Bagun, Mahakam Ulu (64.11): a speedboat to Tering, then
    # the road; 360 road km, one boat leg, 12.5 h each way.
    got = travel_lines(_request(AttendeeGroup(3, "64.11.01.2001", Role.DELEGATE)))
    # Road: 3 x 2 x 360 km = 2,160 person-km = Rp2,160,000.
    assert got[("transport", "Kabupaten Mahakam Ulu")] == (2_160, FARE, 2_160_000)
    # Boat: 3 people x 2 legs (there and back) x Rp100,000 = Rp600,000.
    assert got[("transport", "Kabupaten Mahakam Ulu (boat)")] == (6, BOAT, 600_000)
    # 12.5 h > 3 h: a night before; 12.5 + 3 = 15.5 h > 12 h: a night after. 3 x 2 nights.
    assert got[("lodging", "Kabupaten Mahakam Ulu")] == (6, NIGHT, 3_000_000)
    # Per diem: 3 x (1 + 2) days = 9 days x Rp400,000.
    assert got[("per_diem", "Kabupaten Mahakam Ulu (luar kota)")] == (9, PER_DIEM, 3_600_000)


def test_a_berau_guest_drives_twelve_hours_and_stays_two_nights():
    # 1 official from Berau (64.03): 580 road km, 12 h each way.
    got = travel_lines(_request(AttendeeGroup(1, "64.03", Role.OFFICIAL)))
    assert got[("transport", "Kabupaten Berau")] == (1_160, FARE, 1_160_000)  # 2 x 580 km
    # 12 h > 3 h: a night before; 12 + 3 = 15 h > 12 h: a night after.
    assert got[("lodging", "Kabupaten Berau")] == (2, NIGHT, 1_000_000)
    assert got[("per_diem", "Kabupaten Berau (luar kota)")] == (3, PER_DIEM, 1_200_000)


@pytest.mark.parametrize(
    ("origin", "place"),
    [
        ("35", "Jawa Timur"),  # another province
        ("35.78", "Jawa Timur"),  # a city of another province
        ("64", "Kalimantan Timur"),  # the province as a whole: no seat in the table
    ],
)
def test_a_guest_from_outside_the_province_still_gets_the_flat_fare(origin, place):
    # 2 officials: the flat return fare each, 10 h each way.
    got = travel_lines(_request(AttendeeGroup(2, origin, Role.OFFICIAL)))
    assert got[("transport", place)] == (2, FLAT_FARE, 4_000_000)  # 2 x Rp2,000,000
    # 10 h > 3 h: a night before; 10 + 3 = 13 h > 12 h: a night after. 2 x 2 nights.
    assert got[("lodging", place)] == (4, NIGHT, 2_000_000)
    # 2 x (1 + 2) per-diem days.
    assert got[("per_diem", f"{place} (luar kota)")] == (6, PER_DIEM, 2_400_000)


def test_a_samarinda_guest_at_the_tenggarong_hub_travels_as_to_the_venue():
    # Kukar's own people make it a district-hub launch; the Samarinda official watches at the
    # Tenggarong hub and makes the same trip as to the venue.
    request = _request(
        AttendeeGroup(50, "64.02.02.2004", Role.DELEGATE),
        AttendeeGroup(1, "64.72", Role.OFFICIAL),
    )

    def samarinda(fmt: Format):
        return {k: v for k, v in travel_lines(request, fmt).items() if "Samarinda" in k[1]}

    venue, hub = samarinda(Format.OFFLINE_CENTRAL), samarinda(Format.HYBRID_HUBS)
    assert hub == venue
    assert venue == {
        ("transport", "Kota Samarinda"): (80, FARE, 80_000),  # 2 x 40 km
        ("per_diem", "Kota Samarinda (luar kota)"): (1, PER_DIEM, 400_000),
    }


def test_a_request_can_replace_a_regencys_trip():
    # The road to Samarinda is flooded: 4 h each way this time. The override replaces only the
    # hours; the 40 road km stay.
    slow = TravelOverride(hours=Decimal(4))
    got = travel_lines(
        _request(AttendeeGroup(1, "64.72", Role.OFFICIAL), travel_overrides={"64.72": slow})
    )
    assert got[("transport", "Kota Samarinda")] == (80, FARE, 80_000)
    # 4 h > 3 h: a night before; 4 + 3 = 7 h <= 12 h: no night after.
    assert got[("lodging", "Kota Samarinda")] == (1, NIGHT, 500_000)
    assert got[("per_diem", "Kota Samarinda (luar kota)")] == (2, PER_DIEM, 800_000)


def test_a_nearby_guests_fare_is_counted_in_person_km():
    plan = plan_format(_request(AttendeeGroup(1, "64.72", Role.OFFICIAL)), Format.OFFLINE_CENTRAL)
    (fare,) = (line for line in plan.lines if str(line.detail) == "Kota Samarinda")
    assert fare.unit == "person-km"


# --- the data --------------------------------------------------------------------------------


def test_every_other_regency_of_east_kalimantan_has_a_sourced_trip():
    known = regions()
    province = {c for c, r in known.items() if r.level == "regency" and r.parent == "64"}
    table = access().regencies
    assert len(province) == 10 and KUKAR in province
    # Every one but Kukar (whose districts and villages have their own data), and no other.
    assert set(table) == province - {KUKAR}
    for code, trip in table.items():
        assert trip.name == known[code].name, code
        assert trip.source.strip(), code
        assert isinstance(trip.estimate, bool), code
        for field in ("road_km", "hours", "boat_legs"):
            least, most = TRAVEL_BOUNDS[field]
            assert least <= getattr(trip, field) <= most, (code, field)
        assert trip.road_km > 0 and trip.hours > 0, code
        # Road km per hour, boats included: between a river boat and a toll road.
        assert 10 <= trip.road_km / trip.hours <= 80, code


def test_every_district_and_village_of_the_province_travels_as_its_regency():
    # One person from each of East Kalimantan's regencies, districts and villages outside Kukar.
    codes = [
        c
        for c, r in regions().items()
        if c.startswith("64.") and r.rank >= 1 and ancestor(c, "regency") != KUKAR
    ]
    request = _request(*(AttendeeGroup(1, c, Role.DELEGATE) for c in codes))
    cohorts = build_cohorts(request, default_catalog().with_overrides(ROUND))
    table = access().regencies
    assert sum(c.count for c in cohorts) == len(codes)
    for c in cohorts:
        trip = table[ancestor(c.origin, "regency")]
        assert c.place == trip.name and not c.inside and not c.dalam_kota, c.origin
        assert c.fare_qty == 2 * trip.road_km and c.fare_keys == ("travel.road_fare_per_km",)
        assert (c.boat_legs, c.hours) == (trip.boat_legs, float(trip.hours)), c.origin
