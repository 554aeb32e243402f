"""Launch planner: compare holding a launch in one venue, online, or as hub watch parties.

A pure library: typed, deterministic (the seed is an input), and free of web or
database imports. Money is integer rupiah.
"""

from planner import presets
from planner.actuals import Paid, catalog_from_actuals
from planner.catalog import Catalog, CatalogEntry, default_catalog, load_catalog, parse_catalog
from planner.chart import render_chart
from planner.compare import compare, cost_curve, plan_format, run_sensitivity
from planner.demand import (
    MAX_BUDGET,
    MAX_DRAWS,
    MAX_PARTICIPANTS,
    MAX_SEED,
    MIN_EVENT_HOURS,
    TRAVEL_BOUNDS,
)
from planner.errors import CatalogError, InvalidInputError, PlannerError, UnknownRegionError
from planner.model import (
    AttendeeGroup,
    Bandwidth,
    Booking,
    BreakEven,
    Comparison,
    CostLine,
    CurvePoint,
    Event,
    Format,
    FormatPlan,
    Hub,
    HubLevel,
    Item,
    Milestone,
    NoSignalPolicy,
    Payer,
    PlanRequest,
    Recommendation,
    Role,
    Sensitivity,
    Spread,
    TravelOverride,
    Unit,
    Violation,
)
from planner.serialize import to_jsonable
from planner.text import Say, Text, rendered

__all__ = [
    "MAX_BUDGET",
    "MAX_DRAWS",
    "MAX_PARTICIPANTS",
    "MAX_SEED",
    "MIN_EVENT_HOURS",
    "Paid",
    "catalog_from_actuals",
    "TRAVEL_BOUNDS",
    "AttendeeGroup",
    "Bandwidth",
    "Booking",
    "BreakEven",
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "Comparison",
    "CostLine",
    "CurvePoint",
    "Event",
    "Format",
    "FormatPlan",
    "Hub",
    "HubLevel",
    "Item",
    "Milestone",
    "InvalidInputError",
    "NoSignalPolicy",
    "Payer",
    "PlanRequest",
    "PlannerError",
    "Recommendation",
    "Role",
    "Say",
    "Sensitivity",
    "Spread",
    "Text",
    "TravelOverride",
    "UnknownRegionError",
    "Unit",
    "Violation",
    "compare",
    "cost_curve",
    "default_catalog",
    "load_catalog",
    "parse_catalog",
    "plan_format",
    "presets",
    "render_chart",
    "rendered",
    "run_sensitivity",
    "to_jsonable",
]
