"""Full REST pages: 100,000 BTCUSDT 1m candles in two fetch tasks of 50,000, REST only.

The archive host serves no files here (every day falls back to REST), which is where cutting
REST pages at the archive's day boundaries cost a page of 1,000 and one of 440 a day. Timed
from the two `POST /api/market-data/fetch` to both tasks `finished`, through `cl3 api` and one
`cl3 worker` as processes on the embedded SQLite store, against the sandbox exchange in its
own process (50 ms latency, prewarmed). Prints the klines calls, the weight and candles/s the
exchange saw. Run it on another checkout's code with that checkout's PYTHONPATH to compare.

    python bench/full_pages.py [--latency-ms 50] [--concurrency 8] [--budget 240/6]

`--budget LIMIT/SECONDS` scales the spot weight budget (240/6 is Binance's 6,000 a minute cut
to the rate of a busy IP's 2,400), so the budget rather than round trips binds, as in a
universe backfill.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import mint_token

ROOT = Path(__file__).resolve().parents[1]
MIN = 60_000
START_MS = 1_704_067_200_000 + 7 * 60 * MIN  # 2024-01-01 07:00 UTC
TASK_CANDLES = 50_000
SECRET = "bench-full-pages-secret-with-32-bytes-or-more"


def serve(conn: Any, latency_ms: float, budget: tuple[int, int]) -> None:
    config = SandboxConfig(latency_ms=latency_ms, weight_limit=budget[0], window_s=budget[1])
    with SandboxExchange(config, port=0) as exchange:
        exchange.prewarm("BTCUSDT", "1m", START_MS, START_MS + 2 * TASK_CANDLES * MIN)
        conn.send(exchange.url)
        while (command := conn.recv()) != "stop":
            if command == "reset":
                exchange.reset_limits()
                exchange.reset_stats()
            conn.send(exchange.stats())


def fetch_two_tasks(base: str) -> float:
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + mint_token("bench", "enterprise", secret=SECRET)
    began = time.perf_counter()
    tasks = []
    for i in range(2):
        start = START_MS + i * TASK_CANDLES * MIN
        body = {"symbol": "BTCUSDT", "interval": "1m", "start": start,
                "end": start + TASK_CANDLES * MIN}  # fmt: skip
        answer = http.post(f"{base}/api/market-data/fetch", json=body, timeout=10)
        answer.raise_for_status()
        tasks.append(answer.json()["task_id"])
    for task in tasks:
        while True:
            progress = http.get(f"{base}/api/task/{task}/progress", timeout=10).json()
            if progress["status"] in ("finished", "failed", "canceled"):
                break
            time.sleep(0.02)
        if progress["status"] != "finished":
            raise RuntimeError(f"task {progress['status']}: {progress['error']}")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--budget", default="6000/60", help="spot weight LIMIT/SECONDS")
    args = parser.parse_args()
    limit, window = (int(part) for part in args.budget.split("/"))
    home = ROOT / ".cl3" / "bench-full-pages"
    home.mkdir(parents=True, exist_ok=True)
    fork = multiprocessing.get_context("fork")
    control, child = fork.Pipe()
    sandbox = fork.Process(target=serve, args=(child, args.latency_ms, (limit, window)),
                           daemon=True)  # fmt: skip
    sandbox.start()
    url = control.recv()
    services = LocalServices(home, redis_port=free_port())
    services.up(log=lambda m: None, which=("redis",))
    store = home / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "REDIS_URL": services.redis_url, "SQLITE_PATH": str(store),
           "BINANCE_BASE_URL": url, "BINANCE_ARCHIVE_URL": f"{url}/no-archive-here",
           "SUPABASE_JWT_SECRET": SECRET, "FETCH_CONCURRENCY": str(args.concurrency)}  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with ProcessGroup(env, home / "logs") as procs:
            api = procs.start("api", "api", "--port", str(port))
            procs.start("worker", "worker")
            procs.wait_http(f"{base}/health", api)
            time.sleep(1.0)
            control.send("reset")
            control.recv()
            elapsed = fetch_two_tasks(base)
            control.send("stats")
            stats = control.recv()
    finally:
        control.send("stop")
        sandbox.join(timeout=10)
        services.down(log=lambda m: None, which=("redis",))
    candles = 2 * TASK_CANDLES
    spot = stats["families"]["spot"]
    print(f"2 tasks x {TASK_CANDLES:,} BTCUSDT 1m candles (no archive files), latency "
          f"{args.latency_ms:.0f} ms, concurrency {args.concurrency}, budget "
          f"{limit}/{window} s")  # fmt: skip
    print(f"  klines calls {spot['klines_requests']}, weight {spot['weight_used']}, "
          f"{elapsed:.2f} s, {candles / elapsed:,.0f} candles/s, "
          f"{spot['responses_429']} x 429, {spot['responses_418']} x 418")  # fmt: skip


if __name__ == "__main__":
    main()
