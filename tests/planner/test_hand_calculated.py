"""Three cases worked by hand from the default catalog; the arithmetic is in the asserts."""

import datetime as dt
from decimal import Decimal

from planner import (
    AttendeeGroup,
    Event,
    Format,
    Payer,
    PlanRequest,
    Role,
    plan_format,
)
from planner.regions import kukar_district_hubs, kukar_points

FX = 16_500  # fx.usd_idr
FARE = 1_000  # travel.road_fare_per_km
ROAD = Decimal("1.4")  # travel.road_factor


# The costs the head of the office asked for later (tests/planner/test_office_asks.py works them
# by hand), left out here so that these cases keep their own arithmetic.
WITHOUT_LATER_COSTS = {
    "tax.vat_rate": 0,
    "budget.contingency_rate": 0,
    "ceremony.documentation": 0,
    "ceremony.decoration": 0,
    "ceremony.guard_day": 0,
    "ceremony.health_post": 0,
}


def amounts(plan):
    return {(line.item, str(line.detail)): line.amount for line in plan.lines}


def test_small_offline_case(event):
    # 10 delegates from Loa Kulu Kota (11.5 km straight to Tenggarong) and 5 regency
    # officials from Tenggarong district (6.5 km), a 3-hour event.
    assert kukar_points()["64.02.02.2004"].straight_km == Decimal("11.5")
    request = PlanRequest(
        groups=(
            AttendeeGroup(10, "64.02.02.2004", Role.DELEGATE),
            AttendeeGroup(5, "64.02.06", Role.OFFICIAL),
        ),
        event=event,
        overrides=WITHOUT_LATER_COSTS,
    )
    plan = plan_format(request, Format.OFFLINE_CENTRAL)
    got = amounts(plan)

    assert got[("transport", "Loa Kulu")] == 10 * 2 * Decimal("11.5") * ROAD * FARE == 322_000
    # 16.1 road km at 40 km/h is 0.4 h: same day, no lodging, one luar-kota day.
    assert got[("per_diem", "Loa Kulu (luar kota)")] == 10 * 430_000
    assert got[("transport", "Tenggarong")] == 5 * 2 * Decimal("6.5") * ROAD * FARE == 91_000
    # Tenggarong is dalam kota and 3 h + 2 x 0.23 h is under 8 h: no per diem.
    assert not any(item == "per_diem" and "Tenggarong" in d for item, d in got)
    # 15 people: the smallest venue is Pendopo Odah Etam (400 seats, indoor, no tents).
    assert [b.id for b in plan.bookings if b.kind == "venue"] == ["odah_etam"]
    assert got[("venue", "Pendopo Odah Etam, Tenggarong")] == 5_000_000
    assert got[("meals", "meal, venue")] == 15 * 50_000
    assert got[("meals", "snack, venue")] == 15 * 20_000
    assert got[("production", "sound system")] == 5_000_000  # small PA: 15 <= 1,000
    assert got[("production", "LED screens (1)")] == 1 * 12 * 400_000
    assert got[("committee", "committee (10)")] == max(10, -(-15 // 50)) * 300_000
    assert got[("committee", "master of ceremonies")] == 400_000

    assert (
        plan.total
        == (
            322_000
            + 4_300_000
            + 91_000
            + 5_000_000
            + 750_000
            + 300_000
            + 5_000_000
            + 4_800_000
            + 3_000_000
            + 400_000
        )
        == 23_963_000
    )
    assert plan.by_payer == {
        Payer.OFFICE: 5_000_000 + 750_000 + 300_000 + 5_000_000 + 4_800_000 + 3_400_000,
        Payer.COOPERATIVES: 322_000 + 4_300_000,
        Payer.OTHERS: 91_000,
    }
    assert plan.per_participant == round(23_963_000 / 15)
    assert plan.feasible and plan.violations == ()


def test_online_case_crossing_the_meeting_cap():
    # 1,200 people, 2 hours, everyone needs a seat in the platform (no stream fan-out).
    request = PlanRequest(
        groups=(AttendeeGroup(1200, "64.02.06", Role.DELEGATE),),
        event=Event(dt.date(2026, 3, 2), Decimal(2)),
        stream_fanout=False,
        overrides=WITHOUT_LATER_COSTS,
    )
    plan = plan_format(request, Format.ONLINE)
    got = amounts(plan)
    # Meetings stop at 1,000. Fitting tiers: GoToWebinar Enterprise 3,000 at $499,
    # Zoom Events $1,490 + 1,100 x $2.50 = $4,240, Zoom Webinars 3,000 at $1,200, ...
    licences = [b for b in plan.bookings if b.kind == "licence"]
    assert [(b.id, b.seats, b.capacity) for b in licences] == [("goto_enterprise", 1200, 3000)]
    assert got[("licence", "GoToWebinar Enterprise (3,000)")] == 499 * FX == 8_233_500
    # Participants' own data: 1,200 x 2 h x 0.45 GB/h x Rp4,000/GB.
    assert got[("data", "data allowance, own device")] == 1200 * 2 * Decimal("0.45") * 4000
    assert got[("studio", "streaming production at the origin")] == 15_000_000
    assert plan.total == 8_233_500 + 4_320_000 + 15_000_000 == 27_553_500
    assert plan.by_payer[Payer.PARTICIPANTS] == 4_320_000
    assert any("exceed the 1,000-seat meeting cap" in n for n in map(str, plan.notes))

    # With fan-out: a 100-seat Zoom Pro room ($16.99) plus YouTube for 1,100.
    fanned = plan_format(
        PlanRequest(groups=request.groups, event=request.event, overrides=WITHOUT_LATER_COSTS),
        Format.ONLINE,
    )
    assert [(b.id, b.seats) for b in fanned.bookings if b.kind == "licence"] == [
        ("zoom_pro", 100),
        ("youtube_live", 1100),
    ]
    assert amounts(fanned)[("licence", "Zoom Pro meeting (100)")] == round(Decimal("16.99") * FX)


def test_hub_case_in_muara_badak(event):
    # 30 delegates from Tanah Datar, 20 from Saliki, and the camat, at the Muara
    # Badak district hub (the village nearest the district centroid: Badak Baru).
    assert kukar_district_hubs()["64.02.05"] == "64.02.05.2007"
    request = PlanRequest(
        groups=(
            AttendeeGroup(30, "64.02.05.2006", Role.DELEGATE),
            AttendeeGroup(20, "64.02.05.2001", Role.DELEGATE),
            AttendeeGroup(1, "64.02.05", Role.OFFICIAL),
        ),
        event=event,
        overrides=WITHOUT_LATER_COSTS,
    )
    plan = plan_format(request, Format.HYBRID_HUBS)
    got = amounts(plan)
    # Straight km to Badak Baru: Tanah Datar 12.6, Saliki 15.3; the camat is at the hub.
    km = 30 * 2 * Decimal("12.6") + 20 * 2 * Decimal("15.3")
    assert got[("transport", "Muara Badak")] == km * ROAD * FARE == 1_915_200
    assert got[("hub_kit", "screen, sound and connection (1 hubs)")] == 1 * 3_500_000
    assert got[("meals", "meal, hubs")] == 51 * 50_000
    assert got[("meals", "snack, hubs")] == 51 * 20_000
    # One hub plus the origin: 2 connections in a 100-seat Zoom Pro meeting.
    assert [(b.id, b.seats, b.capacity) for b in plan.bookings if b.kind == "licence"] == [
        ("zoom_pro", 2, 100)
    ]
    assert got[("licence", "Zoom Pro meeting (100)")] == 280_335
    assert (
        plan.total
        == (1_915_200 + 3_500_000 + 2_550_000 + 1_020_000 + 280_335 + 15_000_000)
        == 24_265_535
    )
    assert [(h.code, h.attendees) for h in plan.hubs] == [("64.02.05", 51)]
    # 12.6 km x 1.4 / 40 km/h = 0.44 h each way; travel hours summed over everyone.
    hours = (30 * 2 * 12.6 + 20 * 2 * 15.3) * 1.4 / 40
    assert abs(plan.travel_hours - hours) < 0.1
