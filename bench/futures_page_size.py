"""Which klines page size moves the most USDⓈ-M candles per unit of weight and per second?

Futures klines weigh by `limit` (1 below 100, 2 below 500, 5 up to 1000, 10 above). For each
candidate size this runs CL3's pager (REST only, candles discarded) over the same days of
BTCUSDT 1m against the sandbox exchange in its own process (50 ms latency a request,
prewarmed), paced by the real shared gate, twice:

  - budget-bound: the sandbox's fapi budget scaled down to 240 weight per 6 s (Binance's 2400
    a minute, at the same rate), so the budget decides the speed, as in any backfill;
  - latency-bound: a budget too large to bind, so only round trips and concurrency count.

    python bench/futures_page_size.py [--days 90] [--latency-ms 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import time
from pathlib import Path
from typing import Any

import redis
import requests
from requests.adapters import HTTPAdapter

from cl3_cli.processes import free_port
from cl3_cli.services import LocalServices
from cl3_common.exchange import BinanceClient, RedisWeightGate
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.exchange.markets import USDM_MARKET
from cl3_common.store import SeriesKey
from cl3_sandbox.exchange import FamilyConfig, SandboxConfig, SandboxExchange
from cl3_worker.pager import KlinePager

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_704_067_200_000  # 2024-01-01
DAY_MS = 86_400_000
KEY = SeriesKey("BTCUSDT", "1m", "usdm", "trade")
SIZES = (99, 499, 1000, 1500)


class Discard:
    def insert(self, key: SeriesKey, rows: Any) -> int:
        return len(rows)

    def open_times(self, *args: Any) -> list[int]:
        return []


def serve(conn: Any, latency_ms: float, limit: int, window_s: int, end_ms: int) -> None:
    config = SandboxConfig(latency_ms=latency_ms,
                           fapi=FamilyConfig(weight_limit=limit, window_s=window_s))  # fmt: skip
    with SandboxExchange(config, port=0) as exchange:
        exchange.prewarm("BTCUSDT", "1m", START_MS, end_ms, market="usdm")
        conn.send(exchange.url)
        while (command := conn.recv()) != "stop":
            if command == "reset":
                exchange.reset_limits()
                exchange.reset_stats()
            conn.send(exchange.stats()["families"]["fapi"])


def run(url: str, r: redis.Redis, page: int, end_ms: int, concurrency: int) -> float:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=concurrency * 2))
    market = dataclasses.replace(USDM_MARKET, page_limit=page)
    info = SymbolCatalog(r, BinanceClient(url, session, market=market)).info()
    gate = RedisWeightGate(r, info.budget, clock=time.time, sleep=time.sleep,
                           namespace=f"bench:{page}")  # fmt: skip
    client = BinanceClient(url, session, market=market, gate=gate)
    pager = KlinePager(client, Discard(), concurrency=concurrency,
                       clock_ms=lambda: int(time.time() * 1000))  # fmt: skip
    began = time.perf_counter()
    pager.run(KEY, START_MS, end_ms, lambda _: None)
    return time.perf_counter() - began


def measure(label: str, budget: tuple[int, int], args: argparse.Namespace, r: redis.Redis) -> None:
    end_ms = START_MS + args.days * DAY_MS
    candles = args.days * 1440
    fork = multiprocessing.get_context("fork")
    control, child = fork.Pipe()
    proc = fork.Process(target=serve, args=(child, args.latency_ms, *budget, end_ms), daemon=True)
    proc.start()
    url = control.recv()
    print(f"\n{label}: fapi budget {budget[0]} weight / {budget[1]} s, {args.days} days of 1m "
          f"({candles:,} candles), latency {args.latency_ms:.0f} ms, concurrency "
          f"{args.concurrency}")  # fmt: skip
    print(f"  {'limit':>5} {'weight':>6} {'calls':>6} {'weight':>8} {'candles/weight':>15} "
          f"{'seconds':>8} {'candles/s':>10} {'429':>4} {'418':>4}")  # fmt: skip
    try:
        for page in SIZES:
            r.flushdb()
            control.send("reset")
            control.recv()
            elapsed = run(url, r, page, end_ms, args.concurrency)
            control.send("stats")
            seen = control.recv()
            print(f"  {page:>5} {USDM_MARKET.klines_weight(page):>6} "
                  f"{seen['klines_requests']:>6} {seen['weight_used']:>8} "
                  f"{candles / max(1, seen['weight_used']):>15.1f} {elapsed:>8.2f} "
                  f"{candles / elapsed:>10,.0f} {seen['responses_429']:>4} "
                  f"{seen['responses_418']:>4}", flush=True)  # fmt: skip
    finally:
        control.send("stop")
        proc.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    services = LocalServices(ROOT / ".cl3" / "bench-page-size", redis_port=free_port())
    services.up(log=lambda m: None, which=("redis",))
    try:
        r = redis.Redis.from_url(services.redis_url)
        measure("budget-bound", (240, 6), args, r)
        measure("latency-bound", (10_000_000, 60), args, r)
    finally:
        services.down(log=lambda m: None, which=("redis",))


if __name__ == "__main__":
    main()
