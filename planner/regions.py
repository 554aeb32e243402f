from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from planner.model import TravelOverride

KUKAR = "64.02"
TENGGARONG_DISTRICT = "64.02.06"
VILLAGE_LEVELS = frozenset({"desa", "kelurahan"})
LEVEL_RANK = {"province": 0, "regency": 1, "district": 2, "desa": 3, "kelurahan": 3}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str
    parent: str

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lng: float
    straight_km: Decimal


@dataclass(frozen=True, slots=True)
class RegencyTrip:
    """The usual one-way trip from a regency's (or city's) seat to Tenggarong: road km, hours
    and boat or ferry legs, with whether the figures are estimates and where they come from."""

    name: str
    road_km: Decimal
    hours: Decimal
    boat_legs: int
    estimate: bool
    source: str


@dataclass(frozen=True, slots=True)
class Access:
    version: str
    dalam_kota: frozenset[str]
    origins: Mapping[str, TravelOverride]
    no_signal: frozenset[str]
    # Villages without 24-hour power: a hub there needs a generator.
    no_power: frozenset[str]
    # East Kalimantan's other regencies and cities, by regency code.
    regencies: Mapping[str, RegencyTrip]


def _read(name: str) -> str:
    return resources.files("planner").joinpath(f"data/{name}").read_text("utf-8")


@lru_cache(maxsize=1)
def regions() -> Mapping[str, Region]:
    """Every Kemendagri region code (planner/data/wilayah_indonesia.csv)."""
    rows = csv.reader(io.StringIO(_read("wilayah_indonesia.csv")))
    next(rows)
    return MappingProxyType({c: Region(c, n, lv, p) for c, n, lv, p in rows})


@lru_cache(maxsize=1)
def villages_by_district() -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for r in regions().values():
        if r.level in VILLAGE_LEVELS:
            counts[r.parent] = counts.get(r.parent, 0) + 1
    return MappingProxyType(counts)


@lru_cache(maxsize=1)
def kukar_points() -> Mapping[str, Point]:
    """Centroids and straight-line km to Tenggarong for Kukar's districts and villages."""
    rows = csv.DictReader(io.StringIO(_read("kukar_wilayah_points.csv")))
    return MappingProxyType(
        {
            r["code"]: Point(
                float(r["centroid_lat"]),
                float(r["centroid_lng"]),
                Decimal(r["straight_km_to_tenggarong"]),
            )
            for r in rows
        }
    )


def _dec(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


@lru_cache(maxsize=1)
def access() -> Access:
    """Per-district travel overrides, signal-less villages and the trips from the province's
    other regencies (planner/data/access.toml)."""
    data = tomllib.loads(_read("access.toml"), parse_float=Decimal)
    origins = {
        code: TravelOverride(
            hours=_dec(o.get("hours")),
            road_km=_dec(o.get("road_km")),
            boat_legs=o.get("boat_legs"),
            local_speed_kmh=_dec(o.get("local_speed_kmh")),
        )
        for code, o in data.get("origins", {}).items()
    }
    regencies = {
        code: RegencyTrip(
            name=str(r["name"]),
            road_km=Decimal(str(r["road_km"])),
            hours=Decimal(str(r["hours"])),
            boat_legs=int(r.get("boat_legs", 0)),
            estimate=bool(r["estimate"]),
            source=str(r["source"]),
        )
        for code, r in data.get("regencies", {}).items()
    }
    return Access(
        version=str(data["version"]),
        dalam_kota=frozenset(data.get("dalam_kota", ())),
        origins=MappingProxyType(origins),
        no_signal=frozenset(data.get("no_signal", {}).get("villages", ())),
        no_power=frozenset(data.get("no_power", {}).get("villages", ())),
        regencies=MappingProxyType(regencies),
    )


def ancestor(code: str, level: str) -> str:
    """The code of ``code``'s region at ``level`` (codes nest by prefix)."""
    width = {"province": 2, "regency": 5, "district": 8}[level]
    return code[:width]


def haversine_km(a: Point, b: Point) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a.lat, a.lng, b.lat, b.lng))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@cache
def km_to_district_hub(code: str) -> Decimal:
    """Straight km from a Kukar village to its district's hub site, to 0.1 km."""
    pts = kukar_points()
    site = pts[kukar_district_hubs()[ancestor(code, "district")]]
    return Decimal(str(round(haversine_km(pts[code], site), 1)))


@lru_cache(maxsize=1)
def kukar_district_hubs() -> Mapping[str, str]:
    """For each Kukar district, the village nearest its centroid: the default hub site."""
    pts = kukar_points()
    best: dict[str, tuple[float, str]] = {}
    for code, p in pts.items():
        if len(code) <= 8:
            continue
        district = ancestor(code, "district")
        d = haversine_km(p, pts[district])
        if district not in best or (d, code) < best[district]:
            best[district] = (d, code)
    return MappingProxyType({k: v[1] for k, v in best.items()})
