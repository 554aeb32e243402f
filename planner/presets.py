"""Attendance presets built from the region data."""

from __future__ import annotations

from planner.demand import MAX_PARTICIPANTS, largest_remainder
from planner.errors import InvalidInputError
from planner.model import AttendeeGroup, Role
from planner.regions import KUKAR, TENGGARONG_DISTRICT, VILLAGE_LEVELS, ancestor, regions


def _check(**values: int) -> None:
    for name, value in values.items():
        if not 0 <= value <= MAX_PARTICIPANTS:
            raise InvalidInputError("must be between 0 and {most}", (name,), most=MAX_PARTICIPANTS)


def _at_most_the_largest(groups: list[AttendeeGroup], name: str) -> None:
    total = sum(g.count for g in groups)
    if total > MAX_PARTICIPANTS:
        raise InvalidInputError(
            "gives {total} participants; the planner prices at most {most}",
            (name,),
            total=total,
            most=MAX_PARTICIPANTS,
        )


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
    _at_most_the_largest(groups, "delegates_per_cooperative")
    return tuple(groups)


def national(
    participants: int | None = None,
    delegates_per_cooperative: int = 1,
    regency_officials: int = 10,
    province_officials: int = 20,
) -> tuple[AttendeeGroup, ...]:
    """Every village's cooperative, plus officials of every regency/city and province.

    With ``participants``, the officials stay as given and the cooperative delegates
    are spread over the 83,762 villages so that the total is exactly ``participants``: each
    province gets its share of them by its number of villages (largest remainder), and within
    a province they are spread evenly over its villages in code order.
    """
    _check(
        delegates_per_cooperative=delegates_per_cooperative,
        regency_officials=regency_officials,
        province_officials=province_officials,
    )
    if participants is not None and not 1 <= participants <= MAX_PARTICIPANTS:
        raise InvalidInputError(
            "must be between 1 and {most}", ("participants",), most=MAX_PARTICIPANTS
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
                "must be at least the {officials} officials in the preset",
                ("participants",),
                officials=officials,
            )
        per_village = _spread(villages, participants - officials)
    groups = [
        AttendeeGroup(n, code, Role.DELEGATE)
        for code, n in zip(villages, per_village, strict=True)
        if n
    ]
    groups += [AttendeeGroup(regency_officials, c, Role.OFFICIAL) for c in regencies]
    groups += [AttendeeGroup(province_officials, c, Role.OFFICIAL) for c in provinces]
    _at_most_the_largest(groups, "delegates_per_cooperative")
    return tuple(g for g in groups if g.count)


def _spread(villages: list[str], delegates: int) -> list[int]:
    """`delegates` over `villages` (in code order): to each province its share by its number
    of villages, by largest remainder, then evenly over its villages, so that any total gives
    every province and each part of it its fair part."""
    by_province: dict[str, list[int]] = {}
    for index, code in enumerate(villages):
        by_province.setdefault(ancestor(code, "province"), []).append(index)
    members = list(by_province.values())
    per_village = [0] * len(villages)
    for indexes, share in zip(
        members, largest_remainder([len(m) for m in members], delegates), strict=True
    ):
        size = len(indexes)
        for i, index in enumerate(indexes):
            # Village i of n gets the delegates between i/n and (i+1)/n of the share: whole
            # numbers that sum to the share and differ by at most one, spread evenly.
            per_village[index] = (i + 1) * share // size - i * share // size
    return per_village


def scale(groups: tuple[AttendeeGroup, ...], participants: int) -> tuple[AttendeeGroup, ...]:
    """The same mix of groups scaled to ``participants`` in total (largest remainder)."""
    if not 1 <= participants <= MAX_PARTICIPANTS:
        raise InvalidInputError(
            "must be between 1 and {most}", ("participants",), most=MAX_PARTICIPANTS
        )
    if sum(g.count for g in groups) == 0:
        raise InvalidInputError("the groups are empty", ("groups",))
    shares = largest_remainder([g.count for g in groups], participants)
    return tuple(
        AttendeeGroup(n, g.origin, g.role, g.label)
        for g, n in zip(groups, shares, strict=True)
        if n
    )
