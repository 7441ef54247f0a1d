"""Ingest benchmark: one year of BTCUSDT 1m (525,600 candles) from the sandbox exchange.

Prints side by side, in one run against the sandbox with 50 ms latency per request:
  - ccxt async  fetch_ohlcv(..., params={"paginate": True})
  - python-binance  get_historical_klines
  - CL3 fetch-only (the real pager and client, candles discarded)
  - raw pymongo insert_many of the same documents (the write ceiling of the server)
  - CL3 end to end into MongoDB (REST paging), and with the archive path on
and the 429/418 counts the exchange saw. Needs `pip install -e '.[bench]'`.

    python bench/ingest.py [--days 365] [--latency-ms 50] [--skip-python-binance]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests
from pymongo import MongoClient
from requests.adapters import HTTPAdapter

from cl3_cli.processes import free_port
from cl3_cli.services import LocalServices
from cl3_common.exchange import BinanceClient, RedisWeightGate
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.store import CandleStore
from cl3_common.store.candles import kline_to_doc
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines
from cl3_worker.archive import ArchiveClient
from cl3_worker.pager import KlinePager

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
DAY_MS = 86_400_000


class Discard:
    """A sink that keeps nothing: measures fetching (HTTP, JSON, closed-candle filter) alone."""

    def documents(self, symbol: str, interval: str, rows: list[Any]) -> list[Any]:
        return rows  # nothing will be stored, so nothing is converted

    def insert(self, docs: Any) -> int:
        return len(list(docs))

    def open_times(self, *args: Any) -> list[int]:
        return []


def timed(label: str, run: Callable[[], int], results: list[tuple[str, int, float]]) -> None:
    began = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - began
    results.append((label, count, elapsed))
    print(f"  {label:<44} {count:>9,} candles {elapsed:8.2f} s {count / elapsed:>11,.0f} /s")


def serve_sandbox(conn: Any, latency_ms: float, end_ms: int) -> None:
    """The sandbox exchange in a process of its own (its own core and GIL), prewarmed so that
    every client meets the same warm server; answers "stats" / "reset" / "stop" on `conn`."""
    from cl3_sandbox.exchange.malloc import tune_malloc

    tune_malloc()
    with SandboxExchange(SandboxConfig(latency_ms=latency_ms), port=0) as exchange:
        exchange.prewarm("BTCUSDT", "1m", START_MS, end_ms)
        conn.send(exchange.url)
        while (command := conn.recv()) != "stop":
            if command == "reset":
                exchange.reset_limits()
                exchange.reset_stats()
            conn.send(exchange.stats())


def bench_ccxt(url: str, end_ms: int) -> int:
    import ccxt.async_support as ccxt_async

    async def run() -> int:
        exchange = ccxt_async.binance(
            {"options": {"fetchMarkets": ["spot"], "fetchCurrencies": False}}
        )
        exchange.urls["api"]["public"] = f"{url}/api/v3"
        try:
            await exchange.load_markets()
            rows = await exchange.fetch_ohlcv(
                "BTC/USDT", "1m", since=START_MS,
                params={"paginate": True, "paginationCalls": 2000, "until": end_ms - 1},
            )  # fmt: skip
        finally:
            await exchange.close()
        return len({r[0] for r in rows if r[0] < end_ms})

    return asyncio.run(run())


def bench_python_binance(url: str, end_ms: int) -> int:
    from binance.client import Client

    Client.API_URL = f"{url}/api"
    client = Client(None, None, ping=False)
    # No `limit`: python-binance reads it as the total to return, and pages 1000 at a time.
    rows = client.get_historical_klines("BTCUSDT", "1m", START_MS, end_ms - 1)
    return len({r[0] for r in rows})


def cl3_pager(
    url: str, r: redis.Redis, sink: Any, *, archive: bool, concurrency: int
) -> KlinePager:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=concurrency * 2))
    bootstrap = BinanceClient(url, session)
    gate = RedisWeightGate(r, SymbolCatalog(r, bootstrap).info().budget, clock=time.time,
                           sleep=time.sleep)  # fmt: skip
    client = BinanceClient(url, session, gate=gate)
    return KlinePager(
        client, sink, concurrency=concurrency, clock_ms=lambda: int(time.time() * 1000),
        archive=ArchiveClient(url, session, sleep=time.sleep) if archive else None,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-python-binance", action="store_true")
    parser.add_argument("--skip-ccxt", action="store_true")
    args = parser.parse_args()
    end_ms = START_MS + args.days * DAY_MS

    # A home of its own: other benchmarks stop the services recorded under theirs.
    control, sandbox_end = multiprocessing.get_context("fork").Pipe()
    sandbox = multiprocessing.get_context("fork").Process(
        target=serve_sandbox, args=(sandbox_end, args.latency_ms, end_ms), daemon=True
    )
    sandbox.start()
    url = control.recv()
    services = LocalServices(ROOT / ".cl3" / "bench-ingest", redis_port=free_port(),
                             mongo_port=37028, tools_dir=ROOT / ".cl3" / "tools")  # fmt: skip
    services.up(log=lambda m: None)
    r = redis.Redis.from_url(services.redis_url)
    mongo: MongoClient = MongoClient(services.mongodb_uri, tz_aware=True)
    results: list[tuple[str, int, float]] = []
    try:
        expected = expected_klines("BTCUSDT", "1m", START_MS, end_ms - 1, now_ms=end_ms + DAY_MS)
        print(f"{args.days} days of BTCUSDT 1m = {len(expected):,} candles; sandbox latency "
              f"{args.latency_ms:.0f} ms; CL3 concurrency {args.concurrency}")  # fmt: skip
        if not args.skip_ccxt:
            timed("ccxt async fetch_ohlcv(paginate)", lambda: bench_ccxt(url, end_ms), results)
        if not args.skip_python_binance:
            timed("python-binance get_historical_klines",
                  lambda: bench_python_binance(url, end_ms), results)  # fmt: skip
        control.send("reset")
        control.recv()
        r.flushdb()
        fetch_only = cl3_pager(url, r, Discard(), archive=False, concurrency=args.concurrency)
        timed(
            "CL3 fetch-only (REST pager)",
            lambda: run_pager(fetch_only, end_ms),
            results,
        )

        db_name = f"bench_{uuid.uuid4().hex[:8]}"
        docs = [kline_to_doc("BTCUSDT", "1m", row) for row in expected]
        # Same collection shape as the product's: the compound index is part of the cost.
        ceiling_store = CandleStore(mongo[f"{db_name}_ceiling"])
        ceiling_store.ensure_indexes()
        ceiling = mongo[f"{db_name}_ceiling"]["candles"]

        def raw_insert() -> int:
            for i in range(0, len(docs), 1000):
                ceiling.insert_many(docs[i : i + 1000], ordered=False)
            return len(docs)

        timed("raw pymongo insert_many (write ceiling)", raw_insert, results)

        for label, use_archive in (
            ("CL3 end to end, REST", False),
            ("CL3 end to end, archive", True),
        ):
            r.flushdb()
            mongo.drop_database(db_name)
            store = CandleStore(mongo[db_name])
            store.ensure_indexes()
            pager = cl3_pager(url, r, store, archive=use_archive, concurrency=args.concurrency)
            timed(label, lambda p=pager: run_pager(p, end_ms), results)
            stored = store.count_range("BTCUSDT", "1m", START_MS, end_ms)
            assert stored == len(expected), (stored, len(expected))
        mongo.drop_database(db_name)
        mongo.drop_database(f"{db_name}_ceiling")
        control.send("stats")
        stats = control.recv()
    finally:
        control.send("stop")
        sandbox.join(timeout=10)
        mongo.close()
        services.down(log=lambda m: None)
    rates = {label: count / elapsed for label, count, elapsed in results}
    print(f"\nexchange saw {stats['responses_429']} x 429 and {stats['responses_418']} x 418 "
          "during the CL3 runs")  # fmt: skip
    ratios = [
        ("CL3 fetch-only / ccxt async", "CL3 fetch-only (REST pager)",
         "ccxt async fetch_ohlcv(paginate)"),
        ("CL3 fetch-only / python-binance", "CL3 fetch-only (REST pager)",
         "python-binance get_historical_klines"),
        ("CL3 end to end REST / write ceiling", "CL3 end to end, REST",
         "raw pymongo insert_many (write ceiling)"),
        ("CL3 end to end archive / REST", "CL3 end to end, archive", "CL3 end to end, REST"),
    ]  # fmt: skip
    for name, top, bottom in ratios:
        if top in rates and bottom in rates:
            print(f"  {name:<40} {rates[top] / rates[bottom]:6.2f}x")


def run_pager(pager: KlinePager, end_ms: int) -> int:
    return pager.run("BTCUSDT", "1m", START_MS, end_ms, lambda _: None).candles_written


if __name__ == "__main__":
    main()
