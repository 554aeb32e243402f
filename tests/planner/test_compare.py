import datetime as dt
from decimal import Decimal

import pytest

from planner import (
    AttendeeGroup,
    Event,
    Format,
    HubLevel,
    Payer,
    PlanRequest,
    Role,
    compare,
    cost_curve,
    plan_format,
    presets,
    render_chart,
    run_sensitivity,
)
from planner.regions import regions


@pytest.fixture(scope="module")
def kukar():
    return compare(
        PlanRequest(
            groups=presets.kukar(), event=Event(dt.date(2025, 7, 21), Decimal(3)), draws=500
        )
    )


@pytest.fixture(scope="module")
def national_groups():
    return presets.national(participants=100_000)


def test_kukar_preset_counts():
    groups = presets.kukar()
    by_role = {}
    for g in groups:
        by_role[g.role] = by_role.get(g.role, 0) + g.count
    assert by_role == {
        Role.DELEGATE: 237 * 3,
        Role.VILLAGE_HEAD: 237,
        Role.OFFICIAL: 20 + 30,
        Role.PRESS: 10,
    }


def test_national_preset_is_spread_over_every_village(national_groups):
    assert sum(g.count for g in national_groups) == 100_000
    villages = {g.origin for g in national_groups if g.role is Role.DELEGATE}
    assert len(villages) == 83_762
    regencies = {g.origin for g in national_groups if len(g.origin) == 5}
    assert len(regencies) == 514 == sum(r.level == "regency" for r in regions().values())


def test_kukar_comparison_shape(kukar):
    assert kukar.participants == 1008
    assert set(kukar.plans) == set(Format)
    offline = kukar.plans[Format.OFFLINE_CENTRAL]
    assert [b.id for b in offline.bookings if b.kind == "venue"] == ["rondong_demang"]
    hubs = kukar.plans[Format.HYBRID_HUBS]
    assert len(hubs.hubs) == 20  # one per district
    for plan in kukar.plans.values():
        assert plan.total == sum(plan.by_item.values()) == sum(plan.by_payer.values())
        assert plan.total == sum(line.amount for line in plan.lines)
    # Delegates' travel falls on the cooperatives, hosting on the office.
    assert offline.by_payer[Payer.COOPERATIVES] > 0
    assert offline.by_item["venue"] > 0
    online = kukar.plans[Format.ONLINE]
    assert [h.code for h in online.hubs] == ["64.02.10.2008", "64.02.12.2005", "64.02.12.2009"]
    assert kukar.catalog_version and len(kukar.catalog_digest) == 12


def test_recommendation_is_the_cheapest_feasible(kukar):
    best = min((p for p in kukar.plans.values() if p.feasible), key=lambda p: p.total)
    assert kukar.recommendation.format is best.format
    assert "cheapest feasible" in str(kukar.recommendation.reason)


def test_curve_matches_the_exact_plans_at_the_requested_attendance(kukar):
    point = next(p for p in kukar.curve if p.attendance == kukar.participants)
    for fmt, plan in kukar.plans.items():
        # The curve sums per-person costs in float; each exact line rounds once.
        assert abs(point.totals[fmt] - plan.total) <= len(plan.lines)


def test_break_even_is_where_the_order_flips(kukar):
    for be in kukar.break_evens:
        below = cost_curve(kukar.request, [be.attendance - 1, be.attendance])
        a, b = below[0].totals, below[1].totals
        assert a[be.cheaper_below] < a[be.cheaper_from]
        assert b[be.cheaper_from] <= b[be.cheaper_below]


def test_break_even_found_between_offline_and_hubs(event):
    # Two districts far from Tenggarong and a dear studio: for a few people the trip
    # is cheaper than the studio and two hubs; for many people the hubs are cheaper.
    groups = (
        AttendeeGroup(20, "64.02.12", Role.DELEGATE),
        AttendeeGroup(20, "64.02.10", Role.DELEGATE),
    )
    result = compare(
        PlanRequest(
            groups=groups, event=event, draws=100, overrides={"studio.production": 50_000_000}
        )
    )
    pairs = {(b.cheaper_below, b.cheaper_from) for b in result.break_evens}
    assert (Format.OFFLINE_CENTRAL, Format.HYBRID_HUBS) in pairs


def test_sensitivity_brackets_the_base(kukar):
    s = kukar.sensitivity
    assert s.draws == 500 and s.varied
    # The SBM's per diem is firm; the regent's, for trips inside Kukar, is not found yet.
    assert {k for k in s.varied if k.startswith("perdiem.")} == {
        "perdiem.kukar_luar_kota",
        "perdiem.kukar_dalam_kota_8h",
    }
    for fmt, sp in s.spreads.items():
        assert sp.low <= sp.p10 <= sp.p50 <= sp.p90 <= sp.high, fmt
        assert sp.low <= sp.base <= sp.high
    assert abs(sum(s.cheapest_share.values()) - 1) < 1e-9


def test_national_regency_hubs_fit_a_meeting_district_hubs_do_not(national_groups):
    event = Event(dt.date(2025, 7, 21), Decimal(3))
    meeting_only = ("zoom_large_1000",)
    by_regency = plan_format(
        PlanRequest(groups=national_groups, event=event, platforms=meeting_only), Format.HYBRID_HUBS
    )
    # 514 regency hubs and 38 provincial hubs, plus the origin: 553 <= 1,000.
    assert len(by_regency.hubs) == 514 + 38 and by_regency.feasible
    by_district = plan_format(
        PlanRequest(
            groups=national_groups, event=event, platforms=meeting_only, hub_level=HubLevel.DISTRICT
        ),
        Format.HYBRID_HUBS,
    )
    assert sum(h.level == "district" for h in by_district.hubs) == 7_285
    assert not by_district.feasible
    assert [v.constraint for v in by_district.violations] == ["platform_cap"]
    # With every platform allowed a webinar tier holds them, and the plan says so.
    any_platform = plan_format(
        PlanRequest(groups=national_groups, event=event, hub_level=HubLevel.DISTRICT),
        Format.HYBRID_HUBS,
    )
    assert any_platform.feasible
    assert any("meeting cap" in n for n in map(str, any_platform.notes))


def test_national_offline_is_infeasible(national_groups):
    plan = plan_format(
        PlanRequest(groups=national_groups, event=Event(dt.date(2025, 7, 21))),
        Format.OFFLINE_CENTRAL,
    )
    assert not plan.feasible
    assert plan.violations[0].constraint == "venue_capacity"


def test_budget_ceiling_is_a_named_violation(event):
    groups = (AttendeeGroup(50, "64.02.06", Role.DELEGATE),)
    plan = plan_format(
        PlanRequest(groups=groups, event=event, budget_ceiling=1_000_000), Format.OFFLINE_CENTRAL
    )
    assert [v.constraint for v in plan.violations] == ["budget_ceiling"]


def test_day_before_adds_a_night_and_a_day(event):
    groups = (AttendeeGroup(4, "64.02.08", Role.DELEGATE),)  # Kota Bangun, under 3 h
    same_day = plan_format(PlanRequest(groups=groups, event=event), Format.OFFLINE_CENTRAL)
    before = plan_format(
        PlanRequest(groups=groups, event=Event(event.date, event.hours, True)),
        Format.OFFLINE_CENTRAL,
    )
    assert before.total - same_day.total == 4 * (800_000 + 430_000)


def test_tabang_uses_the_travel_override(event):
    groups = (AttendeeGroup(1, "64.02.12", Role.DELEGATE),)
    plan = plan_format(PlanRequest(groups=groups, event=event), Format.OFFLINE_CENTRAL)
    got = {line.item: line for line in plan.lines}
    assert got["transport"].quantity == 2 * 210  # road km from the access data
    assert got["lodging"].quantity == 1  # 7 h one way: arrive the day before
    assert plan.travel_hours == 14.0


def test_sensitivity_alone_and_chart(kukar):
    big = run_sensitivity(
        PlanRequest(groups=kukar.request.groups, event=kukar.request.event, draws=2000, seed=7)
    )
    assert big.draws == 2000 and big.seed == 7
    svg = render_chart(kukar, "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert render_chart(kukar, "svg") == svg  # no timestamp: same bytes
    assert render_chart(kukar, "png").startswith(b"\x89PNG")
