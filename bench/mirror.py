"""Mirror benchmark: 10 ccxt clients share one uncached year of BTCUSDT 1m through CL3.

Against the sandbox exchange in a process of its own (50 ms latency per request, prewarmed)
and `cl3 api` on the embedded SQLite store, all on this machine:
  1. one ccxt async client `fetch_ohlcv(paginate)` straight from the sandbox: the baseline;
  2. 10 ccxt async clients at once, each in its own process, through the mirror with an API
     key, on a store that holds nothing yet: their combined candles/s, and what the exchange
     saw (klines requests against pages of the grid, 429s, 418s);
  3. the same 10 again: now everything is stored (0 klines requests expected).
Every client's candles are checked equal to the baseline's. Needs ccxt (`.[dev]`).

    python bench/mirror.py [--days 365] [--clients 10] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
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
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
DAY_MS = 86_400_000
PAGE_MS = 1000 * 60_000  # the mirror's page grid for 1m
SECRET = "bench-mirror-secret-with-32-bytes-or-more"


def serve_sandbox(conn: Any, latency_ms: float, end_ms: int) -> None:
    """The sandbox in its own process; answers "stats" / "reset" / "stop" on `conn`."""
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


def ccxt_fetch(api_url: str, key: str | None, end_ms: int) -> list[list[Any]]:
    import ccxt.async_support as ccxt_async

    async def run() -> list[list[Any]]:
        config: dict[str, Any] = {"options": {"fetchMarkets": {"types": ["spot"]}}}
        if key:
            config["headers"] = {"X-API-Key": key}
        client = ccxt_async.binance(config)
        client.urls["api"]["public"] = api_url
        try:
            await client.load_markets()
            params = {"paginate": True, "paginationCalls": 2000, "until": end_ms - 1}
            return await client.fetch_ohlcv("BTC/USDT", "1m", since=START_MS, params=params)
        finally:
            await client.close()

    return asyncio.run(run())


def client_process(api_url: str, key: str, end_ms: int, start_at: float, out: Any) -> None:
    time.sleep(max(0.0, start_at - time.time()))  # every client starts at the same instant
    began = time.time()
    rows = ccxt_fetch(api_url, key, end_ms)
    out.send((began, time.time(), rows))


def run_clients(api_url: str, key: str, end_ms: int, clients: int) -> tuple[float, list[list]]:
    fork = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0
    pipes, procs = [], []
    for _ in range(clients):
        mine, theirs = fork.Pipe(duplex=False)
        proc = fork.Process(target=client_process, args=(api_url, key, end_ms, start_at, theirs))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    results = [pipe.recv() for pipe in pipes]
    for proc in procs:
        proc.join()
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    return elapsed, [r[2] for r in results]


def grid_pages(start_ms: int, end_ms: int) -> int:
    return (end_ms - 1) // PAGE_MS - start_ms // PAGE_MS + 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    end_ms = START_MS + args.days * DAY_MS
    home = ROOT / ".cl3" / "bench-mirror"
    home.mkdir(parents=True, exist_ok=True)
    store = home / "mirror.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)

    fork = multiprocessing.get_context("fork")
    control, sandbox_end = fork.Pipe()
    sandbox = fork.Process(target=serve_sandbox, args=(sandbox_end, args.latency_ms, end_ms),
                           daemon=True)  # fmt: skip
    sandbox.start()
    url = control.recv()
    services = LocalServices(home, redis_port=free_port())
    services.up(log=lambda m: None, which=("redis",))
    env = {**os.environ, "REDIS_URL": services.redis_url, "BINANCE_BASE_URL": url,
           "STORE_BACKEND": "sqlite", "SQLITE_PATH": str(store),
           "SUPABASE_JWT_SECRET": SECRET}  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with ProcessGroup(env, home / "logs") as procs:
            api = procs.start("api", "api", "--port", str(port))
            procs.wait_http(f"{base}/health", api)
            token = mint_token("bench", "enterprise", secret=SECRET)
            owner = {"Authorization": f"Bearer {token}"}
            answer = requests.post(f"{base}/api/keys", json={"name": "bench"}, headers=owner)
            key = answer.json()["key"]
            measure(args, url, base, key, end_ms, control)
    finally:
        control.send("stop")
        sandbox.join(timeout=10)
        services.down(log=lambda m: None, which=("redis",))


def measure(args: Any, url: str, base: str, key: str, end_ms: int, control: Any) -> None:
    print(f"{args.days} days of BTCUSDT 1m; sandbox latency {args.latency_ms:.0f} ms; "
          f"{args.clients} ccxt async clients, each its own process", flush=True)  # fmt: skip
    began = time.perf_counter()
    baseline = ccxt_fetch(f"{url}/api/v3", None, end_ms)
    direct_s = time.perf_counter() - began
    line("1 ccxt client, straight from the exchange", len(baseline), direct_s)

    for run in ("uncached", "stored"):
        control.send("reset")
        control.recv()
        elapsed, results = run_clients(f"{base}/binance/api/v3", key, end_ms, args.clients)
        for rows in results:
            assert rows == baseline, "a client got other candles than straight from the exchange"
        total = sum(len(rows) for rows in results)
        line(f"{args.clients} ccxt clients through the mirror, {run}", total, elapsed)
        control.send("stats")
        seen = control.recv()
        pages = grid_pages(START_MS, end_ms)
        print(
            f"      exchange saw {seen['klines_requests']} klines requests for {pages} pages "
            f"of the grid, {seen['responses_429']} x 429, {seen['responses_418']} x 418",
            flush=True,
        )


def line(label: str, candles: int, seconds: float) -> None:
    print(f"  {label:<52} {candles:>10,} candles {seconds:8.2f} s "
          f"{candles / seconds:>11,.0f} candles/s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
