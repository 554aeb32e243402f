"""A catalog from what a launch actually cost: each price key scaled by paid against planned."""

from decimal import Decimal

import pytest

from planner import CatalogError, Paid, catalog_from_actuals, default_catalog, parse_catalog

BASE = default_catalog()
KIT = BASE.entries["hub.kit"].value


def _catalog(paid):
    text, keys = catalog_from_actuals(
        BASE, paid, version="test+actuals", source="Launch 7", as_of="2026-12-21"
    )
    return parse_catalog(text), keys


def test_lines_of_one_price_weigh_by_what_the_plan_would_have_paid():
    # 10 kits at 1.5x the price and 30 at the plan's price: 45 / 40 of the price overall.
    paid = [
        Paid(("hub.kit",), KIT, Decimal(10), int(KIT * 15)),
        Paid(("hub.kit",), KIT, Decimal(30), int(KIT * 30)),
    ]
    catalog, keys = _catalog(paid)
    assert keys == ["hub.kit"]
    entry = catalog.entries["hub.kit"]
    assert entry.value == KIT * Decimal(45) / Decimal(40)
    assert (entry.source, entry.as_of, entry.estimate) == ("Launch 7", "2026-12-21", False)
    assert catalog.version == "test+actuals"
    # Everything else is the default's.
    assert catalog.entries["meal.lunch"] == BASE.entries["meal.lunch"]


def test_only_the_first_key_of_a_line_is_a_price():
    road = BASE.entries["travel.road_fare_per_km"].value
    factor = BASE.entries["travel.road_factor"].value
    planned = road * factor
    paid = [
        Paid(
            ("travel.road_fare_per_km", "travel.road_factor"),
            planned,
            Decimal(100),
            int(planned * 200),
        )
    ]
    catalog, keys = _catalog(paid)
    assert keys == ["travel.road_fare_per_km"]
    assert catalog.entries["travel.road_fare_per_km"].value == road * 2
    assert catalog.entries["travel.road_factor"].value == factor


def test_lines_that_tell_nothing_are_left_out():
    paid = [Paid((), Decimal(1), Decimal(1), 5), Paid(("hub.kit",), KIT, Decimal(0), 5)]
    assert _catalog(paid)[1] == []


def test_a_price_outside_its_valid_range_is_refused_by_the_planners_reader():
    limit = BASE.entries["hub.kit"].maximum
    with pytest.raises(CatalogError):
        _catalog([Paid(("hub.kit",), Decimal(1), Decimal(1), int(limit) + 1)])
