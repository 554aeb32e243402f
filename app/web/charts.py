"""The geometry of the morning table's SK AHU chart, drawn as SVG by its template
(`parts/sk_ahu_chart.html`): no script, so it shows without JavaScript and prints."""

from dataclasses import dataclass
from typing import Any

from app.models.target import SkAhuProgress

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 36  # room for the axis labels
# About ten day labels, whatever the period's length.
DAY_LABELS = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    at: float
    value: int  # a count (y) or a day of the month (x)


@dataclass(frozen=True)
class SkAhuChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    bars: list[Bar]  # one per day: SK AHU issued by the end of it
    pace: str  # SVG polyline points: an even pace from 0 to the target
    target_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def sk_ahu_chart(progress: SkAhuProgress) -> SkAhuChart:
    days = progress.days
    target = progress.target.target
    top_value = max(target, progress.issued, 1)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    slot = (right - LEFT) / len(days)

    def y_of(value: int) -> float:
        return round(bottom - (bottom - TOP) * value / top_value, 1)

    bars = [
        Bar(
            x=round(LEFT + slot * index + slot * 0.15, 1),
            y=y_of(day.cumulative),
            width=round(slot * 0.7, 1),
            height=round(bottom - y_of(day.cumulative), 1),
        )
        for index, day in enumerate(days)
    ]
    pace = " ".join(
        [f"{LEFT},{bottom}"]
        + [f"{round(LEFT + slot * (i + 1), 1)},{y_of(day.planned)}" for i, day in enumerate(days)]
    )
    every = max(1, round(len(days) / DAY_LABELS))
    x_ticks = [
        Tick(at=round(LEFT + slot * (i + 0.5), 1), value=day.day.day)
        for i, day in enumerate(days)
        if i % every == 0
    ]
    y_ticks = [Tick(at=y_of(value), value=value) for value in (0, top_value // 2, top_value)]
    return SkAhuChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        bars=bars,
        pace=pace,
        target_y=y_of(target),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )


@dataclass(frozen=True)
class CostLine:
    format: str
    points: str  # SVG polyline points
    last_x: float
    last_y: float


@dataclass(frozen=True)
class CostChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    lines: list[CostLine]
    y_ticks: list[Tick]  # values in millions of rupiah
    x_ticks: list[Tick]  # attendance
    marks: list[Tick]  # break-evens, at their attendance


def cost_chart(result: dict[str, Any]) -> CostChart:
    """Each format's total cost over attendance (the planner's curve), on a square-root scale
    of attendance so that a few dozen and a hundred thousand both show; break-evens marked."""
    curve = result["curve"]
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    most = max(point["attendance"] for point in curve) or 1
    top_value = max(max(point["totals"].values()) for point in curve) or 1

    def x_of(attendance: float) -> float:
        return round(LEFT + (right - LEFT) * (attendance / most) ** 0.5, 1)

    def y_of(rupiah: float) -> float:
        return round(bottom - (bottom - TOP) * rupiah / top_value, 1)

    lines = []
    for name in curve[0]["totals"]:
        xy = [(x_of(p["attendance"]), y_of(p["totals"][name])) for p in curve]
        lines.append(
            CostLine(
                format=name,
                points=" ".join(f"{x},{y}" for x, y in xy),
                last_x=xy[-1][0],
                last_y=xy[-1][1],
            )
        )
    millions = top_value // 1_000_000
    y_ticks = [Tick(at=y_of(m * 1_000_000), value=m) for m in (0, millions // 2, millions)]
    x_ticks = [Tick(at=x_of(a), value=a) for a in sorted({1, most // 100, most // 10, most}) if a]
    marks = [Tick(at=x_of(b["attendance"]), value=b["attendance"]) for b in result["break_evens"]]
    return CostChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        lines=lines,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        marks=marks,
    )
