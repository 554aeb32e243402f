"""Attendance presets built from the region data."""

from __future__ import annotations

from planner.errors import InvalidInputError
from planner.model import AttendeeGroup, Role
from planner.regions import KUKAR, TENGGARONG_DISTRICT, VILLAGE_LEVELS, regions


def _check(**values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise InvalidInputError("must not be negative", (name,))


def kukar(
    delegates_per_cooperative: int = 3, regency_officials: int = 30, press: int = 10
) -> tuple[AttendeeGroup, ...]:
    """Kutai Kartanegara: delegates of its 237 cooperatives, the 237 village heads,
    the 20 camat, regency officials and press (the last two from Tenggarong)."""
    _check(
        delegates_per_cooperative=delegates_per_cooperative,
        regency_officials=regency_officials,
        press=press,
    )
    groups: list[AttendeeGroup] = []
    prefix = KUKAR + "."
    for code, r in regions().items():
        if not code.startswith(prefix):
            continue
        if r.level in VILLAGE_LEVELS:
            groups.append(AttendeeGroup(delegates_per_cooperative, code, Role.DELEGATE, r.name))
            groups.append(AttendeeGroup(1, code, Role.VILLAGE_HEAD, r.name))
        elif r.level == "district":
            groups.append(AttendeeGroup(1, code, Role.OFFICIAL, f"camat {r.name}"))
    groups.append(
        AttendeeGroup(regency_officials, TENGGARONG_DISTRICT, Role.OFFICIAL, "regency officials")
    )
    groups.append(AttendeeGroup(press, TENGGARONG_DISTRICT, Role.PRESS, "press"))
    return tuple(groups)


def national(
    participants: int | None = None,
    delegates_per_cooperative: int = 1,
    regency_officials: int = 10,
    province_officials: int = 20,
) -> tuple[AttendeeGroup, ...]:
    """Every village's cooperative, plus officials of every regency/city and province.

    With ``participants``, the officials stay as given and the cooperative delegates
    are spread over the 83,762 villages so that the total is exactly ``participants``.
    """
    _check(
        delegates_per_cooperative=delegates_per_cooperative,
        regency_officials=regency_officials,
        province_officials=province_officials,
    )
    all_regions = regions()
    villages = [c for c, r in all_regions.items() if r.level in VILLAGE_LEVELS]
    regencies = [c for c, r in all_regions.items() if r.level == "regency"]
    provinces = [c for c, r in all_regions.items() if r.level == "province"]
    officials = regency_officials * len(regencies) + province_officials * len(provinces)
    if participants is None:
        per_village = [delegates_per_cooperative] * len(villages)
    else:
        if participants < officials:
            raise InvalidInputError(
                f"must be at least the {officials:,} officials in the preset", ("participants",)
            )
        base, extra = divmod(participants - officials, len(villages))
        # The first `extra` villages in code order get one more delegate.
        per_village = [base + (i < extra) for i in range(len(villages))]
    groups = [
        AttendeeGroup(n, code, Role.DELEGATE)
        for code, n in zip(villages, per_village, strict=True)
        if n
    ]
    groups += [AttendeeGroup(regency_officials, c, Role.OFFICIAL) for c in regencies]
    groups += [AttendeeGroup(province_officials, c, Role.OFFICIAL) for c in provinces]
    return tuple(g for g in groups if g.count)


def scale(groups: tuple[AttendeeGroup, ...], participants: int) -> tuple[AttendeeGroup, ...]:
    """The same mix of groups scaled to ``participants`` in total (largest remainder)."""
    if participants < 1:
        raise InvalidInputError("must be at least 1", ("participants",))
    total = sum(g.count for g in groups)
    if total == 0:
        raise InvalidInputError("the groups are empty", ("groups",))
    shares = [g.count * participants // total for g in groups]
    rest = participants - sum(shares)
    order = sorted(range(len(groups)), key=lambda i: (-(groups[i].count * participants % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return tuple(
        AttendeeGroup(n, g.origin, g.role, g.label)
        for g, n in zip(groups, shares, strict=True)
        if n
    )
