"""`cl3 demo`: the whole ingestion path, offline, against the embedded sandbox exchange.

Starts the local services, the sandbox exchange, the API and a worker; mints a pro token;
asks for N days of spot klines, of the same symbol's USDⓈ-M perpetual and of its funding
rates; follows each task's progress endpoint with a live bar; prints the last spot and
futures candles side by side (with the basis) and the last funding events. Every process it
started is stopped on the way out.
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
            "BINANCE_USDM_BASE_URL": exchange.url,
            "BINANCE_COINM_BASE_URL": exchange.url,
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
    window = {"symbol": symbol, "interval": interval, "start": start_ms, "end": end_ms}
    spot = _follow(console, http, api, "/api/market-data/fetch", window, f"spot {symbol}")
    console.print(
        f"stored: [bold]{spot['candles_in_range']}[/] candles in range "
        f"({spot['candles_written']} new, {spot['pages']} pages, "
        f"{len(spot['gaps'])} exchange gaps, {spot['duration_s']}s)"
    )
    futures = _follow(console, http, api, "/api/market-data/fetch", {**window, "market": "usdm"},
                      f"usdm {symbol}")  # fmt: skip
    console.print(f"stored: [bold]{futures['candles_in_range']}[/] USDⓈ-M perpetual candles")
    funding = _follow(console, http, api, "/api/funding/fetch",
                      {"market": "usdm", "symbol": symbol, "start": start_ms, "end": end_ms},
                      f"funding {symbol}")  # fmt: skip
    console.print(f"stored: [bold]{funding['events_in_range']}[/] funding events")
    recent = {"start": end_ms - 5 * HOUR_MS, "end": end_ms}
    _candles_table(console, http, api, symbol, interval, recent)
    events = http.get(f"{api}/api/funding/usdm/{symbol}", params={"start": start_ms},
                      timeout=10).json()["events"][-6:]  # fmt: skip
    table = Table(title=f"last {len(events)} funding events of {symbol} (USDⓈ-M)")
    for name in ("funding time (UTC)", "rate %", "mark price", "interval h"):
        table.add_column(name, justify="right")
    for e in events:
        mark = "" if e["mark_price"] is None else f"{e['mark_price']:,.2f}"
        table.add_row(_utc(e["funding_time"]), f"{100 * e['rate']:.4f}", mark,
                      str(e["interval_hours"] or ""))  # fmt: skip
    console.print(table)


def _follow(
    console: Console, http: requests.Session, api: str, path: str, body: dict, label: str
) -> dict:
    """Submit, follow the progress endpoint with a live bar, return the task's result."""
    answer = http.post(f"{api}{path}", json=body, timeout=10)
    answer.raise_for_status()
    task_id = answer.json()["task_id"]
    console.print(f"{label}: task [cyan]{task_id}[/]")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        row = bar.add_task(label, total=100, detail="")
        while True:
            progress = http.get(f"{api}/api/task/{task_id}/progress", timeout=10).json()
            detail = (f"pages {progress['pages_done']}/{progress['pages_total']}  "
                      f"written {progress['candles_written']}")  # fmt: skip
            bar.update(row, completed=progress["progress"], detail=detail)
            if progress["status"] in ("finished", "failed", "canceled"):
                break
            time.sleep(0.2)
    if progress["status"] != "finished":
        raise RuntimeError(f"task ended {progress['status']}: {progress['error']}")
    return http.get(f"{api}/api/task/{task_id}/result", timeout=10).json()


def _candles_table(
    console: Console, http: requests.Session, api: str, symbol: str, interval: str, recent: dict
) -> None:
    path = f"{api}/api/market-data/{symbol}/{interval}"
    spot = http.get(path, params=recent, timeout=10).json()["candles"]
    perp = {c["open_time"]: c for c in http.get(path, params={**recent, "market": "usdm"},
                                                timeout=10).json()["candles"]}  # fmt: skip
    table = Table(title=f"last {len(spot)} candles of {symbol} {interval}: spot and perpetual")
    for name in ("open_time (UTC)", "spot close", "perp close", "basis bp", "spot volume"):
        table.add_column(name, justify="right")
    for c in spot:
        other = perp.get(c["open_time"])
        close = f"{other['close']:,.2f}" if other else ""
        basis = f"{1e4 * (other['close'] / c['close'] - 1):+.1f}" if other else ""
        table.add_row(_utc(c["open_time"]), f"{c['close']:,.2f}", close, basis,
                      f"{c['volume']:,.2f}")  # fmt: skip
    console.print(table)


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))
