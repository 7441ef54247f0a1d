"""Latency of a cached authenticated request versus `/health`, over real HTTP, in one run.

Starts a local Redis (unless REDIS_URL points elsewhere; the store is a SQLite file), the sandbox
exchange, a Supabase stand-in configured like a production project (ES256 JWKS, remote session
check on, tier from the subscriptions table) and `python -m cl3_cli api` as a child process.
Then, on one kept-alive connection, it alternates `GET /health` and `GET /api/symbols` with one
valid token and prints p50 / p90 / p99 of each. The authenticated path pays the Redis cache
lookup, the per-user rate limit and the handler; Supabase is asked once, on the first miss.

    python bench/auth_latency.py [--requests 2000] [--warmup 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import SigningKeys, SupabaseStub

ROOT = Path(__file__).resolve().parents[1]
ANON, SERVICE = "bench-anon-key", "bench-service-key"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "p50": cuts[49],
        "p90": cuts[89],
        "p99": cuts[98],
        "mean": statistics.fmean(samples_ms),
        "max": max(samples_ms),
    }


def timed_get(http: requests.Session, url: str, headers: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    response = http.get(url, headers=headers, timeout=10)
    elapsed_ms = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.text[:200]}")
    return elapsed_ms


def run(requests_n: int, warmup: int, home: Path) -> dict[str, object]:
    services = LocalServices.from_urls(
        home, os.environ.get("REDIS_URL"), os.environ.get("MONGODB_URI")
    )
    started_services = not services.status()["redis"]
    services.up(log=lambda m: print(f"  {m}", file=sys.stderr), which=("redis",))
    # Its own Redis db on the shared server, so the run leaves the everyday db alone.
    redis_url = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{services.redis_port}/14"
    try:
        with (
            SandboxExchange(SandboxConfig(), host="127.0.0.1", port=0) as exchange,
            SupabaseStub(SigningKeys.generate(), anon_key=ANON, service_key=SERVICE) as supabase,
        ):
            supabase.set_subscriptions("bench-user", [{"tier": "pro", "status": "active"}])
            api_port = free_port()
            env = {k: v for k, v in os.environ.items() if k != "SUPABASE_JWT_SECRET"}
            env.update(
                REDIS_URL=redis_url,
                SQLITE_PATH=str(home / "data" / "bench-auth.sqlite3"),
                BINANCE_BASE_URL=exchange.url,
                SUPABASE_URL=supabase.url,
                SUPABASE_ANON_KEY=ANON,
                SUPABASE_SERVICE_KEY=SERVICE,
                SUPABASE_VERIFY_REMOTE="true",
                # The limiter stays in the path; only its ceiling is lifted for the run.
                TIER_LIMITS=json.dumps({"pro": {"requests_per_minute": 10_000_000}}),
            )
            base = f"http://127.0.0.1:{api_port}"
            with ProcessGroup(env, home / "logs" / "bench") as procs:
                api = procs.start("api", "api", "--port", str(api_port))
                procs.wait_http(f"{base}/health", api)
                return measure(base, supabase, requests_n, warmup)
    finally:
        if started_services:
            services.down(log=lambda m: print(f"  {m}", file=sys.stderr), which=("redis",))


def measure(base: str, supabase: SupabaseStub, n: int, warmup: int) -> dict[str, object]:
    http = requests.Session()
    # Warm the symbol catalog with another user so the timed miss is auth only.
    timed_get(
        http, f"{base}/api/symbols", {"Authorization": f"Bearer {supabase.mint('warm', 'pro')}"}
    )
    supabase.reset_calls()
    headers = {"Authorization": f"Bearer {supabase.mint('bench-user', None)}"}  # tier from table
    miss_ms = timed_get(http, f"{base}/api/symbols", headers)
    for _ in range(warmup):
        timed_get(http, f"{base}/health")
        timed_get(http, f"{base}/api/symbols", headers)
    health: list[float] = []
    cached: list[float] = []
    for _ in range(n):  # interleaved, so both see the same machine conditions
        health.append(timed_get(http, f"{base}/health"))
        cached.append(timed_get(http, f"{base}/api/symbols", headers))
    return {
        "requests_each": n,
        "health_ms": percentiles(health),
        "cached_auth_ms": percentiles(cached),
        "first_miss_ms": miss_ms,
        "supabase_calls": supabase.calls,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args(argv)
    home = Path(os.environ.get("CL3_HOME") or ROOT / ".cl3").resolve()
    result = run(args.requests, args.warmup, home)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    health, cached = result["health_ms"], result["cached_auth_ms"]
    assert isinstance(health, dict) and isinstance(cached, dict)
    print(f"auth latency over HTTP (cl3 api), {result['requests_each']} requests each, one run")
    print(f"{'endpoint':<34}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, stats in (("GET /health", health), ("GET /api/symbols (cached auth)", cached)):
        print(
            f"{name:<34}{stats['p50']:>9.2f}{stats['p90']:>9.2f}{stats['p99']:>9.2f}"
            f"{stats['mean']:>9.2f}"
        )
    print(
        f"difference (cached auth - health): p50 {cached['p50'] - health['p50']:+.2f} ms, "
        f"p99 {cached['p99'] - health['p99']:+.2f} ms"
    )
    print(f"first request with the token (cache miss): {result['first_miss_ms']:.2f} ms")
    print(
        f"Supabase calls for the timed token (keys fetched during warm-up): "
        f"{result['supabase_calls']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
