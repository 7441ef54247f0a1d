"""`cl3 demo`: the whole ingestion path, offline, against the embedded sandbox exchange.

Starts the local services, the sandbox exchange, the API and a worker; mints a pro token;
asks for N days of klines; follows the progress endpoint with a live bar; prints what was
stored. Every process it started is stopped on the way out.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cl3_cli.processes import ProcessGroup, free_port
from cl3_cli.services import LocalServices
from cl3_common.intervals import HOUR_MS, now_ms
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import mint_token


def run_demo(home: Path, *, days: int, symbol: str, interval: str) -> int:
    console = Console()
    began = time.monotonic()
    services = LocalServices.from_urls(
        home, os.environ.get("REDIS_URL"), os.environ.get("MONGODB_URI")
    )
    # Redis only: the store is the embedded SQLite file unless STORE_BACKEND says otherwise.
    which = ("redis", "mongo") if os.environ.get("STORE_BACKEND") == "mongodb" else ("redis",)
    started = tuple(name for name in which if not services.status()[name])
    services.up(log=lambda m: console.print(f"[dim]{m}[/]"), which=which)
    secret = os.environ.get("SUPABASE_JWT_SECRET") or secrets.token_urlsafe(32)
    with SandboxExchange(SandboxConfig(), host="127.0.0.1", port=0) as exchange:
        api_port = free_port()
        env = {
            **os.environ,
            "REDIS_URL": os.environ.get("REDIS_URL", services.redis_url),
            "SQLITE_PATH": os.environ.get("SQLITE_PATH", str(home / "data" / "cl3.sqlite3")),
            "BINANCE_BASE_URL": exchange.url,
            "BINANCE_ARCHIVE_URL": exchange.url,
            "SUPABASE_JWT_SECRET": secret,
        }
        env.pop("SUPABASE_URL", None)
        if "mongo" in which:
            env.setdefault("MONGODB_URI", services.mongodb_uri)
        api = f"http://127.0.0.1:{api_port}"
        try:
            with ProcessGroup(env, home / "logs" / "demo") as procs:
                api_proc = procs.start("api", "api", "--port", str(api_port))
                procs.start("worker", "worker")
                procs.wait_http(f"{api}/health", api_proc)
                console.print(f"[green]API[/] {api}   [green]exchange[/] {exchange.url}")
                _run(
                    console,
                    api,
                    mint_token("demo-user", "pro", secret=secret),
                    symbol,
                    interval,
                    days,
                )
        finally:
            if started:
                services.down(log=lambda m: console.print(f"[dim]{m}[/]"), which=started)
    console.print(f"[bold]demo finished in {time.monotonic() - began:.1f}s[/]")
    return 0


def _run(console: Console, api: str, token: str, symbol: str, interval: str, days: int) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    end_ms = now_ms() // HOUR_MS * HOUR_MS
    start_ms = end_ms - days * 24 * HOUR_MS
    answer = http.post(
        f"{api}/api/market-data/fetch",
        json={"symbol": symbol, "interval": interval, "start": start_ms, "end": end_ms},
        timeout=10,
    )
    answer.raise_for_status()
    task_id = answer.json()["task_id"]
    console.print(f"fetch {symbol} {interval}, {days} days: task [cyan]{task_id}[/]")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        row = bar.add_task("ingest", total=100, detail="")
        while True:
            progress = http.get(f"{api}/api/task/{task_id}/progress", timeout=10).json()
            detail = (f"pages {progress['pages_done']}/{progress['pages_total']}  "
                      f"candles {progress['candles_written']}")  # fmt: skip
            bar.update(row, completed=progress["progress"], detail=detail)
            if progress["status"] in ("finished", "failed", "canceled"):
                break
            time.sleep(0.2)
    if progress["status"] != "finished":
        raise RuntimeError(f"task ended {progress['status']}: {progress['error']}")
    result = http.get(f"{api}/api/task/{task_id}/result", timeout=10).json()
    console.print(
        f"stored: [bold]{result['candles_in_range']}[/] candles in range "
        f"({result['candles_written']} new, {result['pages']} pages, "
        f"{len(result['gaps'])} exchange gaps, {result['duration_s']}s)"
    )
    last = http.get(
        f"{api}/api/market-data/{symbol}/{interval}",
        params={"start": end_ms - 5 * HOUR_MS, "end": end_ms},
        timeout=10,
    ).json()["candles"]
    table = Table(title=f"last {len(last)} candles of {symbol} {interval}")
    for name in ("open_time (UTC)", "open", "high", "low", "close", "volume"):
        table.add_column(name, justify="right")
    for c in last:
        opened = time.strftime("%Y-%m-%d %H:%M", time.gmtime(c["open_time"] / 1000))
        table.add_row(opened, *(f"{c[k]:,.2f}" for k in ("open", "high", "low", "close", "volume")))
    console.print(table)
