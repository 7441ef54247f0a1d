"""`cl3 fetch SYMBOL INTERVAL --start --end [--market] [--kind] [--out file.csv|.parquet]`.

Fetches a range through a running API (`CL3_API_URL`, token in `CL3_TOKEN`) with the Python
client: enqueue, follow the task with a progress bar on stderr, then read the candles back
and write them as CSV (stdout when there is no --out) or Parquet.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cl3.client import ApiError, Client, TaskFailed, TransportError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".parquet": "parquet"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fetch", help="fetch candles through a running API (CL3_API_URL, CL3_TOKEN)")
    p.add_argument("symbol")
    p.add_argument("interval")
    p.add_argument("--start", required=True, help="ISO-8601 UTC or epoch ms")
    p.add_argument("--end", help="ISO-8601 UTC or epoch ms, exclusive (default: now)")
    p.add_argument("--market", default="spot", choices=["spot", "usdm", "coinm"])
    p.add_argument("--kind", default="trade", choices=["trade", "mark", "index", "premium"])
    p.add_argument("--out", type=Path, help="file.csv or file.parquet (default: CSV on stdout)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_fetch)


def cmd_fetch(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    if args.out is not None and args.out.suffix.lower() not in FORMATS:
        print(f"cl3 fetch: --out must end in {' or '.join(FORMATS)}", file=sys.stderr)
        return 2
    if not env.get("CL3_TOKEN"):
        print("cl3 fetch: set CL3_TOKEN to an access token (cl3 token ...)", file=sys.stderr)
        return 2
    client = Client.from_env(env, progress=not args.quiet)
    try:
        frame = client.fetch(
            args.symbol, args.interval, _time(args.start), _time(args.end) if args.end else None,
            market=args.market, kind=args.kind,
        )  # fmt: skip
    except (ApiError, TaskFailed) as e:
        print(f"cl3 fetch: {e}", file=sys.stderr)
        return 1
    except TransportError as e:
        print(f"cl3 fetch: cannot reach {client.http.base_url}: {e}", file=sys.stderr)
        return 1
    _write(frame, args.out)
    where = "stdout" if args.out is None else str(args.out)
    print(
        f"{len(frame)} candles of {args.symbol} {args.interval} written to {where}", file=sys.stderr
    )
    return 0


def _write(frame: pd.DataFrame, out: Path | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index_label="open_time")
    elif FORMATS[out.suffix.lower()] == "csv":
        frame.to_csv(out, index_label="open_time")
    else:
        frame.to_parquet(out)


def _time(value: str) -> str | int:
    return int(value) if value.isascii() and value.isdigit() else value
