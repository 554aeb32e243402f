"""A catalog from what a launch actually cost: each price the plan used, scaled by what was
paid against what the plan's prices would have cost for the quantities bought.

A cost line's unit cost is the product of its catalog keys; its first key is the price, the
others factors (a road's detour, a number of days). So a line tells the price key only: its new
value is the old one times `paid / (planned unit cost x quantity bought)`, over every line of
the launch that has that price key and an actual cost.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import tomli_w

from planner.catalog import Catalog, parse_catalog

# A price taken from actuals keeps this many decimals: rupiah prices are whole numbers, but a
# dollar price or a rate per kilometre is not.
_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Paid:
    """What one plan line actually cost."""

    keys: tuple[str, ...]
    planned_unit_cost: Decimal
    quantity: Decimal
    amount: int


def catalog_from_actuals(
    base: Catalog, paid: Sequence[Paid], *, version: str, source: str, as_of: str
) -> tuple[str, list[str]]:
    """The catalog (TOML on the packaged default: only the prices that changed) and its keys.
    Lines without a price key, a quantity or a planned unit cost tell nothing and are left out.
    The text is checked by the planner's own reader before it is returned."""
    spent: dict[str, Decimal] = defaultdict(Decimal)
    at_plan: dict[str, Decimal] = defaultdict(Decimal)
    for line in paid:
        if not line.keys or line.quantity <= 0 or line.planned_unit_cost <= 0:
            continue
        spent[line.keys[0]] += line.amount
        at_plan[line.keys[0]] += line.planned_unit_cost * line.quantity
    entries: dict[str, Any] = {}
    for key in sorted(spent):
        old = base.entries[key]
        value = (old.value * spent[key] / at_plan[key]).quantize(_PLACES).normalize()
        entries[key] = {
            "value": int(value) if value == value.to_integral() else float(value),
            "estimate": False,
            "source": source,
            "as_of": as_of,
        }
    text = tomli_w.dumps({"base": "default", "version": version, "entries": entries})
    parse_catalog(text, "catalog from actuals")
    return text, list(entries)
