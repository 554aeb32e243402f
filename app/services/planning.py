"""The only module that knows both the API schemas and the planner library.

The planner writes its sentences as `planner.Text`: the API says them in English (`str`), the
web app in the page's language (`app.web.i18n.say`), and a saved plan keeps them as data
(`comparison_to_keep`), to be said in the language of whoever reads it later.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.errors import Invalid
from app.models.planner import CatalogOut, LaunchComparisonIn, LaunchComparisonOut
from planner import (
    AttendeeGroup,
    Comparison,
    Event,
    PlannerError,
    PlanRequest,
    Say,
    Text,
    TravelOverride,
    compare,
    default_catalog,
    presets,
    render_chart,
    to_jsonable,
)


def _to_request(body: LaunchComparisonIn) -> tuple[PlanRequest, int]:
    """The planner request, and how many leading groups came from the preset."""
    preset_groups: tuple[AttendeeGroup, ...] = ()
    if body.preset == "kukar":
        preset_groups = presets.kukar(
            delegates_per_cooperative=3
            if body.delegates_per_cooperative is None
            else body.delegates_per_cooperative
        )
        if body.participants is not None:
            preset_groups = presets.scale(preset_groups, body.participants)
    elif body.preset == "national":
        preset_groups = presets.national(
            participants=body.participants,
            delegates_per_cooperative=1
            if body.delegates_per_cooperative is None
            else body.delegates_per_cooperative,
        )
    own = tuple(AttendeeGroup(g.count, g.origin, g.role, g.label) for g in body.groups)
    request = PlanRequest(
        groups=preset_groups + own,
        event=Event(body.event.date, body.event.hours, body.event.arrive_day_before),
        overrides=dict(body.overrides),
        travel_overrides={
            code: TravelOverride(o.hours, o.road_km, o.boat_legs, o.local_speed_kmh)
            for code, o in body.travel_overrides.items()
        },
        payers=dict(body.payers),
        no_signal=tuple(body.no_signal) if body.no_signal is not None else None,
        no_signal_policy=body.no_signal_policy,
        stream_fanout=body.stream_fanout,
        interactive_seats=body.interactive_seats,
        office_pays_data=body.office_pays_data,
        hub_level=body.hub_level,
        platforms=tuple(body.platforms) if body.platforms is not None else None,
        budget_ceiling=body.budget_ceiling,
        seed=body.seed,
        draws=body.draws,
    )
    return request, len(preset_groups)


def _invalid(exc: PlannerError, preset_len: int) -> Invalid:
    loc: list[str | int] = list(exc.loc)
    # The planner counts preset groups first; the client only sees its own groups.
    if len(loc) >= 2 and loc[0] == "groups" and isinstance(group := loc[1], int):
        if group < preset_len:
            loc = ["preset"]
        else:
            loc[1] = group - preset_len
    return Invalid.field(["body", *loc], exc.text.message, "planner_error", params=exc.text.params)


def _run(body: LaunchComparisonIn) -> Comparison:
    request, preset_len = _to_request(body)
    try:
        return compare(request)
    except PlannerError as exc:
        raise _invalid(exc, preset_len) from exc


async def _compared(body: LaunchComparisonIn) -> Comparison:
    try:
        # CPU-bound (up to ~0.5 s for the national preset): keep it off the event loop.
        return await run_in_threadpool(_run, body)
    except PlannerError as exc:  # raised while building a preset
        raise _invalid(exc, 0) from exc


def _data(inputs: Any, result: Comparison, say: Callable[[Text], Any]) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(result, say)
    data["inputs"] = inputs
    del data["request"]
    return data


async def compare_launch(body: LaunchComparisonIn, say: Say = str) -> LaunchComparisonOut:
    """The three formats compared, their texts said by `say` (English unless told)."""
    return LaunchComparisonOut.model_validate(_data(body, await _compared(body), say))


async def comparison_to_keep(body: LaunchComparisonIn) -> dict[str, Any]:
    """The comparison as `compare_launch` gives it in JSON, with its texts kept as data
    (`planner.rendered` says them in any language later)."""
    return _data(body.model_dump(mode="json"), await _compared(body), Text.stored)


async def launch_chart_svg(body: LaunchComparisonIn) -> bytes:
    def work() -> bytes:
        return render_chart(_run(body), "svg")

    try:
        return await run_in_threadpool(work)
    except PlannerError as exc:
        raise _invalid(exc, 0) from exc


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def get_catalog() -> CatalogOut:
    catalog = default_catalog()
    return CatalogOut(
        version=catalog.version,
        digest=catalog.digest,
        entries=[
            {
                "key": e.key,
                "value": _dec(e.value),
                "unit": e.unit,
                "source": e.source,
                "as_of": e.as_of,
                "estimate": e.estimate,
                "minimum": _dec(e.minimum),
                "maximum": _dec(e.maximum),
                "low": _dec(e.low),
                "high": _dec(e.high),
            }
            for e in catalog.entries.values()
        ],
        venues=[{"id": v.id, "name": v.name, "outdoor": v.outdoor} for v in catalog.venues],
        platforms=[{"id": p.id, "name": p.name, "kind": p.kind.value} for p in catalog.platforms],
        roles=[
            {"role": r.role.value, "label": r.label, "per_diem": r.per_diem, "payer": r.payer.value}
            for r in catalog.roles.values()
        ],
    )
