from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.errors import CatalogError, Loc
from planner.model import Payer, PlatformKind, Role
from planner.money import to_decimal

FX_KEY = "fx.usd_idr"
# Entries that are counts or capacities must stay whole numbers.
_INTEGER_SUFFIXES = (
    ".cap",
    ".capacity",
    ".included",
    "_seats",
    "_above",
    ".minimum",
    "per_member",
    "people_per_screen",
    "people_per_guard",
    "people_per_health_post",
    "_days",
    ".year",
)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    key: str
    value: Decimal
    unit: str
    source: str
    as_of: str
    estimate: bool
    # The values the planner accepts for it, in a file or an override: `valid = [min, max]`.
    minimum: Decimal
    maximum: Decimal
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def in_usd(self) -> bool:
        return self.unit.startswith("USD")


@dataclass(frozen=True, slots=True)
class Venue:
    id: str
    name: str
    outdoor: bool
    risk: str = ""  # a known problem with booking it, which the plan warns of


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    name: str
    kind: PlatformKind
    through_sales: bool = False  # bought through the vendor's sales team, not self-serve

    @property
    def unlimited(self) -> bool:
        return self.kind is PlatformKind.STREAM


@dataclass(frozen=True, slots=True)
class RoleRule:
    role: Role
    label: str
    per_diem: bool
    payer: Payer


@dataclass(frozen=True, slots=True)
class Catalog:
    """Unit costs with provenance. Immutable: overrides return a new catalog."""

    version: str
    entries: Mapping[str, CatalogEntry]
    venues: tuple[Venue, ...]
    platforms: tuple[Platform, ...]
    roles: Mapping[Role, RoleRule]

    def __repr__(self) -> str:
        return f"Catalog(version={self.version!r}, entries={len(self.entries)})"

    def entry(self, key: str) -> CatalogEntry:
        try:
            return self.entries[key]
        except KeyError:
            raise CatalogError("catalog has no entry {key}", ("catalog", key), key=key) from None

    def value(self, key: str) -> Decimal:
        return self.entry(key).value

    def int_value(self, key: str) -> int:
        return int(self.entry(key).value)

    def price_keys(self, key: str) -> tuple[str, ...]:
        """The keys whose product is this price in rupiah."""
        return (key, FX_KEY) if self.entry(key).in_usd else (key,)

    def idr(self, key: str) -> Decimal:
        price = self.value(key)
        return price * self.value(FX_KEY) if self.entry(key).in_usd else price

    @property
    def digest(self) -> str:
        """A short fingerprint of every value and rule, for reproducing an answer."""
        h = hashlib.sha256(self.version.encode())
        for key in sorted(self.entries):
            h.update(f"|{key}={self.entries[key].value}".encode())
        for v in self.venues:
            h.update(f"|v:{v.id}:{v.outdoor}:{v.risk}".encode())
        for p in self.platforms:
            h.update(f"|p:{p.id}:{p.kind}:{p.through_sales}".encode())
        for role in sorted(self.roles):
            r = self.roles[role]
            h.update(f"|r:{role}:{r.per_diem}:{r.payer}".encode())
        return h.hexdigest()[:12]

    def with_overrides(
        self, overrides: Mapping[str, Decimal | int | float | str], loc: Loc = ("overrides",)
    ) -> Catalog:
        """Replace entry values; an override is a firm figure with no range."""
        if not overrides:
            return self
        entries = dict(self.entries)
        for key, raw in overrides.items():
            if key not in entries:
                raise CatalogError("unknown catalog entry {key}", (*loc, key), key=key)
            value = _checked_value(
                key, raw, (*loc, key), entries[key].minimum, entries[key].maximum
            )
            entries[key] = replace(
                entries[key],
                value=value,
                estimate=False,
                low=None,
                high=None,
                source="request override",
            )
        return replace(self, entries=MappingProxyType(entries))


def _number(raw: object, loc: Loc) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | float | str):
        raise CatalogError("must be a number", loc)
    try:
        value = to_decimal(raw)
    except ArithmeticError:
        raise CatalogError("must be a number", loc) from None
    if not value.is_finite():
        raise CatalogError("must be a finite number", loc)
    return value


def _checked_value(key: str, raw: object, loc: Loc, minimum: Decimal, maximum: Decimal) -> Decimal:
    """The value, if it lies in the entry's valid range: a zero that would silently delete a
    cost, or a figure so large that the arithmetic overflows, is refused with the range."""
    value = _number(raw, loc)
    if not minimum <= value <= maximum:
        raise CatalogError(
            "must be between {least} and {most}", loc, least=_plain(minimum), most=_plain(maximum)
        )
    if key.endswith(_INTEGER_SUFFIXES) and value != value.to_integral_value():
        raise CatalogError("must be a whole number", loc)
    return value


def _plain(value: Decimal) -> str:
    """A range's end as a person writes it: 100000000000, 0.1."""
    return format(value.normalize(), "f")


def _valid_range(
    raw: Mapping[str, Any], old: CatalogEntry | None, loc: Loc
) -> tuple[Decimal, Decimal]:
    """The entry's `valid = [min, max]`; an entry a file only changes keeps its base's."""
    if "valid" not in raw:
        if old is None:
            raise CatalogError("needs valid = [min, max]: the values the planner accepts", loc)
        return old.minimum, old.maximum
    given = raw["valid"]
    if not isinstance(given, list) or len(given) != 2:
        raise CatalogError("must be [min, max]", (*loc, "valid"))
    minimum, maximum = (_number(end, (*loc, "valid", i)) for i, end in enumerate(given))
    if not 0 <= minimum <= maximum:
        raise CatalogError("needs 0 <= min <= max", (*loc, "valid"))
    return minimum, maximum


def _parse(data: Mapping[str, Any], base: Catalog | None, origin: str) -> Catalog:
    entries: dict[str, CatalogEntry] = dict(base.entries) if base else {}
    raw_entries = data.get("entries", {})
    if not isinstance(raw_entries, Mapping):
        raise CatalogError("must be a table", ("entries",))
    for key, raw in raw_entries.items():
        loc: Loc = ("entries", key)
        if not isinstance(raw, Mapping) or "value" not in raw:
            raise CatalogError("needs at least a value", loc)
        old = entries.get(key)
        minimum, maximum = _valid_range(raw, old, loc)

        value, low, high = (
            _checked_value(key, raw[part], (*loc, part), minimum, maximum) if part in raw else None
            for part in ("value", "low", "high")
        )
        assert value is not None  # "value" is in raw, checked above
        estimate = bool(raw.get("estimate", old.estimate if old else True))
        if (low is None) != (high is None):
            raise CatalogError("low and high go together", loc)
        if low is not None and high is not None and not low <= value <= high:
            raise CatalogError("needs low <= value <= high", loc)
        unit = raw.get("unit", old.unit if old else None)
        if not isinstance(unit, str):
            raise CatalogError("needs a unit", (*loc, "unit"))
        entries[key] = CatalogEntry(
            key=key,
            value=value,
            unit=unit,
            source=str(raw.get("source", f"{origin}")),
            as_of=str(raw.get("as_of", old.as_of if old else "")),
            estimate=estimate,
            minimum=minimum,
            maximum=maximum,
            low=low,
            high=high,
        )

    venues = {v.id: v for v in base.venues} if base else {}
    for vid, raw in data.get("venues", {}).items():
        venues[vid] = Venue(
            id=vid,
            name=str(raw.get("name", vid)),
            outdoor=bool(raw.get("outdoor")),
            risk=str(raw.get("risk", "")),
        )
    platforms = {p.id: p for p in base.platforms} if base else {}
    for pid, raw in data.get("platforms", {}).items():
        try:
            kind = PlatformKind(raw.get("kind", "webinar"))
        except ValueError:
            raise CatalogError(
                "kind must be meeting, webinar or stream", ("platforms", pid, "kind")
            ) from None
        platforms[pid] = Platform(
            id=pid,
            name=str(raw.get("name", pid)),
            kind=kind,
            through_sales=bool(raw.get("through_sales")),
        )
    roles = dict(base.roles) if base else {}
    for name, raw in data.get("roles", {}).items():
        try:
            role, payer = Role(name), Payer(raw.get("payer", "participants"))
        except ValueError:
            raise CatalogError(
                "unknown role or payer in the role {role}", ("roles", name), role=name
            ) from None
        roles[role] = RoleRule(
            role=role,
            label=str(raw.get("label", name)),
            per_diem=bool(raw.get("per_diem", True)),
            payer=payer,
        )

    for vid in venues:
        for part in ("capacity", "rent"):
            _require(entries, f"venue.{vid}.{part}", ("venues", vid))
    for pid, p in platforms.items():
        _require(entries, f"platform.{pid}.price", ("platforms", pid))
        if not p.unlimited:
            _require(entries, f"platform.{pid}.cap", ("platforms", pid))
    missing_roles = set(Role) - set(roles)
    if missing_roles:
        raise CatalogError(
            "missing roles {roles}", ("roles",), roles=", ".join(sorted(missing_roles))
        )
    version = data.get("version", base.version if base else None)
    if not isinstance(version, str) or not version:
        raise CatalogError("a catalog needs a version string", ("version",))
    return Catalog(
        version=version,
        entries=MappingProxyType(entries),
        venues=tuple(sorted(venues.values(), key=lambda v: v.id)),
        platforms=tuple(sorted(platforms.values(), key=lambda p: p.id)),
        roles=MappingProxyType(roles),
    )


def _require(entries: Mapping[str, CatalogEntry], key: str, loc: Loc) -> None:
    if key not in entries:
        raise CatalogError("needs catalog entry {key}", loc, key=key)


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        # Decimal keeps 16.99 exact, so rupiah rounding happens only once, on purpose.
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            "{origin}: {error}", ("catalog",), origin=origin, error=str(exc)
        ) from None


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with the package (``planner/data/catalog.toml``)."""
    text = resources.files("planner").joinpath("data/catalog.toml").read_text("utf-8")
    catalog = _parse(_read_toml(text, "catalog.toml"), None, "catalog.toml")
    for key in (FX_KEY,):
        _require(catalog.entries, key, ("entries",))
    return catalog


def parse_catalog(text: str, origin: str = "custom catalog") -> Catalog:
    """Parse a catalog from TOML text.

    With ``base = "default"`` the file only lists what it changes or adds; without
    it the file must be a complete catalog.
    """
    data = _read_toml(text, origin)
    base_name = data.get("base")
    if base_name not in (None, "default"):
        raise CatalogError('base must be "default" or absent', ("base",))
    base = default_catalog() if base_name == "default" else None
    catalog = _parse(data, base, origin)
    _require(catalog.entries, FX_KEY, ("entries",))
    return catalog


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load a catalog file, or the packaged default when ``path`` is None."""
    if path is None:
        return default_catalog()
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise CatalogError(
            "cannot read {path}: {error}", ("catalog",), path=str(p), error=exc.strerror or ""
        ) from None
    return parse_catalog(text, p.name)
