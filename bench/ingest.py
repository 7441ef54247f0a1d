"""Ingest benchmark: one year of BTCUSDT 1m (525,600 candles) from the sandbox exchange.

What the user waits for is timed: from `POST /api/market-data/fetch` to the task's
`finished`, through `cl3 api` and `cl3 worker` running as processes on the embedded SQLite
store, with the REST pager and with the archive path, for spot and for the USDⓈ-M perpetual
(pages of 499 candles at weight 2 on its own 2,400-a-minute budget; um archive files), with
the klines calls and weight each market's host counted. Next to it, in the same run against the
same sandbox (its own process, 50 ms latency per request, prewarmed):
  - CL3's pager alone, fetch-only (HTTP, JSON, conversion to rows; nothing stored),
  - ccxt async `fetch_ohlcv(paginate)` followed by a bulk insert into the same store,
  - python-binance `get_historical_klines` (fetch only),
and the request weight and the 429/418 counts the exchange saw, and the cost of the
plausibility check every ingested page passes (the same year's pages checked in this process,
one core). Needs
`pip install -e '.[bench]'` for ccxt and python-binance.

    python bench/ingest.py [--days 365] [--latency-ms 50] [--markets spot,usdm]
                           [--skip-python-binance] [--skip-ccxt] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests
from rq import Worker

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_common.derived.plausibility import check_rows
from cl3_common.exchange import BinanceClient, RedisWeightGate
from cl3_common.exchange.archive_paths import klines_file
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.exchange.session import exchange_session
from cl3_common.intervals import DAY_MS, next_open, now_ms
from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.store.factory import open_sqlite
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines
from cl3_sandbox.supabase import mint_token
from cl3_worker.page_check import rest_columns
from cl3_worker.page_screen import lists_surely_plausible
from cl3_worker.pager import KlinePager

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z

KEY = SeriesKey("BTCUSDT", "1m")
SECRET = "bench-ingest-secret-with-32-bytes-or-more"
Results = list[tuple[str, int, float]]


class Discard:
    """A sink that keeps nothing: the pager's fetching (HTTP, JSON, rows) alone."""

    def insert(self, key: SeriesKey, rows: Any) -> int:
        return len(rows)

    def open_times(self, *args: Any) -> list[int]:
        return []


def timed(label: str, run: Callable[[], int], results: Results) -> None:
    began = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - began
    results.append((label, count, elapsed))
    print(f"  {label:<46} {count:>9,} candles {elapsed:8.2f} s {count / elapsed:>11,.0f} /s",
          flush=True)  # fmt: skip


def serve_sandbox(conn: Any, latency_ms: float, end_ms: int) -> None:
    """The sandbox exchange in a process of its own (its own core and GIL), prewarmed so that
    every client meets the same warm server; answers "stats" / "reset" / "stop" on `conn`."""
    from cl3_sandbox.exchange.malloc import tune_malloc

    tune_malloc()
    with SandboxExchange(SandboxConfig(latency_ms=latency_ms), port=0) as exchange:
        exchange.prewarm("BTCUSDT", "1m", START_MS, end_ms)
        exchange.prewarm("BTCUSDT", "1m", START_MS, end_ms, market="usdm")
        # data.binance.vision serves static files: build every archive file (and its
        # checksum) once before the clock runs, so the sandbox's zipping is not timed.
        warm = requests.Session()
        month = START_MS
        while month < end_ms:
            for market in ("spot", "usdm"):
                path = klines_file("BTCUSDT", "1m", month, False, market=market)
                for suffix in ("", ".CHECKSUM"):
                    warm.get(exchange.url + path + suffix, timeout=120)
            month = next_open(month, "1M")
        exchange.reset_stats()
        conn.send(exchange.url)
        while (command := conn.recv()) != "stop":
            if command == "reset":
                exchange.reset_limits()
                exchange.reset_stats()
            conn.send(exchange.stats())


def bench_ccxt_and_insert(url: str, end_ms: int, store_path: Path) -> int:
    import ccxt.async_support as ccxt_async

    async def fetch() -> list[list[Any]]:
        exchange = ccxt_async.binance(
            {"options": {"fetchMarkets": ["spot"], "fetchCurrencies": False}}
        )
        exchange.urls["api"]["public"] = f"{url}/api/v3"
        try:
            await exchange.load_markets()
            return await exchange.fetch_ohlcv(
                "BTC/USDT", "1m", since=START_MS,
                params={"paginate": True, "paginationCalls": 2000, "until": end_ms - 1},
            )  # fmt: skip
        finally:
            await exchange.close()

    rows = asyncio.run(fetch())
    stores = open_sqlite(store_path)
    try:
        # ccxt gives OHLCV only: the other fields are stored as zeros.
        unique = {int(r[0]): r for r in rows if r[0] < end_ms}
        stored = [(t, t + 59_999, float(r[1]), float(r[2]), float(r[3]), float(r[4]),
                   float(r[5]), 0.0, 0, 0.0, 0.0) for t, r in sorted(unique.items())]  # fmt: skip
        for i in range(0, len(stored), 50_000):
            stores.candles.insert(KEY, stored[i : i + 50_000])
    finally:
        stores.close()
    return len(stored)


def bench_python_binance(url: str, end_ms: int) -> int:
    from binance.client import Client

    Client.API_URL = f"{url}/api"
    client = Client(None, None, ping=False)
    # No `limit`: python-binance reads it as the total to return, and pages 1000 at a time.
    rows = client.get_historical_klines("BTCUSDT", "1m", START_MS, end_ms - 1)
    return len({r[0] for r in rows})


def fetch_only(url: str, r: redis.Redis, end_ms: int, concurrency: int) -> int:
    session = exchange_session(concurrency * 2, "cl3-bench")  # the worker's own session
    gate = RedisWeightGate(r, SymbolCatalog(r, BinanceClient(url, session)).info().budget,
                           clock=time.time, sleep=time.sleep)  # fmt: skip
    pager = KlinePager(BinanceClient(url, session, gate=gate), Discard(), concurrency=concurrency,
                       clock_ms=now_ms)  # fmt: skip
    return pager.run(KEY, START_MS, end_ms, lambda _: None).candles_written


def end_to_end(
    env: dict[str, str], home: Path, end_ms: int, *, archive: bool, market: str = "spot"
) -> Callable[[], int]:
    """POST -> finished through `cl3 api` and a `cl3 worker` (started before the clock runs)."""
    path = home / f"e2e-{market}-{'archive' if archive else 'rest'}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    run_env = {**os.environ, **env, "SQLITE_PATH": str(path),
               "ARCHIVE_BACKFILL": "true" if archive else "false"}  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def run() -> int:
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + mint_token("bench", "enterprise",
                                                               secret=SECRET)  # fmt: skip
        body = {"symbol": "BTCUSDT", "interval": "1m", "start": START_MS, "end": end_ms}
        if market != "spot":
            body["market"] = market
        answer = http.post(f"{base}/api/market-data/fetch", json=body, timeout=10)
        answer.raise_for_status()
        task = answer.json()["task_id"]
        while True:
            progress = http.get(f"{base}/api/task/{task}/progress", timeout=10).json()
            if progress["status"] in ("finished", "failed", "canceled"):
                break
            time.sleep(0.1)  # a client polling ten times a second (the demo polls 5 times)
        if progress["status"] != "finished":
            raise RuntimeError(f"task {progress['status']}: {progress['error']}")
        return int(http.get(f"{base}/api/task/{task}/result", timeout=10).json()
                   ["candles_written"])  # fmt: skip

    def started() -> int:
        with ProcessGroup(run_env, home / "logs") as procs:
            api = procs.start("api", "api", "--port", str(port))
            procs.start("worker", "worker")
            procs.wait_http(f"{base}/health", api)
            wait_for_worker(redis.Redis.from_url(env["REDIS_URL"]))
            return timed_inside(run)

    return started


def wait_for_worker(r: redis.Redis, timeout_s: float = 60.0) -> None:
    """Until the worker listens on its queues: a running service's user does not wait for a
    worker's start-up (a fixed sleep once let pandas' import land inside the timed wait)."""
    deadline = time.monotonic() + timeout_s
    while Worker.count(connection=r) < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start")
        time.sleep(0.05)


_inner: list[float] = []


def check_cost(klines: list[list[Any]]) -> dict[str, Any]:
    """CPU seconds of the plausibility check over every 1000-candle page: the pure check of
    rows, and what the pager runs (the numpy screen of the page's columns, the pure check only
    when the screen is not sure)."""
    pages = [klines[i : i + 1000] for i in range(0, len(klines), 1000)]
    rows = [[kline_to_row(k) for k in page] for page in pages]
    columns = [rest_columns(page)[0] for page in pages]
    began = time.perf_counter()
    for page in rows:
        if check_rows(page, "1m", page[0][0], page[-1][0] + 60_000):
            raise RuntimeError("the sandbox served an implausible page")
    pure = time.perf_counter() - began
    began = time.perf_counter()
    for cols in columns:
        if not lists_surely_plausible(cols, "1m", cols[0][0], cols[0][-1] + 60_000, "trade"):
            raise RuntimeError("the screen did not pass a sound page")
    return {"seconds": pure, "screened_s": time.perf_counter() - began, "pages": len(pages)}


def timed_inside(run: Callable[[], int]) -> int:
    """Times only `run` (the user's wait), not the process start-up around it."""
    began = time.perf_counter()
    count = run()
    _inner.append(time.perf_counter() - began)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-python-binance", action="store_true")
    parser.add_argument("--skip-ccxt", action="store_true")
    parser.add_argument("--markets", default="spot,usdm", help="end-to-end runs per market")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the CL3 runs (medians)")
    args = parser.parse_args()
    end_ms = START_MS + args.days * DAY_MS
    home = ROOT / ".cl3" / "bench-ingest"
    home.mkdir(parents=True, exist_ok=True)

    fork = multiprocessing.get_context("fork")
    control, sandbox_end = fork.Pipe()
    sandbox = fork.Process(target=serve_sandbox, args=(sandbox_end, args.latency_ms, end_ms),
                           daemon=True)  # fmt: skip
    sandbox.start()
    url = control.recv()
    services = LocalServices(home, redis_port=free_port())
    services.up(log=lambda m: None, which=("redis",))
    r = redis.Redis.from_url(services.redis_url)
    env = {"REDIS_URL": services.redis_url, "BINANCE_BASE_URL": url, "BINANCE_ARCHIVE_URL": url,
           "BINANCE_USDM_BASE_URL": url, "BINANCE_COINM_BASE_URL": url,
           "SUPABASE_JWT_SECRET": SECRET, "FETCH_CONCURRENCY": str(args.concurrency)}  # fmt: skip
    results: Results = []
    stats: dict[str, Any] = {}
    try:
        expected = expected_klines("BTCUSDT", "1m", START_MS, end_ms - 1, now_ms=end_ms + DAY_MS)
        print(f"{args.days} days of BTCUSDT 1m = {len(expected):,} candles; sandbox latency "
              f"{args.latency_ms:.0f} ms; CL3 concurrency {args.concurrency}")  # fmt: skip
        stats["check"] = check_cost(expected)
        del expected  # 525,520 lists the collector would walk during the pager-alone runs
        if not args.skip_ccxt:
            store = home / "ccxt.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{store}{suffix}").unlink(missing_ok=True)
            timed("ccxt async fetch_ohlcv(paginate) + insert",
                  lambda: bench_ccxt_and_insert(url, end_ms, store), results)  # fmt: skip
        if not args.skip_python_binance:
            timed("python-binance get_historical_klines",
                  lambda: bench_python_binance(url, end_ms), results)  # fmt: skip
        gc.collect()
        gc.freeze()  # as the worker does before forking: the pager alone meets the same heap
        # Rounds alternate the pager alone and the end-to-end runs, so that a busy spell of
        # this shared machine falls on both; the ratios compare medians.
        for _ in range(args.repeat):
            control.send("reset")
            control.recv()
            r.flushdb()
            timed("CL3 pager fetch-only (REST, nothing stored)",
                  lambda: fetch_only(url, r, end_ms, args.concurrency), results)  # fmt: skip
            for market in args.markets.split(","):
                for archive in (False, True):
                    r.flushdb()
                    stats.update(
                        run_end_to_end(control, env, home, end_ms, market, archive, results)
                    )
    finally:
        control.send("stop")
        sandbox.join(timeout=10)
        services.down(log=lambda m: None, which=("redis",))
    report(results, stats)


def run_end_to_end(
    control: Any, env: dict[str, str], home: Path, end_ms: int, market: str, archive: bool,
    results: Results,
) -> dict[str, Any]:  # fmt: skip
    """One timed end-to-end run on a freshly reset sandbox; the exchange's counters after it."""
    label = e2e_label(market, archive)
    control.send("reset")
    control.recv()
    count = end_to_end(env, home, end_ms, archive=archive, market=market)()
    elapsed = _inner[-1]
    results.append((label, count, elapsed))
    print(f"  {label:<46} {count:>9,} candles {elapsed:8.2f} s "
          f"{count / elapsed:>11,.0f} /s", flush=True)  # fmt: skip
    want = expected_klines("BTCUSDT", "1m", START_MS, end_ms - 1, now_ms=end_ms + DAY_MS,
                           market=market)  # fmt: skip
    assert count == len(want), (market, count, len(want))
    control.send("stats")
    return {label: control.recv()}


def e2e_label(market: str, archive: bool) -> str:
    return f"CL3 end to end, {market} {'archive' if archive else 'REST'} (POST -> finished)"


def report(results: Results, stats: dict[str, Any]) -> None:
    runs: dict[str, list[tuple[int, float]]] = {}
    for label, count, elapsed in results:
        runs.setdefault(label, []).append((count, elapsed))
    rates = {label: statistics.median(c / e for c, e in seen) for label, seen in runs.items()}
    print()
    for label, seen in runs.items():
        if len(seen) > 1:
            times = sorted(e for _, e in seen)
            print(f"  {label:<46} median {statistics.median(times):6.2f} s of {len(times)} "
                  f"({times[0]:.2f}-{times[-1]:.2f} s), {rates[label]:>9,.0f} /s")  # fmt: skip
    check = stats.pop("check")
    rest_s = next((elapsed for label, _, elapsed in results if "spot REST" in label), None)
    # CPU time: in a fetch it runs in the page threads while the others wait on the network.
    share = f" = {100 * check['seconds'] / rest_s:.1f}% of the REST wall time" if rest_s else ""
    print(
        f"  plausibility check alone: {check['seconds']:.2f} s CPU for {check['pages']} pages "
        f"({1000 * check['seconds'] / check['pages']:.2f} ms per 1000-candle page{share}); as "
        f"the pager runs it (numpy screen first): {check['screened_s']:.2f} s "
        f"({1000 * check['screened_s'] / check['pages']:.2f} ms per page)"
    )
    for label, seen in stats.items():
        family = "fapi" if " usdm " in label else "spot"
        host = seen["families"][family]
        print(f"  {label}: {host['klines_requests']} klines requests, weight "
              f"{host['weight_used']} on {family}, {seen['archive_downloads']} archive files, "
              f"{seen['responses_429']} x 429, {seen['responses_418']} x 418")  # fmt: skip
    fetch = "CL3 pager fetch-only (REST, nothing stored)"
    rest, archive = e2e_label("spot", False), e2e_label("spot", True)
    ratios = [
        ("end to end REST / pager fetch-only", rest, fetch),
        (
            "end to end REST / ccxt async + insert",
            rest,
            "ccxt async fetch_ohlcv(paginate) + insert",
        ),
        ("end to end archive / end to end REST", archive, rest),
        ("pager fetch-only / python-binance", fetch, "python-binance get_historical_klines"),
        ("usdm REST / spot REST", e2e_label("usdm", False), rest),
        ("usdm archive / usdm REST", e2e_label("usdm", True), e2e_label("usdm", False)),
    ]
    for name, top, bottom in ratios:
        if top in rates and bottom in rates:
            print(f"  {name:<44} {rates[top] / rates[bottom]:6.2f}x")


if __name__ == "__main__":
    main()
