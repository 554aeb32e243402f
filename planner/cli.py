"""``kopdes plan``: compare launch formats from the command line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from planner import presets
from planner.catalog import load_catalog
from planner.chart import render_chart
from planner.compare import LABELS, compare
from planner.demand import MAX_BUDGET, MAX_DRAWS, MAX_PARTICIPANTS, MAX_SEED, MIN_EVENT_HOURS
from planner.errors import PlannerError
from planner.model import Comparison, Event, HubLevel, NoSignalPolicy, Payer, PlanRequest
from planner.money import format_idr
from planner.serialize import to_jsonable


class Preset(StrEnum):
    KUKAR = "kukar"
    NATIONAL = "national"


def _overrides(pairs: list[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            out[key.strip()] = Decimal(raw.strip())
        except InvalidOperation:
            raise typer.BadParameter(
                f"expected KEY=NUMBER, got {pair!r}", param_hint="--set"
            ) from None
    return out


def _table(c: Comparison) -> Table:
    t = Table(title=f"Launch comparison: {c.participants:,} participants", show_lines=True)
    for col in (
        "format",
        "total",
        "per person",
        "office",
        "cooperatives",
        "participants",
        "others",
        "of which per diem",
        "feasible",
        "travel h",
        "data GB",
    ):
        t.add_column(col, justify="left" if col in ("format", "feasible") else "right")
    for fmt, p in c.plans.items():
        ok = "yes" if p.feasible else "NO: " + "; ".join(v.constraint for v in p.violations)
        t.add_row(
            str(LABELS[fmt]),
            format_idr(p.total),
            format_idr(p.per_participant),
            *(format_idr(p.by_payer.get(payer, 0)) for payer in Payer),
            format_idr(sum(p.per_diem_by_payer.values())),
            ok,
            f"{p.travel_hours:,.0f}",
            f"{p.bandwidth.data_gb:,.0f}",
        )
    return t


def _lines(c: Comparison) -> Table | None:
    """The recommended format's cost lines, each with where its unit cost comes from."""
    if c.recommendation.format is None:
        return None
    t = Table(title=f"Cost lines: {LABELS[c.recommendation.format]}", show_lines=False)
    for col in ("item", "detail", "amount", "payer", "estimate", "as of", "source"):
        t.add_column(col, justify="right" if col == "amount" else "left")
    for line in c.plans[c.recommendation.format].lines:
        t.add_row(
            line.item.value,
            str(line.detail),
            format_idr(line.amount),
            line.payer.value,
            "estimate" if line.estimate else "",
            line.as_of,
            "; ".join(line.sources),
        )
    return t


def _print(c: Comparison, console: Console) -> None:
    console.print(_table(c))
    for fmt, p in c.plans.items():
        book = "; ".join(
            f"{b.name} x{b.quantity:,}" for b in p.bookings if b.kind in ("venue", "licence", "hub")
        )
        console.print(f"{LABELS[fmt]}, book: {book or 'nothing'}")
        for v in p.violations:
            console.print(f"[red]{LABELS[fmt]}: {v.constraint}: {v.message}[/red]")
        for note in p.notes:
            console.print(f"[dim]{LABELS[fmt]}: {note}[/dim]")
        for warning in p.warnings:
            console.print(f"[yellow]{LABELS[fmt]}: warning: {warning}[/yellow]")
    console.print()
    console.print("[bold]Recommendation[/bold]")
    console.print(c.recommendation.reason)
    console.print()
    lines = _lines(c)
    if lines is not None:
        console.print(lines)
    if c.break_evens:
        for b in c.break_evens:
            console.print(
                f"Break-even at {b.attendance:,} people: {LABELS[b.cheaper_below]} is "
                f"cheaper below, {LABELS[b.cheaper_from]} from there "
                f"({format_idr(b.cost)})."
            )
    else:
        console.print("No break-even between feasible formats from 1 to twice this attendance.")
    s = c.sensitivity
    st = Table(title=f"Sensitivity: {s.draws:,} draws, seed {s.seed}, {len(s.varied)} estimates")
    for col in ("format", "low", "P10", "P50", "base", "P90", "high", "cheapest in"):
        st.add_column(col, justify="left" if col == "format" else "right")
    for fmt, sp in s.spreads.items():
        st.add_row(
            str(LABELS[fmt]),
            *(format_idr(v) for v in (sp.low, sp.p10, sp.p50, sp.base, sp.p90, sp.high)),
            f"{s.cheapest_share[fmt]:.0%}",
        )
    console.print(st)
    console.print(
        f"[dim]catalog {c.catalog_version} (digest {c.catalog_digest}), "
        f"access data {c.access_version}[/dim]"
    )


def plan(
    preset: Annotated[Preset, typer.Option(help="Attendance preset.")] = Preset.KUKAR,
    participants: Annotated[
        int | None,
        typer.Option(
            min=1, max=MAX_PARTICIPANTS, help="Total attendance; the preset's mix is kept."
        ),
    ] = None,
    delegates: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_PARTICIPANTS,
            help="Delegates per cooperative (kukar 3, national 1 by default).",
        ),
    ] = None,
    hours: Annotated[
        float, typer.Option(min=float(MIN_EVENT_HOURS), max=24, help="Length of the event.")
    ] = 3.0,
    date: Annotated[str | None, typer.Option(help="Event date, YYYY-MM-DD.")] = None,
    arrive_day_before: Annotated[
        bool, typer.Option(help="Participants from outside Tenggarong arrive the day before.")
    ] = False,
    fanout: Annotated[
        bool, typer.Option(help="Allow a view-only stream (YouTube) for online participants.")
    ] = True,
    interactive_seats: Annotated[
        int,
        typer.Option(
            min=0, max=MAX_PARTICIPANTS, help="Seats in the interactive room when streaming."
        ),
    ] = 100,
    office_pays_data: Annotated[
        bool, typer.Option(help="The office pays online participants' data.")
    ] = False,
    hub_level: Annotated[
        HubLevel | None,
        typer.Option(help="Hub per district or per regency (default: district for one regency)."),
    ] = None,
    no_signal: Annotated[
        NoSignalPolicy, typer.Option(help="What happens to villages without signal when online.")
    ] = NoSignalPolicy.HUB,
    platform: Annotated[
        list[str] | None, typer.Option(help="Allow only these platform ids (repeatable).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a catalog entry, KEY=VALUE (repeatable)."),
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Catalog TOML file.")
    ] = None,
    budget_ceiling: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_BUDGET, help="The office's budget ceiling in rupiah."),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, max=MAX_SEED, help="Seed for the sensitivity draws.")
    ] = 0,
    draws: Annotated[int, typer.Option(min=1, max=MAX_DRAWS, help="Sensitivity draws.")] = 1000,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    chart: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write a cost-vs-attendance chart (.svg or .png)."),
    ] = None,
) -> None:
    """Compare a launch in one venue in Tenggarong, online, and as hub watch parties."""
    if chart is not None and chart.suffix.lower() not in (".svg", ".png"):
        raise typer.BadParameter("the chart file must end in .svg or .png", param_hint="--chart")
    try:
        event_date = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--date") from None
    try:
        if preset is Preset.KUKAR:
            per_coop = 3 if delegates is None else delegates
            groups = presets.kukar(delegates_per_cooperative=per_coop)
            if participants is not None:
                groups = presets.scale(groups, participants)
        else:
            per_coop = 1 if delegates is None else delegates
            groups = presets.national(participants=participants, delegates_per_cooperative=per_coop)
        request = PlanRequest(
            groups=groups,
            event=Event(event_date, Decimal(str(hours)), arrive_day_before),
            overrides=_overrides(set_ or []),
            no_signal_policy=no_signal,
            stream_fanout=fanout,
            interactive_seats=interactive_seats,
            office_pays_data=office_pays_data,
            hub_level=hub_level,
            platforms=tuple(platform) if platform else None,
            budget_ceiling=budget_ceiling,
            seed=seed,
            draws=draws,
        )
        result = compare(request, load_catalog(catalog))
    except PlannerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if chart is not None:
        chart.write_bytes(render_chart(result, chart.suffix.lower().lstrip(".")))
    if json_out:
        data = to_jsonable(result)
        # The request's groups can be 84,000 rows for the national preset; the
        # preset name and parameters reproduce them, so print a summary instead.
        data["request"]["groups"] = f"{len(groups)} groups from preset {preset.value}"
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print(result, Console(width=200))
