"""Store benchmark: what users wait for on a store holding real sizes, per backend.

Loads `--series` series (the first of `--first-series` candles, the others of `--per-series`;
by default 1,000,000 + 19 x 525,600 = 10,986,400 1m candles) through the product's store
(Binance kline rows in: the string-to-number conversion is part of the load), then starts
`cl3 api` as a process on that store and measures, on one kept-alive connection:
  - 5,000-candle and 100-candle pages at random offsets (p50/p99 over `--pages` each),
  - coverage of all series (p50 over 20 calls), and with `gaps=true` (every series' gaps
    with their cause, found by index counts), and of one series (gaps included by default),
and in this process the whole-series columnar read of the first series and the file size.

    python bench/store.py                                  # SQLite, ~11M candles
    python bench/store.py --backend mongodb --series 1 --first-series 525600 --pages 5
      (FerretDB: every read scans the collection, so the run is kept small)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, kline_to_row, open_stores
from cl3_sandbox.exchange import expected_klines
from cl3_sandbox.supabase import mint_token

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_640_995_200_000  # 2022-01-01
MINUTE = 60_000
SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"]
SECRET = "bench-store-secret-with-32-bytes-or-more!"
CHUNK = 50_000


def series_keys(n: int) -> list[SeriesKey]:
    intervals = ["1m"]  # one interval per symbol-name variant keeps every series 1m
    keys = []
    for i in range(n):
        base = SYMBOLS[i % len(SYMBOLS)]
        symbol = base if i < len(SYMBOLS) else f"{base[:-4]}{i}USDT"
        keys.append(SeriesKey(symbol, intervals[0]))
    return keys


def load(settings: Settings, keys: list[SeriesKey], first: int, per: int) -> tuple[int, float]:
    stores = open_stores(settings)
    total, spent = 0, 0.0
    try:
        for i, key in enumerate(keys):
            n = first if i == 0 else per
            # The sandbox's own BTCUSDT/ETHUSDT/... generators serve every symbol here.
            source = SYMBOLS[i % len(SYMBOLS)]
            for offset in range(0, n, CHUNK * 4):
                count = min(CHUNK * 4, n - offset)
                begin = START_MS + offset * MINUTE
                raw = expected_klines(source, "1m", begin, begin + count * MINUTE - 1,
                                      now_ms=begin + 10**12)  # fmt: skip
                began = time.perf_counter()
                for j in range(0, len(raw), CHUNK):
                    rows = [kline_to_row(r) for r in raw[j : j + CHUNK]]
                    total += stores.candles.insert(key, rows)
                spent += time.perf_counter() - began
            print(f"  loaded {key.label():<16} {n:>10,} candles; {total / spent:>10,.0f}/s so far",
                  flush=True)  # fmt: skip
    finally:
        stores.close()
    return total, spent


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def timed_pages(http: requests.Session, base: str, keys: list[SeriesKey], sizes: dict[int, int],
                limit: int, pages: int) -> list[float]:  # fmt: skip
    samples = []
    rng = random.Random(limit)
    for _ in range(pages):
        i = rng.randrange(len(keys))
        key = keys[i]
        offset = rng.randrange(max(1, sizes[i] - limit - 1000))  # clear of the last outage
        start = START_MS + offset * MINUTE
        began = time.perf_counter()
        response = http.get(f"{base}/api/market-data/{key.symbol}/{key.interval}",
                            params={"start": start, "limit": limit}, timeout=60)  # fmt: skip
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or len(response.json()["candles"]) != limit:
            raise RuntimeError(f"page: HTTP {response.status_code} {response.text[:200]}")
    return samples


def measure_in_process(settings: Settings, keys: list[SeriesKey], sizes: dict[int, int],
                       pages: int) -> dict[str, float]:  # fmt: skip
    """The same reads through the store itself, for FerretDB: there every page scans the whole
    collection (tens of seconds), and through `cl3 api` the request path's 2.5 s budget answers
    503 first, as it should for a stalled store."""
    stores = open_stores(settings)
    out: dict[str, float] = {}
    try:
        rng = random.Random(7)
        for limit in (5000, 100):
            samples = []
            for _ in range(pages):
                i = rng.randrange(len(keys))
                start = START_MS + rng.randrange(max(1, sizes[i] - limit - 1000)) * MINUTE
                began = time.perf_counter()
                assert len(stores.candles.read(keys[i], start, 2**62, limit)) == limit
                samples.append((time.perf_counter() - began) * 1000)
            out[f"page{limit}_p50"] = statistics.median(samples)
            out[f"page{limit}_p99"] = max(samples)
        began = time.perf_counter()
        stores.candles.list_series()
        out["coverage_p50"] = (time.perf_counter() - began) * 1000
        out["coverage_gaps_p50"] = out["coverage_one_p50"] = float("nan")
        out["gaps_found"] = 0
    finally:
        stores.close()
    return out


def measure_api(env: dict[str, str], keys: list[SeriesKey], sizes: dict[int, int],
                pages: int, home: Path) -> dict[str, float]:  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    with ProcessGroup({**os.environ, **env}, home / "logs") as procs:
        api = procs.start("api", "api", "--port", str(port))
        procs.wait_http(f"{base}/health", api, timeout_s=120)
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + mint_token("bench", "enterprise",
                                                               secret=SECRET)  # fmt: skip
        timed_pages(http, base, keys, sizes, 100, 20)  # warm the connection and caches
        for limit in (5000, 100):
            p50, p99 = percentiles(timed_pages(http, base, keys, sizes, limit, pages))
            out[f"page{limit}_p50"], out[f"page{limit}_p99"] = p50, p99
        coverage = []
        for _ in range(20):
            began = time.perf_counter()
            body = http.get(f"{base}/api/market-data/coverage", timeout=600).json()
            coverage.append((time.perf_counter() - began) * 1000)
        assert len(body["series"]) == len(keys), body
        out["coverage_p50"] = statistics.median(coverage)
        one = f"?symbol={keys[1].symbol}&interval=1m"
        for name, query in (("coverage_gaps_p50", "?gaps=true"), ("coverage_one_p50", one)):
            samples = []
            for _ in range(10):
                began = time.perf_counter()
                body = http.get(f"{base}/api/market-data/coverage{query}", timeout=600).json()
                samples.append((time.perf_counter() - began) * 1000)
            assert all(isinstance(s["gaps"], list) for s in body["series"]), body
            out[name] = statistics.median(samples)
        out["gaps_found"] = sum(len(s["gaps"]) for s in body["series"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "mongodb"], default="sqlite")
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--first-series", type=int, default=1_000_000)
    parser.add_argument("--per-series", type=int, default=525_600)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the SQLite file of a last run")
    args = parser.parse_args()
    home = ROOT / ".cl3" / f"bench-store-{args.backend}"
    services = LocalServices(home, redis_port=free_port(), mongo_port=37029,
                             tools_dir=ROOT / ".cl3" / "tools")  # fmt: skip
    which = ("redis", "mongo") if args.backend == "mongodb" else ("redis",)
    services.up(log=lambda m: None, which=which)
    path = home / "data" / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm") if not args.reuse else ():
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    unlimited = json.dumps({"enterprise": {"requests_per_minute": 10_000_000}})
    env = {"REDIS_URL": services.redis_url, "STORE_BACKEND": args.backend,
           "SQLITE_PATH": str(path), "MONGODB_URI": services.mongodb_uri,
           "MONGODB_DB": f"bench_{int(time.time())}", "SUPABASE_JWT_SECRET": SECRET,
           "TIER_LIMITS": unlimited}  # fmt: skip
    settings = Settings.from_env(env)
    keys = series_keys(args.series)
    try:
        if args.reuse:
            total, spent = 0, float("nan")
        else:
            print(f"backend {args.backend}: loading {len(keys)} series")
            total, spent = load(settings, keys, args.first_series, args.per_series)
        stores = open_stores(settings)
        # What was stored (the sandbox's series hold its exchange outages: a few gaps).
        counts = [stores.candles.bounds(k).count for k in keys]  # type: ignore[union-attr]
        total = sum(counts)
        sizes = dict(enumerate(counts))
        began = time.perf_counter()
        times, _ = stores.candles.columns(keys[0])
        columnar_s = time.perf_counter() - began
        stores.close()
        assert times.size == counts[0]
        if args.backend == "mongodb":
            api = measure_in_process(settings, keys, sizes, args.pages)
        else:
            api = measure_api(env, keys, sizes, args.pages, home)
    finally:
        services.down(log=lambda m: None, which=which)
    print(f"\n{args.backend}, {total:,} candles stored in {len(keys)} series")
    if args.backend == "mongodb":
        print("  (pages and coverage read in-process through the store: see measure_in_process)")
    print(f"  load through the store          {total / spent:>12,.0f} candles/s ({spent:.1f} s)")
    via = "in-process" if args.backend == "mongodb" else "via cl3 api"
    print(
        f"  5,000-candle page {via:<13} p50 {api['page5000_p50']:7.1f} ms   "
        f"p99 {api['page5000_p99']:7.1f} ms   ({args.pages} requests)"
    )
    print(
        f"  100-candle page {via:<15} p50 {api['page100_p50']:7.1f} ms   "
        f"p99 {api['page100_p99']:7.1f} ms   ({args.pages} requests)"
    )
    print(f"  coverage of all {len(keys)} series       p50 {api['coverage_p50']:7.1f} ms")
    print(f"    with gaps=true                p50 {api['coverage_gaps_p50']:7.1f} ms")
    print(
        f"  coverage of one series + gaps   p50 {api['coverage_one_p50']:7.1f} ms   "
        f"({api['gaps_found']:.0f} gaps)"
    )
    print(
        f"  whole-series columnar read      {columnar_s:7.3f} s for {args.first_series:,} candles"
    )
    if args.backend == "sqlite":
        size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal")
                   if Path(f"{path}{s}").exists())  # fmt: skip
        print(
            f"  file size                       {size / total * 1e6 / 2**20:7.1f} MiB per "
            "million candles"
        )


if __name__ == "__main__":
    main()
