"""Time the launch planner against its targets: ``python bench/bench_planner.py``.

Each figure is the median of N warm runs (region data already loaded and cached);
the one-off cost of loading the data files is printed separately.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from planner import Event, PlanRequest, compare, presets, run_sensitivity
from planner.regions import access, kukar_points, regions

EVENT = Event(dt.date(2025, 7, 21), Decimal(3))


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    regions(), kukar_points(), access()
    load_ms = (time.perf_counter() - start) * 1000

    kukar = PlanRequest(groups=presets.kukar(), event=EVENT)
    national_groups = presets.national(participants=100_000)
    national = PlanRequest(groups=national_groups, event=EVENT)
    sens = PlanRequest(groups=presets.kukar(), event=EVENT, draws=10_000, seed=1)
    compare(kukar)  # warm the per-process caches (hub sites, distances)

    rows = [
        (
            "Kukar comparison (1,008 people, 3 formats, 1,000 draws)",
            median_ms(lambda: compare(kukar), 50),
            20,
        ),
        (
            "National comparison (100,000 people, 83,762 villages -> hubs)",
            median_ms(lambda: compare(national), 7),
            1000,
        ),
        (
            "National preset build + comparison",
            median_ms(
                lambda: compare(
                    PlanRequest(groups=presets.national(participants=100_000), event=EVENT)
                ),
                5,
            ),
            None,
        ),
        (
            "Sensitivity, 10,000 draws (Kukar, all formats)",
            median_ms(lambda: run_sensitivity(sens), 20),
            300,
        ),
    ]
    print(f"data files loaded once in {load_ms:.0f} ms\n")
    print(f"{'case':64} {'median':>10} {'target':>10}  ok")
    for name, ms, target in rows:
        tgt = f"{target} ms" if target else "-"
        ok = "" if target is None else ("yes" if ms < target else "NO")
        print(f"{name:64} {ms:8.1f} ms {tgt:>10}  {ok}")


if __name__ == "__main__":
    main()
