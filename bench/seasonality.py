"""Seasonality on N stored 1m candles: read, compute, render, store; and POST -> finished.

    python bench/seasonality.py [--candles 1000000] [--backend sqlite|mongodb]

Writes N synthetic 1m candles (a random walk with a few exchange gaps) through the store, then
  1. runs the job's stages in this process as `cl3_worker.jobs.analyze` does and prints wall
     time and peak Python memory (tracemalloc, second pass) of each:
        read     `CandleStore.columns` (the whole series as two numpy arrays)
        compute  `analyze` (the whole document)
        render   `render_heatmap_png`
        store    `AnalysisStore.save` (document + PNG)
  2. times what a user waits for: `POST /api/seasonality/analyze` to the task's `finished`,
     through `cl3 api` and a `cl3 worker` running as processes.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, Stores, open_stores
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import mint_token
from cl3_worker.analytics import AnalysisParams, analyze, render_heatmap_png
from cl3_worker.jobs.analyze import heatmap_title

ROOT = Path(__file__).resolve().parents[1]
KEY = SeriesKey("SYNTHUSDT", "1m")
STEP = 60_000
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
SECRET = "bench-seasonality-secret-with-32-bytes!!"
MiB = 2**20


def synthetic_rows(n: int, seed: int = 7) -> list[tuple]:
    rng = np.random.default_rng(seed)
    steps = np.ones(n, dtype=np.int64)
    steps[rng.choice(n, size=max(1, n // 10_000), replace=False)] = 5  # gaps of 4 candles
    steps[0] = 0
    times = (START_MS + STEP * np.cumsum(steps)).tolist()
    closes = np.round(30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n))), 2).tolist()
    return [(t, t + STEP - 1, c, c, c, c, 1.5, 1.5 * c, 10, 0.7, 0.7 * c)
            for t, c in zip(times, closes, strict=True)]  # fmt: skip


def measure(fn: Callable[[], Any], *, memory: bool) -> tuple[float, float, Any]:
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    began = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - began
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
    return elapsed, peak, out


def stages(stores: Stores, now_ms: int, *, memory: bool) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    t, m, cols = measure(lambda: stores.candles.columns(KEY), memory=memory)
    out["read"] = (t, m)
    import pandas as pd

    frame = pd.DataFrame({"open_time": cols[0], "close": cols[1]}, copy=False)
    params = AnalysisParams()
    t, m, doc = measure(lambda: analyze(frame, symbol=KEY.symbol, interval=KEY.interval,
                                        params=params, start_ms=None, end_ms=now_ms,
                                        now_ms=now_ms), memory=memory)  # fmt: skip
    out["compute"] = (t, m)
    t, m, png = measure(lambda: render_heatmap_png(doc, heatmap_title(doc)), memory=memory)
    out["render"] = (t, m)
    t, m, _ = measure(lambda: stores.analyses.save(KEY, doc, png), memory=memory)
    out["store"] = (t, m)
    return out


def post_to_finished(env: dict[str, str], home: Path) -> float:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        SandboxExchange(SandboxConfig(), port=0) as exchange,  # workers start with exchangeInfo
        ProcessGroup(
            {**os.environ, **env, "BINANCE_BASE_URL": exchange.url}, home / "logs"
        ) as procs,  # fmt: skip
    ):
        api = procs.start("api", "api", "--port", str(port))
        procs.start("worker", "worker", "cl3-analytics")
        procs.wait_http(f"{base}/health", api)
        time.sleep(1.0)
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + mint_token("bench", "enterprise",
                                                               secret=SECRET)  # fmt: skip
        began = time.perf_counter()
        body = {"symbol": KEY.symbol, "interval": KEY.interval}
        task = http.post(f"{base}/api/seasonality/analyze", json=body, timeout=30).json()["task_id"]
        while (progress := http.get(f"{base}/api/task/{task}/progress", timeout=10).json())[
            "status"
        ] not in ("finished", "failed"):
            time.sleep(0.02)
        elapsed = time.perf_counter() - began
    if progress["status"] != "finished":
        raise RuntimeError(f"analysis failed: {progress['error']}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candles", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "mongodb"], default="sqlite")
    args = parser.parse_args()
    home = ROOT / ".cl3" / f"bench-seasonality-{args.backend}"
    services = LocalServices(home, redis_port=free_port(), mongo_port=37030,
                             tools_dir=ROOT / ".cl3" / "tools")  # fmt: skip
    which = ("redis", "mongo") if args.backend == "mongodb" else ("redis",)
    services.up(log=lambda m: None, which=which)
    path = home / "data" / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    env = {"REDIS_URL": services.redis_url, "STORE_BACKEND": args.backend,
           "SQLITE_PATH": str(path), "MONGODB_URI": services.mongodb_uri,
           "MONGODB_DB": f"bench_{int(time.time())}", "SUPABASE_JWT_SECRET": SECRET}  # fmt: skip
    try:
        stores = open_stores(Settings.from_env(env))
        rows = synthetic_rows(args.candles)
        began = time.perf_counter()
        for i in range(0, len(rows), 50_000):
            stores.candles.insert(KEY, rows[i : i + 50_000])
        print(f"stored {args.candles:,} 1m candles ({args.backend}) in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        now_ms = rows[-1][0] + 10 * STEP
        timings = stages(stores, now_ms, memory=False)
        peaks = stages(stores, now_ms, memory=True)
        stores.close()
        for name, (seconds, _) in timings.items():
            print(f"  {name:<8} {seconds:8.3f} s   {peaks[name][1]:7.1f} MiB peak (tracemalloc)")
        core = sum(timings[s][0] for s in ("read", "compute", "store"))
        print(f"  read + compute + store {core:.3f} s (render adds {timings['render'][0]:.3f} s)")
        print(f"  process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
              "MiB")  # fmt: skip
        waited = post_to_finished(env, home)
        print(f"  POST /api/seasonality/analyze -> finished (cl3 api + cl3 worker): {waited:.2f} s")
    finally:
        services.down(log=lambda m: None, which=which)


if __name__ == "__main__":
    main()
