"""Cost-versus-attendance chart, drawn without pyplot so no global state leaks."""

from __future__ import annotations

import io

from planner.compare import LABELS
from planner.model import Comparison, Format

_STYLE = {
    Format.OFFLINE_CENTRAL: ("#c0392b", "o"),
    Format.ONLINE: ("#2471a3", "s"),
    Format.HYBRID_HUBS: ("#1e8449", "^"),
}


def render_chart(comparison: Comparison, image_format: str = "svg") -> bytes:
    """An SVG or PNG of each format's total cost over attendance, break-evens marked."""
    if image_format not in ("svg", "png"):
        raise ValueError("image_format must be 'svg' or 'png'")
    # Imported here: matplotlib is slow to import and only the chart needs it.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    scale, unit = (
        (1e9, "billion")
        if max(max(p.totals.values()) for p in comparison.curve) >= 5e9
        else (1e6, "million")
    )
    xs = [p.attendance for p in comparison.curve]
    for fmt in Format:
        color, marker = _STYLE[fmt]
        ys = [p.totals[fmt] / scale for p in comparison.curve]
        ax.plot(xs, ys, color=color, linewidth=1.8, label=str(LABELS[fmt]))
        bad = [
            (x, y) for x, y, p in zip(xs, ys, comparison.curve, strict=True) if not p.feasible[fmt]
        ]
        if bad:
            bad_xs, bad_ys = zip(*bad, strict=True)
            ax.scatter(
                bad_xs,
                bad_ys,
                facecolors="none",
                edgecolors=color,
                marker=marker,
                s=28,
                label=f"{LABELS[fmt]} (infeasible)",
            )
    for be in comparison.break_evens:
        ax.scatter([be.attendance], [be.cost / scale], color="black", marker="x", s=50, zorder=5)
        ax.annotate(
            f"{be.attendance:,}",
            (be.attendance, be.cost / scale),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=8,
        )
    ax.axvline(comparison.participants, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("attendance (people)")
    ax.set_ylabel(f"total cost (Rp {unit})")
    ax.set_title(
        f"Launch cost by format (catalog {comparison.catalog_version}; x = break-even)", fontsize=10
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    # No date in the metadata and a fixed id salt, so the same comparison gives the
    # same bytes; rc_context restores matplotlib's settings afterwards.
    meta = {"Date": None} if image_format == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "kopdes-planner"}):
        fig.savefig(buf, format=image_format, metadata=meta)
    return buf.getvalue()
