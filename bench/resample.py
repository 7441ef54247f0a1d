"""Resampling-on-read benchmark: 1,000-candle 1h pages built from stored 1m through `cl3 api`.

Loads `--days` of BTCUSDT 1m (the sandbox's candles, its exchange outages included) into a
fresh store through the product's store layer, starts `cl3 api` as a process on it, and times
`GET /api/market-data/BTCUSDT/1m?resample=1h&limit=1000&start=<random>` on one kept-alive
connection: p50/p99 over `--requests` pages at random offsets (each reads 60,000 stored
candles). Every page is checked: 1,000 candles, each the aggregate of its 60 sources. Also
times the same pages in `tz=Asia/Kolkata` (buckets at hh:30 UTC) and plain 1,000-candle 1h
pages read from a stored 1h series for comparison. Target: p50 <= 60 ms on SQLite.

    python bench/resample.py [--backend sqlite|mongodb] [--days 365] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, kline_to_row, open_stores
from cl3_sandbox.exchange import expected_klines

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_672_531_200_000  # 2023-01-01
MINUTE, HOUR = 60_000, 3_600_000
SECRET = "bench-resample-secret-with-32-bytes-or-more"
CHUNK = 100_000


def load(settings: Settings, days: int) -> int:
    """`days` of 1m and of 1h BTCUSDT, as the sandbox exchange serves them."""
    stores = open_stores(settings)
    total = 0
    try:
        end = START_MS + days * 1440 * MINUTE
        for interval, step in (("1m", MINUTE), ("1h", HOUR)):
            for begin in range(START_MS, end, CHUNK * step):
                stop = min(end, begin + CHUNK * step)
                raw = expected_klines("BTCUSDT", interval, begin, stop - 1, now_ms=stop + 10**12)
                total += stores.candles.insert(SeriesKey("BTCUSDT", interval),
                                               [kline_to_row(r) for r in raw])  # fmt: skip
    finally:
        stores.close()
    return total


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def timed(http: requests.Session, base: str, days: int, n: int, query: dict[str, Any],
          source: str = "1m") -> list[float]:  # fmt: skip
    rng = random.Random(n)
    hours = days * 24 - 1000 - 2
    samples = []
    for _ in range(n):
        start = START_MS + rng.randrange(hours) * HOUR
        began = time.perf_counter()
        response = http.get(
            f"{base}/api/market-data/BTCUSDT/{source}",
            params={"start": start, "limit": 1000, **query},
            timeout=60,
        )
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        check(response.json(), source, query)
    return samples


def check(page: dict[str, Any], source: str, query: dict[str, Any]) -> None:
    candles = page["candles"]
    if not 990 <= len(candles) <= 1000:  # an hour the exchange had no candle at all is a gap
        raise RuntimeError(f"{len(candles)} candles, expected 1000")
    if source == "1m":  # a bucket without 60 sources must say so
        bad = [c for c in candles if c["complete"] != (c["sources"] == 60)]
        if bad:
            raise RuntimeError(f"bucket flags wrong: {bad[0]}")


def measure(env: dict[str, str], days: int, n: int, home: Path) -> dict[str, tuple[float, float]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, tuple[float, float]] = {}
    with ProcessGroup({**os.environ, **env}, home / "logs") as procs:
        api = procs.start("api", "api", "--port", str(port))
        procs.wait_http(f"{base}/health", api, timeout_s=120)
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + _token()
        timed(http, base, days, 20, {"resample": "1h"})  # warm the connection and the caches
        out["1m -> 1h"] = percentiles(timed(http, base, days, n, {"resample": "1h"}))
        kolkata = {"resample": "1h", "tz": "Asia/Kolkata"}
        out["1m -> 1h, tz=Asia/Kolkata"] = percentiles(timed(http, base, days, n, kolkata))
        out["stored 1h (no resample)"] = percentiles(timed(http, base, days, n, {}, "1h"))
    return out


def _token() -> str:
    from cl3_sandbox.supabase import mint_token

    return mint_token("bench", "enterprise", secret=SECRET)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "mongodb"], default="sqlite")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the SQLite file of a last run")
    args = parser.parse_args()
    if args.requests < 200:
        parser.error("--requests: at least 200 for a meaningful p99")
    home = ROOT / ".cl3" / f"bench-resample-{args.backend}"
    services = LocalServices(home, redis_port=free_port(), mongo_port=37031,
                             tools_dir=ROOT / ".cl3" / "tools")  # fmt: skip
    which = ("redis", "mongo") if args.backend == "mongodb" else ("redis",)
    services.up(log=lambda m: None, which=which)
    path = home / "data" / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm") if not args.reuse else ():
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    unlimited = json.dumps({"enterprise": {"requests_per_minute": 10_000_000}})
    env = {"REDIS_URL": services.redis_url, "STORE_BACKEND": args.backend,
           "SQLITE_PATH": str(path), "MONGODB_URI": services.mongodb_uri,
           "MONGODB_DB": f"bench_resample_{int(time.time())}", "SUPABASE_JWT_SECRET": SECRET,
           "TIER_LIMITS": unlimited}  # fmt: skip
    try:
        if not args.reuse:
            began = time.perf_counter()
            total = load(Settings.from_env(env), args.days)
            print(f"loaded {total:,} candles in {time.perf_counter() - began:.1f} s")
        results = measure(env, args.days, args.requests, home)
    finally:
        services.down(log=lambda m: None, which=which)
    print(f"\n{args.backend}: 1,000-candle 1h pages via cl3 api, {args.requests} requests each")
    for label, (p50, p99) in results.items():
        print(f"  {label:<28} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()
