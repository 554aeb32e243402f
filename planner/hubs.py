"""hybrid_hubs: watch parties per district or regency, one platform connection each."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from planner import travel
from planner.demand import Cohort
from planner.ledger import Context, PersonCost, Shared, gb
from planner.model import Bandwidth, Hub, HubLevel
from planner.regions import (
    KUKAR,
    TENGGARONG_DISTRICT,
    ancestor,
    km_to_district_hub,
    kukar_district_hubs,
    regions,
)
from planner.streaming import book_platform, hub_kits, studio
from planner.text import Text

_RANK = {HubLevel.DISTRICT: 2, HubLevel.REGENCY: 1}
_WIDTH = {HubLevel.DISTRICT: 8, HubLevel.REGENCY: 5}  # code prefix length per level
# The district hub at a regency's seat, where its guests watch: known for Kukar.
_SEAT_HUB = {KUKAR: TENGGARONG_DISTRICT}


def hub_of(c: Cohort, ctx: Context) -> str:
    level, home = ctx.hub_level, ctx.home_regency
    guest = c.rank < 2 or ancestor(c.origin, "regency") != home
    if level is HubLevel.DISTRICT and home in _SEAT_HUB and guest:
        # A guest from outside the regency, or someone of the regency as a whole, joins the
        # hub at its seat; it does not change where anyone else watches.
        return _SEAT_HUB[home]
    # Otherwise a group above the hub level (province officials at regency hubs) gets a hub
    # of its own at its seat, as Kaltim's provincial hub in Lempake did.
    return c.origin[: _WIDTH[level]] if c.rank >= _RANK[level] else c.origin


def _trip(c: Cohort, ctx: Context, hub: str) -> travel.Trip:
    """The trip to the hub: to Tenggarong as the access data has it, else a local one."""
    to_seat = hub == KUKAR or (
        hub == TENGGARONG_DISTRICT and ancestor(c.origin, "district") != TENGGARONG_DISTRICT
    )
    if hub == c.origin:
        return travel.local(Decimal(0), (), 0.0)  # at their own seat
    if to_seat:
        return travel.to_tenggarong(c)
    keys: tuple[str, ...]
    if c.inside and c.point is not None:
        km, keys = km_to_district_hub(c.origin), ("travel.road_fare_per_km", "travel.road_factor")
        road_km = float(km) * ctx.f["travel.road_factor"]
    else:
        district = ctx.hub_level is HubLevel.DISTRICT
        key = "hub.default_km_district" if district else "hub.default_km_regency"
        km, keys = ctx.catalog.value(key), ("travel.road_fare_per_km",)
        road_km = float(km)
    speed = c.local_speed_kmh or ctx.f["travel.road_speed_kmh"]
    return travel.local(km, keys, road_km / speed)


def person(c: Cohort, ctx: Context) -> PersonCost:
    hub = hub_of(c, ctx)
    trip = _trip(c, ctx, hub)
    return PersonCost(travel.lines(c, trip, ctx), trip.hours, hub)


def _hub_name(code: str, level: HubLevel) -> Text | str:
    region = regions()[code]
    if level is HubLevel.DISTRICT and code in kukar_district_hubs():
        site = regions()[kukar_district_hubs()[code]].name
        # Where the kantor camat stands is not in the data: the hub is placed, and said to be,
        # at the office of the village nearest the district's centre.
        return Text(
            "{district}, at the village office of {site} (nearest the district's centre)",
            district=region.name,
            site=site,
        )
    return region.name


def shared(ctx: Context, total: int, groups: Mapping[str, int]) -> Shared:
    out = Shared()
    known = regions()
    sites = kukar_district_hubs() if ctx.hub_level is HubLevel.DISTRICT else {}
    hubs = [
        Hub(code, _hub_name(code, ctx.hub_level), known[code].level, n, site=sites.get(code, ""))
        for code, n in sorted(groups.items())
        if n
    ]
    hub_kits(ctx, out, hubs)
    # Every hub is one connection, plus the origin that broadcasts.
    connections = len(hubs) + 1
    book_platform(ctx, out, connections, fanout=False, what=Text("hub connections"))
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
