"""What the head of the office asked for after checking the planner by hand, each worked by hand
from round unit costs: the per diem apart from the money spent, VAT, the contingency, a
ceremony's security and health posts, hub halls with their size, the risks to check before
booking, each line's provenance, and the figure to budget for."""

import datetime as dt
from decimal import Decimal

from planner import (
    AttendeeGroup,
    Event,
    Format,
    Item,
    Payer,
    PlanRequest,
    Role,
    compare,
    default_catalog,
    plan_format,
    presets,
)

# Round unit costs, so that every figure below can be followed on paper.
ROUND = {
    "travel.road_fare_per_km": 1_000,
    "travel.road_factor": 1,
    "perdiem.kukar_luar_kota": 400_000,
    "venue.odah_etam.rent": 5_000_000,
    "venue.pendopo_kedaton.rent": 5_000_000,
    "production.sound_small": 5_000_000,
    "production.led_m2_day": 100_000,
    "production.led_m2_per_screen": 10,
    "meal.lunch": 50_000,
    "meal.snack": 20_000,
    "committee.honor": 300_000,
    "honor.mc": 400_000,
    "ceremony.documentation": 5_000_000,
    "ceremony.decoration": 10_000_000,
    "ceremony.guard_day": 200_000,
    "ceremony.people_per_guard": 100,
    "ceremony.health_post": 2_000_000,
    "ceremony.people_per_health_post": 2_000,
    "tax.vat_rate": Decimal("0.1"),
    "budget.contingency_rate": Decimal("0.05"),
}
# Loa Kulu Kota: 11.5 km straight to Tenggarong (kukar_wilayah_points.csv).
LOA_KULU_KOTA = "64.02.02.2004"


def _lines(plan):
    return {(line.item, str(line.detail)): line for line in plan.lines}


def _offline(**overrides):
    request = PlanRequest(
        groups=(
            AttendeeGroup(150, LOA_KULU_KOTA, Role.DELEGATE),
            AttendeeGroup(10, "64.02.06", Role.OFFICIAL),
        ),
        event=Event(dt.date(2026, 7, 21), Decimal(3)),
        overrides={**ROUND, **overrides},
    )
    return plan_format(request, Format.OFFLINE_CENTRAL)


def test_the_per_diem_is_told_apart_from_the_money_spent_and_kukars_rate_is_an_estimate():
    plan = _offline()
    lines = _lines(plan)
    # 150 delegates make a same-day trip of 11.5 km: one luar-kota day each at the regent's
    # rate (here Rp400,000), paid by their cooperatives: 150 x 400,000 = 60,000,000.
    per_diem = lines[(Item.PER_DIEM, "Loa Kulu (luar kota)")]
    assert per_diem.amount == 150 * 400_000 == 60_000_000
    # The 10 officials are in Tenggarong, dalam kota, under 8 h: no per diem.
    assert plan.per_diem_by_payer == {Payer.COOPERATIVES: 60_000_000}
    # Their fare is money spent: 150 x 2 x 11.5 km x Rp1,000 = 3,450,000.
    assert lines[(Item.TRANSPORT, "Loa Kulu")].amount == 3_450_000
    assert plan.by_payer[Payer.COOPERATIVES] - plan.per_diem_by_payer[Payer.COOPERATIVES] == (
        3_450_000
    )
    # Without the override, the line says that Kukar's rate is a placeholder.
    default = plan_format(
        PlanRequest(
            groups=(AttendeeGroup(1, LOA_KULU_KOTA, Role.DELEGATE),),
            event=Event(dt.date(2026, 7, 21)),
        ),
        Format.OFFLINE_CENTRAL,
    )
    (line,) = (line for line in default.lines if line.item is Item.PER_DIEM)
    assert line.estimate and "NOT FOUND" in line.sources[0]
    assert not default_catalog().entry("perdiem.luar_kota").estimate  # the SBM's own is firm


def test_vat_is_added_to_what_is_bought_from_vendors_and_not_to_the_regencys_venue():
    lines = _lines(_offline())
    vat = {detail: line.amount for (item, detail), line in lines.items() if item is Item.TAX}
    # 160 people: the small PA (Rp5,000,000), 1 LED screen of 10 m2 (Rp1,000,000), the
    # documentation (Rp5,000,000) and decoration (Rp10,000,000), each with 10% VAT.
    assert vat == {
        "VAT on sound system": 500_000,
        "VAT on LED screens (1)": 100_000,
        "VAT on photo and video documentation": 500_000,
        "VAT on stage decoration and banners": 1_000_000,
    }
    # Pendopo Odah Etam is the regency's: a retribusi, no VAT. Meals carry regional tax in
    # their SBM rate.
    assert not any("Odah Etam" in detail or "meal" in detail for detail in vat)
    without = _lines(_offline(**{"tax.vat_rate": 0}))
    assert not any(item is Item.TAX for item, _ in without)


def test_the_contingency_is_a_share_of_what_the_office_pays():
    plan = _offline()
    # The office pays for the venue and everything at it:
    #   venue 5,000,000 (Pendopo Odah Etam, the smaller of the two that cost the same);
    #   meals 160 x 50,000 = 8,000,000 and snacks 160 x 20,000 = 3,200,000;
    #   sound 5,000,000; LED 1,000,000; committee max(10, 160 / 50) = 10 x 300,000 = 3,000,000;
    #   MC 400,000; documentation 5,000,000; decoration 10,000,000;
    #   2 guards (160 / 100) x 200,000 = 400,000; 1 health post 2,000,000;
    #   VAT 500,000 + 100,000 + 500,000 + 1,000,000 = 2,100,000.
    office = (
        5_000_000
        + 8_000_000
        + 3_200_000
        + 5_000_000
        + 1_000_000
        + 3_000_000
        + 400_000
        + 5_000_000
        + 10_000_000
        + 400_000
        + 2_000_000
        + 2_100_000
    )
    assert office == 45_100_000
    (reserve,) = (line for line in plan.lines if line.item is Item.CONTINGENCY)
    # 5% of it: 2,255,000, on the office's share and nobody else's.
    assert (reserve.quantity, reserve.amount, reserve.payer) == (office, 2_255_000, Payer.OFFICE)
    assert plan.by_payer[Payer.OFFICE] == office + 2_255_000
    without = _offline(**{"budget.contingency_rate": 0})
    assert plan.total - without.total == 2_255_000


def test_a_ceremony_has_security_and_health_posts_by_its_size():
    lines = _lines(_offline())
    # 160 people: 160 / 100 rounds up to 2 guards; 160 / 2,000 up to 1 health post.
    assert lines[(Item.CEREMONY, "security (2 guards)")].amount == 2 * 200_000
    assert lines[(Item.CEREMONY, "health posts (1)")].amount == 2_000_000


def test_a_hub_holds_as_many_as_its_halls_and_takes_another_when_full(event):
    # 30 delegates from Tanah Datar, 20 from Saliki and the camat at the Muara Badak hub; a
    # hall seats 20 and costs Rp500,000.
    request = PlanRequest(
        groups=(
            AttendeeGroup(30, "64.02.05.2006", Role.DELEGATE),
            AttendeeGroup(20, "64.02.05.2001", Role.DELEGATE),
            AttendeeGroup(1, "64.02.05", Role.OFFICIAL),
        ),
        event=event,
        overrides={"hub.hall_seats": 20, "hub.venue_rent": 500_000},
    )
    plan = plan_format(request, Format.HYBRID_HUBS)
    (hub,) = plan.hubs
    assert hub.attendees == 51
    assert str(hub.name) == (
        "Muara Badak, at the village office of Badak Baru (nearest the district's centre)"
    )
    # 51 people in halls of 20: 3 halls, 2 more than one, 3 x 500,000.
    halls = _lines(plan)[(Item.HUB_HALL, "hub halls")]
    assert (halls.quantity, halls.amount) == (3, 1_500_000)
    assert any(
        "take 2 more halls" in note and "3 halls for 51 people" in note
        for note in map(str, plan.notes)
    )


def test_known_risks_are_warned_of_with_what_to_do():
    kukar = compare(
        PlanRequest(groups=presets.kukar(), event=Event(dt.date(2026, 7, 21)), draws=50)
    )
    offline = kukar.plans[Format.OFFLINE_CENTRAL]
    assert [b.id for b in offline.bookings if b.kind == "venue"] == ["rondong_demang"]
    (damage,) = map(str, offline.warnings)
    assert "tribune was damaged in 2025" in damage

    # 100 people in a 100-seat meeting, with YouTube allowed: the link is the fallback.
    full = PlanRequest(
        groups=(AttendeeGroup(99, "64.02.06", Role.DELEGATE),),
        event=Event(dt.date(2026, 7, 21)),
        stream_fanout=False,
        platforms=("zoom_pro", "youtube_live"),
    )
    online = plan_format(full, Format.ONLINE)
    # 99 seats of 100: within 2% of the cap.
    (warning,) = map(str, online.warnings)
    assert "99 of its 100 seats" in warning and "YouTube Live stream link" in warning
    only_meeting = plan_format(
        PlanRequest(
            groups=full.groups, event=full.event, stream_fanout=False, platforms=("zoom_pro",)
        ),
        Format.ONLINE,
    )
    (warning,) = map(str, only_meeting.warnings)
    assert "no allowed platform is a stream" in warning
    roomy = plan_format(
        PlanRequest(
            groups=(AttendeeGroup(90, "64.02.06", Role.DELEGATE),),
            event=full.event,
            stream_fanout=False,
            platforms=("zoom_pro",),
        ),
        Format.ONLINE,
    )
    assert roomy.warnings == ()  # 90 of 100 leaves room


def test_every_line_says_where_its_figure_comes_from_and_the_headline_what_to_budget():
    kukar = compare(
        PlanRequest(groups=presets.kukar(), event=Event(dt.date(2026, 7, 21)), draws=200)
    )
    catalog = default_catalog()
    for plan in kukar.plans.values():
        for line in plan.lines:
            entries = [catalog.entry(key) for key in line.keys]
            assert line.sources == tuple(dict.fromkeys(e.source for e in entries))
            assert line.as_of == min(e.as_of for e in entries)
            assert line.estimate == any(e.estimate for e in entries)
    best = kukar.recommendation
    spread = kukar.sensitivity.spreads[best.format]
    assert (best.total, best.p50, best.p90) == (spread.base, spread.p50, spread.p90)
    # The estimates reach higher than the base: budget for the P90.
    assert best.p90 > best.total and best.budget == best.p90
    assert "Budget for the P90" in str(best.reason)

    # With every estimate fixed by an override, nothing can push the total up.
    firm = {k: e.value for k, e in catalog.entries.items() if e.estimate}
    fixed = compare(
        PlanRequest(
            groups=presets.kukar(), event=Event(dt.date(2026, 7, 21)), draws=50, overrides=firm
        )
    ).recommendation
    assert fixed.budget == fixed.total
    assert abs(fixed.p90 - fixed.total) <= 1  # the draws add in floating point
    assert "Budget for the base figure" in str(fixed.reason)


def _timeline(day: dt.date, fmt: Format, **request):
    plan = plan_format(
        PlanRequest(
            groups=(AttendeeGroup(1_500, "64.02.06", Role.DELEGATE),),
            event=Event(day, Decimal(3)),
            **request,
        ),
        fmt,
    )
    return plan, [(m.due, str(m.what)) for m in plan.timeline]


def test_the_event_date_drives_what_to_book_and_by_when():
    # 1,500 people on 21 July 2026 in one venue: Pendopo Kedaton holds 600, so the stadium
    # Rondong Demang (outdoor: tents and chairs). Lead times: quotes 30 days, permit 21, rehearsal
    # 1; the budget is the APBD 2026, agreed by 30 November 2025 (PP 12/2019).
    plan, steps = _timeline(dt.date(2026, 7, 21), Format.OFFLINE_CENTRAL)
    assert steps == [
        (dt.date(2025, 11, 30), "the cost in the APBD 2026, agreed by this date"),
        (dt.date(2026, 6, 21), "three vendor quotes for: sound system, LED screen, tent, chair"),
        (
            dt.date(2026, 6, 30),
            "book Stadion Rondong Demang, Tenggarong in writing and get the crowd permit "
            "(izin keramaian) from the Polres",
        ),
        (dt.date(2026, 7, 20), "rehearse at the venue (gladi bersih)"),
    ]
    # After 30 September the APBD-P of the same year can still take it.
    _, late = _timeline(dt.date(2026, 11, 2), Format.OFFLINE_CENTRAL)
    assert late[0] == (
        dt.date(2026, 9, 30),
        "the cost in the APBD 2026, or at the latest in its change (APBD-P), agreed by this date",
    )


def test_a_licence_bought_through_sales_is_ordered_well_ahead():
    # 1,500 seats with no stream to fan out to and only Zoom's one-time webinar allowed: it is
    # ordered through Zoom's sales team, 45 days ahead (lead.sales_licence_days).
    _, steps = _timeline(
        dt.date(2026, 7, 21),
        Format.ONLINE,
        stream_fanout=False,
        platforms=("zoom_onetime_10k",),
    )
    assert (
        dt.date(2026, 6, 6),
        "order Zoom one-time webinar 10,000 through the vendor's sales team",
    ) in steps
    # A self-serve licence takes a week (lead.licence_days).
    _, steps = _timeline(
        dt.date(2026, 7, 21), Format.ONLINE, stream_fanout=False, platforms=("goto_enterprise",)
    )
    assert (dt.date(2026, 7, 14), "buy GoToWebinar Enterprise (3,000)") in steps


def test_an_event_outside_the_cost_standards_year_is_warned_of():
    plan, _ = _timeline(dt.date(2027, 3, 1), Format.ONLINE)
    assert any(
        "the event is in 2027, but the per diem and meal rates are the cost standard's for 2026"
        in w
        for w in map(str, plan.warnings)
    )
    within, _ = _timeline(dt.date(2026, 3, 1), Format.ONLINE)
    assert not any("cost standard" in w for w in map(str, within.warnings))


def test_a_hub_in_a_village_without_24_hour_power_runs_on_a_generator(event):
    # 4 delegates of Long Beleh Modang, which has neither a cellular signal nor 24-hour power
    # (access.toml): online, they watch at their village office, on a generator for the day.
    request = PlanRequest(
        groups=(
            AttendeeGroup(4, "64.02.10.2008", Role.DELEGATE),
            AttendeeGroup(10, "64.02.06", Role.DELEGATE),
        ),
        event=event,
        overrides={"power.generator_day": 1_000_000, "tax.vat_rate": Decimal("0.1")},
    )
    plan = plan_format(request, Format.ONLINE)
    assert [(h.site, h.attendees) for h in plan.hubs] == [("64.02.10.2008", 4)]
    lines = _lines(plan)
    # One generator-day at Rp1,000,000, and 10% VAT on its rental.
    assert lines[(Item.POWER, "generators at hubs without 24-hour power (1)")].amount == 1_000_000
    assert lines[(Item.TAX, "VAT on generators at hubs without 24-hour power (1)")].amount == (
        100_000
    )
    # Tenggarong's own people join from their devices: no generator there.
    signal = PlanRequest(groups=request.groups[1:], event=event, overrides=request.overrides)
    assert not any(line.item is Item.POWER for line in plan_format(signal, Format.ONLINE).lines)
