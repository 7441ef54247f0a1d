"""Two worker processes sharing one scaled exchange budget (600 weight per 6 s) via Redis.

Each process runs the real pager and client (candles discarded, so the budget and not the
database is the limit) against one sandbox exchange. Prints the weight the exchange counted
in every full window, the share of the budget used, and the 429/418 counts.

    python bench/shared_budget.py [--limit 600] [--window 6] [--days 400]
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import threading
import time
from pathlib import Path

import redis
import requests

from cl3_cli.processes import free_port
from cl3_cli.services import LocalServices
from cl3_common.exchange import BinanceClient, RedisWeightGate
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.intervals import DAY_MS, now_ms
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_worker.pager import KlinePager

ROOT = Path(__file__).resolve().parents[1]

START_MS = 1_640_995_200_000  # 2022-01-01


class Discard:
    def documents(self, symbol: str, interval: str, rows: list[object]) -> list[object]:
        return rows  # nothing will be stored, so nothing is converted

    def insert(self, docs: object) -> int:
        return len(list(docs))  # type: ignore[call-overload]

    def open_times(self, *args: object) -> list[int]:
        return []


def worker(url: str, redis_url: str, symbol: str, days: int) -> None:
    session = requests.Session()
    r = redis.Redis.from_url(redis_url)
    info = SymbolCatalog(r, BinanceClient(url, session)).info()
    gate = RedisWeightGate(r, info.budget, clock=time.time, sleep=time.sleep)
    pager = KlinePager(BinanceClient(url, session, gate=gate), Discard(), concurrency=8,
                       clock_ms=now_ms)  # fmt: skip
    pager.run(symbol, "1m", START_MS, START_MS + days * DAY_MS, lambda _: None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--window", type=int, default=6)
    parser.add_argument("--days", type=int, default=400)
    args = parser.parse_args()
    services = LocalServices(ROOT / ".cl3" / "bench-budget", redis_port=free_port())
    services.up(log=lambda m: None, which=("redis",))
    config = SandboxConfig(weight_limit=args.limit, window_s=args.window, latency_ms=20)
    samples: list[tuple[float, int]] = []
    try:
        with SandboxExchange(config, port=0) as exchange:
            for symbol in ("BTCUSDT", "ETHUSDT"):
                exchange.prewarm(symbol, "1m", START_MS, START_MS + args.days * DAY_MS)
            stop = threading.Event()

            def sample() -> None:  # the exchange's own count at every window boundary
                while not stop.is_set():
                    boundary = math.ceil(time.time() / args.window) * args.window
                    time.sleep(max(0.0, boundary - time.time()))
                    samples.append((boundary, int(exchange.stats()["weight_used_total"])))

            threading.Thread(target=sample, daemon=True).start()
            began = time.time()
            procs = [
                multiprocessing.Process(target=worker,
                                        args=(exchange.url, services.redis_url, s, args.days))
                for s in ("BTCUSDT", "ETHUSDT")
            ]  # fmt: skip
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            elapsed = time.time() - began
            stop.set()
            stats = exchange.stats()
    finally:
        services.down(log=lambda m: None, which=("redis",))
    per_window = [b - a for (_, a), (_, b) in itertools.pairwise(samples)]
    full = per_window[1:-1]  # the first and last windows are partial
    print(f"budget {args.limit} weight / {args.window} s; 2 processes x {args.days} days of 1m; "
          f"{stats['klines_requests']} klines calls in {elapsed:.1f} s")  # fmt: skip
    print("weight counted per full window:", full)
    if full:
        print(f"budget used in full windows: mean {sum(full) / len(full) / args.limit:.1%}, "
              f"min {min(full) / args.limit:.1%}")  # fmt: skip
    print(f"429 responses: {stats['responses_429']}, 418 responses: {stats['responses_418']}")


if __name__ == "__main__":
    main()
