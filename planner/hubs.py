"""hybrid_hubs: watch parties per district or regency, one platform connection each."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from planner.demand import Cohort
from planner.ledger import Context, LineKey, PersonCost, Shared, gb
from planner.model import Bandwidth, Hub, HubLevel
from planner.regions import km_to_district_hub, kukar_district_hubs, regions
from planner.streaming import book_platform, hub_kits, studio

_RANK = {HubLevel.DISTRICT: 2, HubLevel.REGENCY: 1}
_WIDTH = {HubLevel.DISTRICT: 8, HubLevel.REGENCY: 5}  # code prefix length per level


def hub_of(c: Cohort, level: HubLevel) -> str:
    # A group above the hub level (province officials at regency hubs) gets a hub
    # of its own at its seat, as Kaltim's provincial hub in Lempake did.
    return c.origin[: _WIDTH[level]] if c.rank >= _RANK[level] else c.origin


def _local_km(c: Cohort, ctx: Context, hub: str) -> tuple[Decimal, tuple[str, ...]]:
    """One-way km to the hub and the keys that price it."""
    level = ctx.hub_level
    if c.rank <= _RANK[level]:
        return Decimal(0), ()
    if c.inside and c.point is not None:
        if level is HubLevel.DISTRICT:
            straight = km_to_district_hub(c.origin)
        else:
            straight = c.point.straight_km  # the regency hub is in Tenggarong
        return straight, ("travel.road_fare_per_km", "travel.road_factor")
    key = "hub.default_km_district" if level is HubLevel.DISTRICT else "hub.default_km_regency"
    return ctx.catalog.value(key), ("travel.road_fare_per_km",)


def person(c: Cohort, ctx: Context) -> PersonCost:
    hub = hub_of(c, ctx.hub_level)
    km, keys = _local_km(c, ctx, hub)
    cat = ctx.catalog
    road_km = float(km) * ctx.f["travel.road_factor"] if len(keys) == 2 else float(km)
    speed = c.local_speed_kmh or ctx.f["travel.road_speed_kmh"]
    hours = road_km / speed
    payer = ctx.payer_for(c)
    lines: list[tuple[LineKey, Decimal]] = []
    if km:
        lines.append((LineKey("local_transport", c.place, payer, "person-km", keys), 2 * km))
    per_diem_floor = ctx.f["rules.dalam_kota_min_hours"]
    if cat.roles[c.role].per_diem and ctx.event_hours + 2 * hours > per_diem_floor:
        lines.append(
            (
                LineKey(
                    "per_diem",
                    f"{c.place} (dalam kota > 8 h)",
                    payer,
                    "person-day",
                    ("perdiem.dalam_kota_8h",),
                ),
                Decimal(1),
            )
        )
    return PersonCost(tuple(lines), hours, hub)


def _hub_name(code: str, level: HubLevel) -> str:
    region = regions()[code]
    if level is HubLevel.DISTRICT and code in kukar_district_hubs():
        site = regions()[kukar_district_hubs()[code]].name
        return f"{region.name} (at {site})"
    return region.name


def shared(ctx: Context, total: int, groups: Mapping[str, int]) -> Shared:
    out = Shared()
    known = regions()
    hubs = [
        Hub(code, _hub_name(code, ctx.hub_level), known[code].level, n)
        for code, n in sorted(groups.items())
        if n
    ]
    hub_kits(ctx, out, hubs)
    # Every hub is one connection, plus the origin that broadcasts.
    connections = len(hubs) + 1
    book_platform(ctx, out, connections, fanout=False, what="hub connections")
    studio(out)
    cat = ctx.catalog
    out.bandwidth = Bandwidth(
        origin_uplink_mbps=float(cat.value("bandwidth.origin_uplink_mbps")),
        downlink_mbps=float(cat.value("bandwidth.hub_mbps")),
        downlink_per="hub",
        endpoints=len(hubs),
        data_gb=round(gb(ctx, "data.hub_gb_per_hour", len(hubs)), 1),
    )
    return out
