import tomllib
from decimal import Decimal
from importlib import resources

import pytest

from planner import (
    AttendeeGroup,
    CatalogError,
    Format,
    PlanRequest,
    Role,
    default_catalog,
    load_catalog,
    parse_catalog,
    plan_format,
)


def test_every_entry_has_provenance_and_estimates_have_ranges():
    catalog = default_catalog()
    assert catalog.version
    for key, e in catalog.entries.items():
        assert e.unit and e.source and e.as_of, key
        if e.low is not None:
            assert e.low <= e.value <= e.high, key
    # The firm SBM 2026 Kaltim per diem figures.
    assert catalog.value("perdiem.luar_kota") == 430_000
    assert catalog.value("perdiem.dalam_kota_8h") == 170_000
    assert catalog.value("perdiem.diklat") == 130_000
    assert not catalog.entry("perdiem.luar_kota").estimate
    assert catalog.entry("lodging.night").estimate  # Kaltim hotel row NOT FOUND


def test_catalog_file_parses_prices_exactly():
    raw = resources.files("planner").joinpath("data/catalog.toml").read_text("utf-8")
    data = tomllib.loads(raw, parse_float=Decimal)
    assert default_catalog().value("platform.zoom_pro.price") == Decimal("16.99")
    assert len(default_catalog().entries) == len(data["entries"])


def test_request_override_changes_the_total_by_the_hand_delta(event):
    groups = (AttendeeGroup(10, "64.02.02.2004", Role.DELEGATE),)
    base = plan_format(PlanRequest(groups=groups, event=event), Format.OFFLINE_CENTRAL)
    dearer = plan_format(
        PlanRequest(groups=groups, event=event, overrides={"perdiem.kukar_luar_kota": 500_000}),
        Format.OFFLINE_CENTRAL,
    )
    assert dearer.total - base.total == 10 * (500_000 - 430_000)


def test_override_makes_the_figure_firm():
    catalog = default_catalog().with_overrides({"meal.lunch": 60_000})
    entry = catalog.entry("meal.lunch")
    assert (entry.value, entry.estimate, entry.low, entry.source) == (
        60_000,
        False,
        None,
        "request override",
    )
    assert catalog.digest != default_catalog().digest
    assert default_catalog().value("meal.lunch") == 50_000  # the default is untouched


def test_regency_price_list_on_top_of_the_default(tmp_path, event):
    path = tmp_path / "kukar-shs-2026.toml"
    path.write_text("""
base = "default"
version = "kukar-shs-2026"

[entries."venue.odah_etam.rent"]
value = 2000000
unit = "IDR/day"
estimate = false
source = "Perbup Kukar SHS 2026 (example)"
as_of = "2026-01-02"

[venues.gedung_serbaguna]
name = "Gedung Serbaguna"
outdoor = false

[entries."venue.gedung_serbaguna.capacity"]
value = 50
unit = "seats"
valid = [1, 1000000]
source = "example"

[entries."venue.gedung_serbaguna.rent"]
value = 750000
unit = "IDR/day"
valid = [0, 100000000000]
source = "example"
""")
    catalog = load_catalog(path)
    assert catalog.version == "kukar-shs-2026"
    assert catalog.value("perdiem.luar_kota") == 430_000  # inherited
    request = PlanRequest(groups=(AttendeeGroup(30, "64.02.06", Role.DELEGATE),), event=event)
    plan = plan_format(request, Format.OFFLINE_CENTRAL, catalog)
    # The cheapest hall that holds them: the new one, for Rp750,000 rather than Rp2,000,000.
    assert [b.id for b in plan.bookings if b.kind == "venue"] == ["gedung_serbaguna"]
    big = PlanRequest(groups=(AttendeeGroup(300, "64.02.06", Role.DELEGATE),), event=event)
    plan = plan_format(big, Format.OFFLINE_CENTRAL, catalog)
    assert {line.item: line.amount for line in plan.lines}["venue"] == 2_000_000


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            'version = "x"\n[entries."fx.usd_idr"]\nvalue = 1\nunit = "IDR/USD"\nvalid = [1, 9]\n',
            "roles",
        ),
        # A new entry says which values are valid; a value outside them is refused.
        ('base = "default"\n[entries."x.y"]\nvalue = 1\nunit = "h"\n', 'entries["x.y"]'),
        (
            'base = "default"\n[entries."x.y"]\nvalue = 1\nunit = "h"\nvalid = [2, 1]\n',
            'entries["x.y"].valid',
        ),
        (
            'base = "default"\n[entries."travel.road_speed_kmh"]\nvalue = 0\n',
            'entries["travel.road_speed_kmh"].value',
        ),
        ('base = "default"\n[entries."meal.lunch"]\nvalue = -3\n', 'entries["meal.lunch"].value'),
        ('base = "default"\n[venues.hall]\nname = "Hall"\n', "venues.hall"),
        (
            'base = "default"\n[entries."meal.lunch"]\nvalue = 10\nlow = 20\nhigh = 30\n',
            'entries["meal.lunch"]',
        ),
        ('base = "other"\n', "base"),
        ("this is = not toml [", "catalog"),
    ],
)
def test_bad_catalogs_name_the_problem(text, field):
    with pytest.raises(CatalogError) as exc:
        parse_catalog(text)
    assert exc.value.field == field


def test_missing_catalog_file(tmp_path):
    with pytest.raises(CatalogError):
        load_catalog(tmp_path / "missing.toml")
