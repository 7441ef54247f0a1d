"""Compute time and peak memory of the seasonality analysis on 1,000,000 synthetic 1m candles.

    python bench/seasonality_compute.py [--candles N] [--seed S]

Prints wall time and tracemalloc peak per stage (each stage run on its own, in the order
`analyze` runs them), then the whole `analyze` call, then the process's max RSS. Timings are
taken without tracemalloc (it slows allocation-heavy code); memory in a second pass with it.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

T_IMPORT = time.perf_counter()
from cl3_worker.analytics import AnalysisParams, analyze, render_heatmap_png  # noqa: E402
from cl3_worker.analytics.adf import adf_test  # noqa: E402
from cl3_worker.analytics.backtest import backtest  # noqa: E402
from cl3_worker.analytics.calendar import (  # noqa: E402
    calendar_profiles,
    find_patterns,
    weekday_hour_means,
)
from cl3_worker.analytics.engine import series_arrays  # noqa: E402
from cl3_worker.analytics.intervals import periods_per_year  # noqa: E402
from cl3_worker.analytics.jsonsafe import jsonable  # noqa: E402
from cl3_worker.analytics.meanrev import half_life, hurst, positions, zscores  # noqa: E402
from cl3_worker.analytics.returns import log_returns  # noqa: E402
from cl3_worker.analytics.sma import sma_crossover  # noqa: E402

IMPORT_S = time.perf_counter() - T_IMPORT


def synthetic(n: int, seed: int) -> pd.DataFrame:
    """A 1m random walk with a few exchange-style gaps, shaped like stored candles."""
    rng = np.random.default_rng(seed)
    start = 1_600_000_020_000 // 60_000 * 60_000
    steps = np.ones(n, dtype=np.int64)
    steps[rng.choice(n, size=n // 10_000, replace=False)] = 5  # sparse gaps of 4 candles
    steps[0] = 0
    open_time = start + 60_000 * np.cumsum(steps)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    return pd.DataFrame(
        {"open_time": open_time, "close": close, "volume": rng.random(n)}  # extra column ignored
    )


def measure(fn: Callable[[], Any], memory: bool) -> tuple[float, float, Any]:
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return elapsed, peak, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candles", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    df = synthetic(args.candles, args.seed)
    params = AnalysisParams()
    interval = "1m"
    ppy = periods_per_year(interval)
    ctx: dict[str, Any] = {}

    stages: list[tuple[str, Callable[[], Any]]] = [
        ("prepare (frame -> arrays)", lambda: ctx.update(arr=series_arrays(df))),
        ("returns", lambda: ctx.update(r=log_returns(*ctx["arr"], interval))),
        (
            "calendar profiles",
            lambda: ctx.update(cal=calendar_profiles(ctx["arr"][0], ctx["r"], interval)),
        ),
        ("patterns", lambda: find_patterns(ctx["cal"], params.alpha)),
        (
            "sma crossover (+forward, backtest)",
            lambda: sma_crossover(
                ctx["arr"][0],
                ctx["arr"][1],
                ctx["r"],
                fast=params.fast,
                slow=params.slow,
                horizon=params.resolved_horizon,
                periods_per_year=ppy,
            ),
        ),
        ("meanrev z-scores", lambda: ctx.update(z=zscores(ctx["arr"][1], params.window))),
        (
            "meanrev positions",
            lambda: ctx.update(pos=positions(ctx["z"], params.entry_z, params.exit_z)),
        ),
        ("meanrev backtest", lambda: backtest(ctx["pos"], ctx["r"], params.window - 1, ppy)),
        ("half-life", lambda: half_life(ctx["r"], ctx["arr"][1])),
        ("hurst", lambda: hurst(np.log(ctx["arr"][1]))),
        ("adf (autolag AIC, maxlag 120)", lambda: adf_test(np.log(ctx["arr"][1]))),
        ("heatmap matrix", lambda: weekday_hour_means(ctx["arr"][0], ctx["r"])),
        ("json-safe conversion", lambda: jsonable(ctx["cal"])),
    ]

    def run_analyze() -> dict[str, Any]:
        return analyze(
            df,
            symbol="SYNTHUSDT",
            interval=interval,
            params=params,
            start_ms=None,
            end_ms=None,
            now_ms=0,
        )

    run_analyze()  # warm-up: first-call costs (lazy imports inside pandas/scipy) are not compute

    print(f"candles: {args.candles:,}  interval: {interval}  import of analytics: {IMPORT_S:.2f} s")
    print(f"{'stage':40s} {'time (s)':>9s} {'peak (MiB)':>11s}")
    timings = [measure(fn, memory=False)[0] for _, fn in stages]
    peaks = [measure(fn, memory=True)[1] for _, fn in stages]
    for (name, _), t, peak in zip(stages, timings, peaks, strict=True):
        print(f"{name:40s} {t:9.3f} {peak:11.1f}")
    print(f"{'sum of stages':40s} {sum(timings):9.3f}")

    # Shared CPUs make single timings noisy: report the best and the median of a few runs.
    runs = sorted(measure(run_analyze, memory=False)[0] for _ in range(args.repeat))
    _, peak_total, doc = measure(run_analyze, memory=True)
    label = f"analyze() end to end (best of {args.repeat})"
    print(f"{label:40s} {runs[0]:9.3f} {peak_total:11.1f}")
    print(f"{'analyze() end to end (median)':40s} {runs[len(runs) // 2]:9.3f}")
    t_first, _, png = measure(lambda: render_heatmap_png(doc, "SYNTHUSDT 1m"), memory=False)
    t_png, peak_png, png = measure(lambda: render_heatmap_png(doc, "SYNTHUSDT 1m"), memory=True)
    label = "render_heatmap_png (not in analyze)"
    note = f"({len(png):,} bytes; first call {t_first:.2f} s)"
    print(f"{label:40s} {t_png:9.3f} {peak_png:11.1f}  {note}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process max RSS: {rss:.0f} MiB (includes the input frame and library code)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
