"""Bad input is refused with the offending field named, never clamped."""

import datetime as dt
from decimal import Decimal

import pytest

from planner import (
    AttendeeGroup,
    CatalogError,
    Event,
    Format,
    InvalidInputError,
    PlannerError,
    PlanRequest,
    Role,
    TravelOverride,
    UnknownRegionError,
    compare,
    plan_format,
    presets,
)


def _req(event, groups=None, **kw):
    groups = groups or (AttendeeGroup(5, "64.02.06", Role.DELEGATE),)
    return PlanRequest(groups=groups, event=event, **kw)


def test_negative_count_names_the_group(event):
    groups = (
        AttendeeGroup(5, "64.02.06", Role.DELEGATE),
        AttendeeGroup(2, "64.02.01", Role.OFFICIAL),
        AttendeeGroup(-1, "64.02.12", Role.DELEGATE),
    )
    with pytest.raises(InvalidInputError) as exc:
        compare(_req(event, groups))
    assert exc.value.field == "groups[2].count"
    assert exc.value.loc == ("groups", 2, "count")


def test_unknown_region_names_the_origin(event):
    with pytest.raises(UnknownRegionError) as exc:
        compare(_req(event, (AttendeeGroup(5, "99.99", Role.DELEGATE),)))
    assert exc.value.field == "groups[0].origin"
    assert isinstance(exc.value, PlannerError)


def test_negative_cap_override_names_the_entry(event):
    with pytest.raises(CatalogError) as exc:
        compare(_req(event, overrides={"platform.zoom_pro.cap": -1}))
    assert exc.value.field == 'overrides["platform.zoom_pro.cap"]'


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"no.such.entry": 1}, 'overrides["no.such.entry"]'),
        ({"venue.aji_imbut.capacity": "1.5"}, 'overrides["venue.aji_imbut.capacity"]'),
        ({"fx.usd_idr": 0}, 'overrides["fx.usd_idr"]'),
    ],
)
def test_bad_overrides(event, overrides, field):
    with pytest.raises(CatalogError) as exc:
        compare(_req(event, overrides=overrides))
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"interactive_seats": -1}, "interactive_seats"),
        ({"draws": 0}, "draws"),
        ({"budget_ceiling": -5}, "budget_ceiling"),
        ({"platforms": ("zoom_pro", "nope")}, "platforms[1]"),
        ({"no_signal": ("64.02.99.9999",)}, "no_signal[0]"),
        (
            {"travel_overrides": {"64.02.12": TravelOverride(hours=Decimal(-1))}},
            'travel_overrides["64.02.12"].hours',
        ),
    ],
)
def test_bad_request_fields(event, kw, field):
    with pytest.raises(PlannerError) as exc:
        compare(_req(event, **kw))
    assert exc.value.field == field


def test_zero_hours_and_empty_attendance_are_refused():
    with pytest.raises(InvalidInputError) as exc:
        compare(_req(Event(dt.date(2026, 1, 1), Decimal(0))))
    assert exc.value.field == "event.hours"
    with pytest.raises(InvalidInputError) as exc:
        compare(_req(Event(dt.date(2026, 1, 1)), (AttendeeGroup(0, "64.02", Role.PRESS),)))
    assert exc.value.field == "groups"


def test_presets_refuse_negative_and_too_few(event):
    with pytest.raises(InvalidInputError) as exc:
        presets.kukar(delegates_per_cooperative=-1)
    assert exc.value.field == "delegates_per_cooperative"
    with pytest.raises(InvalidInputError) as exc:
        presets.national(participants=100)
    assert exc.value.field == "participants"


def test_unserved_villages_are_named_not_dropped(event):
    from planner import NoSignalPolicy

    groups = (
        AttendeeGroup(4, "64.02.12.2005", Role.DELEGATE),  # Umaq Dian, no signal
        AttendeeGroup(6, "64.02.06", Role.DELEGATE),
    )
    hub = plan_format(_req(event, groups), Format.ONLINE)
    assert hub.feasible and [h.code for h in hub.hubs] == ["64.02.12.2005"]
    cut = plan_format(_req(event, groups, no_signal_policy=NoSignalPolicy.UNSERVED), Format.ONLINE)
    assert not cut.feasible and cut.unserved == 4
    assert [v.constraint for v in cut.violations] == ["unserved"]
