"""Hypothesis properties: monotone cost, caps respected, deterministic output."""

import datetime as dt
import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import (
    AttendeeGroup,
    CatalogEntry,
    Event,
    Format,
    PlanRequest,
    Role,
    compare,
    default_catalog,
    plan_format,
    to_jsonable,
)
from planner.regions import kukar_points

# Kukar origins only: one regency keeps the hub level fixed at district.
KUKAR_CODES = sorted(kukar_points())
SILENT = ["64.02.10.2008", "64.02.12.2005"]  # villages without signal

groups_st = st.lists(
    st.builds(
        AttendeeGroup,
        count=st.integers(0, 400),
        origin=st.sampled_from(KUKAR_CODES + SILENT),
        role=st.sampled_from(list(Role)),
    ),
    min_size=1,
    max_size=6,
).filter(lambda gs: sum(g.count for g in gs) > 0)

options_st = st.fixed_dictionaries(
    {
        "stream_fanout": st.booleans(),
        "office_pays_data": st.booleans(),
        "hours": st.sampled_from([Decimal(1), Decimal(3), Decimal(9)]),
        "arrive_day_before": st.booleans(),
    }
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _request(groups, opts, **kw):
    return PlanRequest(
        groups=tuple(groups),
        event=Event(dt.date(2026, 3, 2), opts["hours"], opts["arrive_day_before"]),
        stream_fanout=opts["stream_fanout"],
        office_pays_data=opts["office_pays_data"],
        draws=50,
        **kw,
    )


@SETTINGS
@given(groups=groups_st, opts=options_st, which=st.integers(0, 5), extra=st.integers(1, 3000))
def test_cost_never_decreases_as_attendance_grows(groups, opts, which, extra):
    i = which % len(groups)
    grown = list(groups)
    grown[i] = AttendeeGroup(grown[i].count + extra, grown[i].origin, grown[i].role)
    for fmt in Format:
        before = plan_format(_request(groups, opts), fmt)
        after = plan_format(_request(grown, opts), fmt)
        assert after.total >= before.total, fmt


@SETTINGS
@given(
    groups=groups_st,
    opts=options_st,
    platforms=st.one_of(
        st.none(),
        st.sampled_from(
            [
                ("zoom_pro", "zoom_business"),
                ("zoom_large_1000", "youtube_live"),
                ("goto_lite", "goto_pro", "zoom_webinar_500"),
            ]
        ),
    ),
)
def test_no_plan_exceeds_a_cap(groups, opts, platforms):
    request = _request(groups, opts, platforms=platforms)
    for fmt in Format:
        plan = plan_format(request, fmt)
        for b in plan.bookings:
            if b.capacity is not None:
                assert b.seats is not None and b.seats <= b.capacity, (fmt, b)
        # Everyone is seated, sent to a hub, or counted as unserved: nobody is dropped.
        if fmt is Format.ONLINE and plan.feasible:
            seats = sum(b.seats or 0 for b in plan.bookings if b.kind == "licence")
            at_hubs = sum(h.attendees for h in plan.hubs)
            assert seats == plan.participants - at_hubs - plan.unserved + len(plan.hubs)
        if fmt is Format.OFFLINE_CENTRAL and not plan.feasible:
            assert any(v.constraint == "venue_capacity" for v in plan.violations)
        if not plan.feasible:
            assert plan.violations


@settings(max_examples=15, deadline=None)
@given(groups=groups_st, opts=options_st, seed=st.integers(0, 2**32 - 1))
def test_same_input_and_seed_give_the_same_output(groups, opts, seed):
    a = compare(_request(groups, opts, seed=seed))
    b = compare(_request(groups, opts, seed=seed))
    assert to_jsonable(a) == to_jsonable(b)


def test_a_different_seed_changes_only_the_draws():
    groups = (AttendeeGroup(300, "64.02.12", Role.DELEGATE),)
    opts = {
        "stream_fanout": True,
        "office_pays_data": False,
        "hours": Decimal(3),
        "arrive_day_before": False,
    }
    a, b = compare(_request(groups, opts, seed=1)), compare(_request(groups, opts, seed=2))
    assert {f: p.total for f, p in a.plans.items()} == {f: p.total for f, p in b.plans.items()}
    assert a.sensitivity.spreads != b.sensitivity.spreads


# The units of the catalog's counts and capacities, which take whole numbers.
COUNT_UNITS = {
    "attendees",
    "participants",
    "persons",
    "seats",
    "persons/kit",
    "persons/screen",
    "persons/tent",
    "persons/hall",
    "persons/guard",
    "persons/post",
    "days",
    "year",
    "participants/committee member",
    "m2/screen",
}

# Guests from anywhere but Kukar: a province, a regency, a district and a village elsewhere.
GUESTS = ["64", "35", "64.72", "64.71.01", "64.01.01.2009", "91.03.01.1001"]


@SETTINGS
@given(
    groups=groups_st.filter(lambda gs: sum(g.count for g in gs) >= 10),
    opts=options_st,
    origin=st.sampled_from(GUESTS),
    role=st.sampled_from(list(Role)),
    count=st.integers(1, 5),
)
def test_an_outside_guest_never_changes_where_kukars_people_watch(
    groups, opts, origin, role, count
):
    alone = plan_format(_request(groups, opts), Format.HYBRID_HUBS)
    guest = AttendeeGroup(count, origin, role)
    invited = plan_format(_request([*groups, guest], opts), Format.HYBRID_HUBS)
    before = {h.code: h.attendees for h in alone.hubs}
    after = {h.code: h.attendees for h in invited.hubs}
    seat = "64.02.06"  # Tenggarong, where the guests watch
    assert after.pop(seat) == before.pop(seat, 0) + count
    assert after == before


def _in_range(data: st.DataObject, entry: CatalogEntry) -> Decimal:
    """A value the entry's range allows: a whole one, or, where the entry is not a count, a
    fraction too."""
    whole = st.integers(math.ceil(entry.minimum), math.floor(entry.maximum)).map(Decimal)
    fraction = st.decimals(entry.minimum, entry.maximum, places=3, allow_nan=False)
    count = entry.unit in COUNT_UNITS
    return data.draw(whole if count else st.one_of(whole, fraction))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=groups_st, opts=options_st, data=st.data())
def test_any_values_within_the_documented_ranges_give_whole_positive_amounts(groups, opts, data):
    catalog = default_catalog()
    keys = data.draw(st.lists(st.sampled_from(sorted(catalog.entries)), max_size=12, unique=True))
    overrides = {key: _in_range(data, catalog.entry(key)) for key in keys}
    result = compare(_request(groups, opts, overrides=overrides))
    for plan in result.plans.values():
        assert plan.total >= 0 and all(line.amount >= 0 for line in plan.lines)
        assert plan.total == sum(plan.by_payer.values())
    assert all(b.cost >= 0 and b.attendance > 0 for b in result.break_evens)
