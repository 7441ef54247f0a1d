"""`cl3`: the everyday commands, configured by the environment (README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cl3_cli.services import LocalServices, ServiceError

if TYPE_CHECKING:
    from cl3_cli.metrics_http import Wrap
    from cl3_common.settings import Settings


def project_home() -> Path:
    return Path(os.environ.get("CL3_HOME") or Path.cwd() / ".cl3").resolve()


def local_services() -> LocalServices:
    return LocalServices.from_urls(
        project_home(), os.environ.get("REDIS_URL"), os.environ.get("MONGODB_URI")
    )


def _default_service_urls() -> None:
    """Without explicit URLs, point at the local services `cl3 services up` starts; the store
    is the embedded SQLite file under the project's .cl3/ unless configured otherwise."""
    services = local_services()
    os.environ.setdefault("REDIS_URL", services.redis_url)
    os.environ.setdefault("SQLITE_PATH", str(project_home() / "data" / "cl3.sqlite3"))
    if os.environ.get("STORE_BACKEND") == "mongodb":
        os.environ.setdefault("MONGODB_URI", services.mongodb_uri)


def cmd_services(args: argparse.Namespace) -> int:
    services = local_services()
    which = ("redis", "mongo") if args.mongo or args.action != "up" else ("redis",)
    if args.action == "up":
        services.up(which=which)
    elif args.action == "down":
        services.down()
    status = services.status()
    for name, ok in status.items():
        print(f"{name}: {'up' if ok else 'down'}")
    needed = [status[name] for name in which]
    return 0 if args.action == "down" or all(needed) else 1


def cmd_api(args: argparse.Namespace) -> int:
    from chalicelib.factory import create_app
    from chalicelib.runtime import Runtime
    from cl3_cli.http_server import serve
    from cl3_common.settings import Settings

    _default_service_urls()
    settings = Settings.from_env()
    _configure_logging(settings)
    runtime = Runtime.from_settings(settings)  # fail at start-up, not on the first request
    app = create_app(lambda: runtime)
    print(f"cl3 api listening on http://{args.host}:{args.port}", flush=True)
    serve(app, args.host, args.port, threads=args.threads, wrap=_api_metrics(settings))
    return 0


def _configure_logging(settings: Settings) -> None:
    from cl3_common.observability.logs import configure_logging

    configure_logging(settings.LOG_FORMAT, settings.LOG_LEVEL)


def _api_metrics(settings: Settings) -> Wrap | None:
    """Request metrics and GET /metrics around the app (unless METRICS_ENABLED=false)."""
    from cl3_cli.metrics_http import metrics_middleware

    return metrics_middleware(settings)


def cmd_worker(args: argparse.Namespace) -> int:
    from cl3_cli.worker import run_worker
    from cl3_common.settings import Settings

    _default_service_urls()
    settings = Settings.from_env()
    _configure_logging(settings)
    run_worker(settings, args.queues, burst=args.burst, metrics_port=args.metrics_port,
               metrics_host=args.metrics_host)  # fmt: skip
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from cl3_cli.scheduler import run_scheduler
    from cl3_common.settings import Settings

    _default_service_urls()
    settings = Settings.from_env()
    _configure_logging(settings)
    return run_scheduler(settings)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from cl3_sandbox.exchange import main as sandbox_main

    argv = ["--host", args.host, "--port", str(args.port), "--latency-ms", str(args.latency_ms)]
    sandbox_main(argv)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from cl3_cli.tokens import local_token

    secret = os.environ.get("SUPABASE_JWT_SECRET")
    if not secret:
        print("cl3 token needs SUPABASE_JWT_SECRET (the local HS256 secret)", file=sys.stderr)
        return 2
    print(local_token(secret, args.sub, args.tier, os.environ.get("SUPABASE_URL"), args.ttl))
    return 0


def cmd_seasonality(args: argparse.Namespace) -> int:
    from cl3_cli.seasonality import run_seasonality
    from cl3_common.settings import Settings

    _default_service_urls()
    return run_seasonality(
        Settings.from_env(),
        args.symbol,
        args.interval,
        start=args.start,
        end=args.end,
        out=args.out,
        params_json=args.params,
        store=not args.no_store,
        market=args.market,
        kind=args.kind,
    )


def cmd_store(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cl3_cli.store_copy import copy_stores
    from cl3_common.store import open_store_url

    console = Console()
    source, target = open_store_url(args.source), open_store_url(args.target)
    try:
        console.print(f"copying {source.backend} {source.location} -> "
                      f"{target.backend} {target.location}")  # fmt: skip
        report = copy_stores(source, target, console)
    finally:
        source.close()
        target.close()
    console.print(
        f"{report.series} series ({report.series_skipped} already complete), "
        f"{report.candles_copied:,} candles written, {report.tasks} tasks, "
        f"{report.tracked} tracked series, {report.analyses} analyses, "
        f"{report.funding_events:,} funding events, fetch records of {report.ledger_series} "
        f"series, {report.archive_files} archive checksums"
    )
    for problem in report.mismatches:
        console.print(f"[red]count mismatch[/] {problem}")
    if report.mismatches:
        return 1
    console.print("[green]verified:[/] every series has the same count in both stores")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cl3_cli.demo import run_demo

    return run_demo(project_home(), days=args.days, symbol=args.symbol, interval=args.interval)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cl3", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_service_commands(sub)
    _add_data_commands(sub)
    return parser


def _add_service_commands(sub: argparse._SubParsersAction) -> None:
    """The processes: local services, the API, workers, the scheduler, the sandbox, tokens."""
    p = sub.add_parser("services", help="local Redis (and a MongoDB wire server with --mongo)")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--mongo", action="store_true",
                   help="also a MongoDB wire server, for STORE_BACKEND=mongodb")  # fmt: skip
    p.set_defaults(func=cmd_services)

    p = sub.add_parser("api", help="serve the Chalice app over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=16)
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("worker", help="an RQ worker on the project's queues")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    p.add_argument("--metrics-host", default="127.0.0.1", help="address of the metrics port")
    p.add_argument("queues", nargs="*", help="queue names (default: all)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scheduler", help="periodic refresh of tracked series (rq cron)")
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("sandbox", help="the Binance-compatible sandbox exchange")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--latency-ms", type=int, default=0)
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("token", help="a local development access token")
    p.add_argument("--sub", required=True)
    p.add_argument("--tier", choices=["free", "pro", "enterprise"], default="pro")
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=cmd_token)


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    """The work: packaging, analyses, store copies, fetches and the demo."""
    from cl3_cli.package import cmd_package

    p = sub.add_parser("package", help="build the Lambda layer zip and the Terraform of the app")
    p.add_argument("--out", help="output directory (default: infra/out)")
    p.add_argument("--no-deps", action="store_true", help="pack cl3_common without dependencies")
    p.add_argument("--stage", default="dev", help="the Chalice stage to package")
    p.set_defaults(func=cmd_package)

    p = sub.add_parser("seasonality", help="seasonality analysis of a stored series, here")
    p.add_argument("symbol")
    p.add_argument("interval")
    p.add_argument("--start", help="ISO-8601 UTC or epoch ms (default: first stored candle)")
    p.add_argument("--end", help="ISO-8601 UTC or epoch ms, exclusive (default: now)")
    p.add_argument("--out", help="heatmap PNG path (default: SYMBOL_INTERVAL_heatmap.png)")
    p.add_argument("--params", help='analysis params as JSON, e.g. \'{"fast": 10, "slow": 30}\'')
    p.add_argument("--no-store", action="store_true", help="do not store it in `seasonality`")
    p.add_argument("--market", default="spot", choices=("spot", "usdm", "coinm"))
    p.add_argument("--kind", default="trade", choices=("trade", "mark", "index", "premium"))
    p.set_defaults(func=cmd_seasonality)

    p = sub.add_parser("store", help="move data between store backends")
    p.add_argument("action", choices=["copy"])
    p.add_argument("--from", dest="source", required=True,
                   help="sqlite:///path/to/file.sqlite3 or mongodb://host:port/db")  # fmt: skip
    p.add_argument("--to", dest="target", required=True, help="the same forms")
    p.set_defaults(func=cmd_store)

    from cl3_cli.fetch import add_parser as add_fetch_parser

    add_fetch_parser(sub)

    p = sub.add_parser("demo", help="the whole path, offline, on the embedded sandbox")
    p.add_argument("--symbol", default="BTCUSDT")
    p.add_argument("--interval", default="1h")
    p.add_argument("--days", type=int, default=90)
    p.set_defaults(func=cmd_demo)


def main(argv: list[str] | None = None) -> int:
    from cl3_common.settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SettingsError, ServiceError) as e:
        print(f"cl3: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
