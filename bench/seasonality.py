"""Seasonality pipeline on N 1m candles stored in MongoDB: read, compute, render, store.

    python bench/seasonality.py [--candles 1000000] [--also 100000] [--uri mongodb://...]

For each N: writes N synthetic 1m candles (the stored document shape of `kline_to_doc`, a
random walk with a few exchange gaps) into a dedicated database, then runs the job's stages
as `cl3_worker.jobs.analyze` does and prints wall time and peak memory of each:

    read     `read_series`: projected raw BSON batches -> numpy (from MongoDB)
    compute  `analyze` (SPEC 6, the whole document)
    render   `render_heatmap_png`
    store    `SeasonalityStore.save` (document + PNG)

Times are taken without tracemalloc; its peak (Python-side allocations, numpy included) comes
from a second pass of each stage with tracemalloc on. ru_maxrss is the process's high-water
mark after each stage (the candles are written by a child process, so it does not count
here). The database is dropped at the end.

Also measured, with no server involved: how fast the reader decodes raw BSON batches of
projected candles (the fast path and the generic fallback), next to what a plain
`find()` + dicts would cost on the client, to tell the reader's cost from the server's.

MongoDB: `--uri` or MONGODB_URI; otherwise a dedicated local server (a `mongod` on PATH, else
FerretDB on SQLite) is started under .cl3/bench-seasonality and stopped afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson
import numpy as np
from bson.codec_options import CodecOptions
from pymongo import MongoClient

from cl3_cli.services import LocalServices
from cl3_common.store.seasonality import SeasonalityStore
from cl3_worker.analytics import AnalysisParams, analyze, render_heatmap_png
from cl3_worker.jobs.analyze import heatmap_title
from cl3_worker.series_reader import PROJECTION, decode_batch, read_series

ROOT = Path(__file__).resolve().parents[1]
SYMBOL, INTERVAL, STEP = "SYNTHUSDT", "1m", 60_000
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
WRITE_BATCH = 10_000
MiB = 2**20


def open_times(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = np.ones(n, dtype=np.int64)
    steps[rng.choice(n, size=max(1, n // 10_000), replace=False)] = 5  # gaps of 4 candles
    steps[0] = 0
    return START_MS + STEP * np.cumsum(steps)


def closes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return np.round(30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n))), 2)


def write_candles(uri: str, db_name: str, n: int, seed: int) -> None:
    """Child process: N stored candles, as the ingest path shapes them (all fields)."""
    from bson.datetime_ms import DatetimeMS

    from cl3_common.store import CandleStore

    client: MongoClient = MongoClient(uri)
    store = CandleStore(client[db_name])
    store.ensure_indexes()
    ot, close = open_times(n, seed), closes(n, seed)
    began = time.perf_counter()
    for lo in range(0, n, WRITE_BATCH):
        docs = []
        for t, c in zip(
            ot[lo : lo + WRITE_BATCH].tolist(), close[lo : lo + WRITE_BATCH].tolist(), strict=True
        ):
            docs.append({
                "_id": f"{SYMBOL}_{INTERVAL}_{t}", "symbol": SYMBOL, "interval": INTERVAL,
                "open_time": DatetimeMS(t), "close_time": DatetimeMS(t + STEP - 1),
                "open": c, "high": c, "low": c, "close": c, "volume": 1.5,
                "quote_volume": 1.5 * c, "trades": 10, "taker_buy_base": 0.7,
                "taker_buy_quote": 0.7 * c,
            })  # fmt: skip
        store.insert(docs)
    elapsed = time.perf_counter() - began
    print(f"  write    {n:>9,} candles {elapsed:8.1f} s  ({n / elapsed:,.0f} docs/s)", flush=True)
    client.close()


def measure(fn: Callable[[], Any], *, memory: bool) -> tuple[float, float, Any]:
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    began = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - began
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
    return elapsed, peak, out


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_pipeline(client: MongoClient, db_name: str, n: int, *, memory_pass: bool) -> float:
    db = client[db_name]
    params = AnalysisParams()
    ctx: dict[str, Any] = {}

    def read() -> Any:
        return read_series(db, SYMBOL, INTERVAL)

    def compute() -> Any:
        return analyze(
            ctx["series"].frame(),
            symbol=SYMBOL,
            interval=INTERVAL,
            params=params,
            start_ms=None,
            end_ms=None,
            now_ms=int(time.time() * 1000),
        )

    def render() -> Any:
        return render_heatmap_png(ctx["doc"], heatmap_title(ctx["doc"]))

    def store() -> Any:
        SeasonalityStore(db).save(ctx["doc"], ctx["png"])

    stages: list[tuple[str, Callable[[], Any], str]] = [
        ("read", read, "series"),
        ("compute", compute, "doc"),
        ("render", render, "png"),
        ("store", store, ""),
    ]
    print(f"  {'stage':8s} {'time (s)':>9s} {'tracemalloc peak':>17s} {'maxrss after':>13s}")
    compute_s = 0.0
    for name, fn, key in stages:
        elapsed, _, out = measure(fn, memory=False)
        if key:
            ctx[key] = out
        rss = maxrss_mib()
        peak_text = "-"
        if memory_pass:
            _, peak, again = measure(fn, memory=True)
            peak_text = f"{peak:10.1f} MiB"
            del again
        extra = ""
        if name == "read":
            got = len(ctx["series"])
            extra = f"  {got:,} candles, {got / elapsed:,.0f}/s"
            assert got == n, f"read {got} candles, wrote {n}"
        if name == "compute":
            compute_s = elapsed
            doc = ctx["doc"]
            extra = f"  {len(doc['patterns'])} patterns, regime {doc['mean_reversion']['regime']}"
        if name == "render":
            extra = f"  {len(ctx['png']):,} bytes"
        print(f"  {name:8s} {elapsed:9.3f} {peak_text:>17s} {rss:9.0f} MiB{extra}", flush=True)
    return compute_s


def decode_throughput(n: int) -> None:
    """The reader's client-side cost, from raw BSON already in memory (no server)."""
    ot, close = open_times(n, 7), closes(n, 7)
    from bson.datetime_ms import DatetimeMS

    docs = [
        bson.encode({"open_time": DatetimeMS(t), "close": c})
        for t, c in zip(ot.tolist(), close.tolist(), strict=True)
    ]
    batches = [b"".join(docs[i : i + 50_000]) for i in range(0, n, 50_000)]
    del docs
    assert set(PROJECTION) == {"_id", "open_time", "close"}

    def fast() -> int:
        return sum(decode_batch(b)[0].size for b in batches)

    def generic() -> int:
        from cl3_worker.series_reader import _decode_generic

        return sum(_decode_generic(b)[0].size for b in batches)

    def dicts() -> int:  # what find() hands back by default: tz-aware datetimes in dicts
        options: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
        total = 0
        for b in batches:
            rows = bson.decode_all(b, options)
            ts = np.array([r["open_time"].timestamp() * 1000 for r in rows], dtype=np.int64)
            total += ts.size
        return total

    print(f"client-side decoding of {n:,} projected candles (no server):")
    for label, fn in (
        ("reader fast path (np.frombuffer)", fast),
        ("reader generic fallback", generic),
        ("plain find() dicts + datetimes", dicts),
    ):
        elapsed, _, count = measure(fn, memory=False)
        assert count == n
        print(f"  {label:34s} {elapsed:7.3f} s  {n / elapsed / 1e6:7.2f} M candles/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candles", type=int, default=1_000_000)
    parser.add_argument("--also", type=int, default=100_000, help="a smaller N too (0: none)")
    parser.add_argument("--uri", default=os.environ.get("MONGODB_URI"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-memory-pass", action="store_true", help="skip the tracemalloc pass of each stage"
    )
    parser.add_argument("--_write", nargs=3, metavar=("URI", "DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._write:
        write_candles(args._write[0], args._write[1], int(args._write[2]), args.seed)
        return 0

    services = None
    uri = args.uri
    if not uri:
        services = LocalServices(
            ROOT / ".cl3" / "bench-seasonality", mongo_port=37037, tools_dir=ROOT / ".cl3" / "tools"
        )
        started = not services.status()["mongo"]
        services.up(log=lambda m: print(m), which=("mongo",))
        uri = services.mongodb_uri
        if not started:
            services = None  # someone else's server: leave it running
    client: MongoClient = MongoClient(uri, tz_aware=True)
    info = client.admin.command("buildInfo")
    server = f"FerretDB {info['ferretdbVersion']}" if "ferretdbVersion" in info else "MongoDB"
    print(f"server: {server} (wire version {info.get('version')}) at {uri}")
    print(f"cpus: {os.cpu_count()}  python {sys.version.split()[0]}  numpy {np.__version__}")
    try:
        sizes = [args.candles] + ([args.also] if args.also and args.also != args.candles else [])
        for n in sizes:
            db_name = f"cl3_bench_seasonality_{uuid.uuid4().hex[:8]}"
            print(f"\nN = {n:,} 1m candles (database {db_name})")
            try:
                writer = [sys.executable, __file__, "--seed", str(args.seed)]
                subprocess.run([*writer, "--_write", uri, db_name, str(n)], check=True)
                compute_s = run_pipeline(client, db_name, n, memory_pass=not args.no_memory_pass)
                verdict = "within" if compute_s <= 3.0 else "OVER"
                print(f"  compute {compute_s:.2f} s: {verdict} the 3 s budget")
            finally:
                client.drop_database(db_name)
        print()
        decode_throughput(args.candles)
        print(f"process max RSS: {maxrss_mib():.0f} MiB")
    finally:
        client.close()
        if services is not None:
            services.down(log=lambda m: print(m), which=("mongo",))
    return 0


if __name__ == "__main__":
    sys.exit(main())
