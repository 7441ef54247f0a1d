"""The fetch task: page klines for one range into the store; its result is what was stored.

docs/architecture.md ("A page of klines") follows one fetch from the route to stored candles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from cl3_common.errors import CL3Error
from cl3_common.intervals import align_down, count_candles
from cl3_common.series_gaps import series_gaps
from cl3_common.store import SeriesKey
from cl3_worker.fetch_ledger import fetch_records, record_fetch
from cl3_worker.pager import KlinePager
from cl3_worker.pager_report import PagerReport
from cl3_worker.publisher import ProgressPublisher
from cl3_worker.results import range_result
from cl3_worker.runner import RunningTask
from cl3_worker.writer_process import WriterProcess


def run(
    task: RunningTask,
    symbol: str,
    interval: str,
    start_ms: int,
    end_ms: int,
    market: str = "spot",
    kind: str = "trade",
) -> dict[str, Any]:
    """Work function of `fetch` tasks (cl3_common.tasks.contracts)."""
    return fetch_range(task, SeriesKey(symbol, interval, market, kind), start_ms, end_ms)


def fetch_range(task: RunningTask, key: SeriesKey, start_ms: int, end_ms: int) -> dict[str, Any]:
    """Stores [start_ms, end_ms) of the series, skipping what is stored; the fetch result."""
    ctx = task.ctx
    began = time.monotonic()
    on_rest = ctx.universe.listed(key.market, key.symbol, key.kind)
    # A long range's candles are written from a process of its own (started before any thread
    # here): the page threads keep this process's GIL to themselves (writer_process.py).
    large = (
        count_candles(start_ms, end_ms, key.interval)
        >= ctx.settings.FETCH_WRITER_PROCESS_MIN_CANDLES
    )
    writer = WriterProcess(ctx.settings, ctx.stores.candles) if large else None
    pager = KlinePager(
        ctx.exchange_for(key.market),
        writer or ctx.stores.candles,
        concurrency=ctx.settings.FETCH_CONCURRENCY,
        clock_ms=ctx.now_ms,
        archive=ctx.archive if on_rest else ctx.archive_source,
        archive_files=ctx.stores.archive_files,
    )
    try:
        # Progress goes out from a thread of its own, so the pager's writer never waits on Redis.
        with writer or nullcontext(), ProgressPublisher(lambda f: task.report(**f)) as publisher:
            report = pager.run(key, start_ms, end_ms, _progress_reporter(publisher, began),
                               use_rest=on_rest)  # fmt: skip
    except CL3Error as e:  # the ledger says which part failed, and why
        failed = fetch_records(start_ms, end_ms, pager.report, at_ms=ctx.now_ms(),
                               error=e.as_error())  # fmt: skip
        record_fetch(ctx.stores.ledger, key, failed)
        raise
    ctx.stores.ledger.record(key, *fetch_records(start_ms, end_ms, report, at_ms=ctx.now_ms()))
    for warning in report.warnings:
        task.warn(warning)
    if report.rejected_pages:
        task.warn(f"{len(report.rejected_pages)} page(s) of implausible candles were not stored "
                  "(see rejected_pages)")  # fmt: skip
    if task.attempt > 1 and not ctx.stores.candles.kept_count_is_exact:
        # An earlier attempt's write cut off by an outage may have stored candles uncounted
        # (MongoDB: no transaction); coverage reads the kept count.
        ctx.stores.candles.recount(key)
    # Holes are counted up to the candle still open, which is no gap: it is not closed yet.
    closed_end = min(end_ms, align_down(ctx.now_ms(), key.interval))
    found = series_gaps(ctx.stores.candles, ctx.stores.ledger, key, start_ms, closed_end)
    return range_result(
        key, start_ms, end_ms, began=began,
        candles_written=report.candles_written,
        candles_in_range=found.stored,
        pages=report.pages_total,
        pages_skipped=report.pages_skipped,
        rest_pages=report.rest_pages,
        archive_files=report.archive_files,
        archive_missing=report.archive_missing,
        gaps=found.gaps,
        no_data=found.no_data,
        rejected_pages=[page.as_dict() for page in report.rejected_pages],
    )  # fmt: skip


def _progress_reporter(publisher: ProgressPublisher, began: float) -> Callable[[PagerReport], None]:
    def on_progress(report: PagerReport) -> None:
        elapsed = max(time.monotonic() - began, 1e-6)
        fetched = report.pages_done - report.pages_skipped
        remaining = report.pages_total - report.pages_done
        eta = remaining * elapsed / fetched if fetched else None
        percent = 100 * report.pages_done // report.pages_total if report.pages_total else 99
        publisher.publish(dict(
            percent=min(99, percent),  # 100 only once the result is stored
            pages_done=report.pages_done,
            pages_total=report.pages_total,
            candles_written=report.candles_written,
            candles_per_s=round(report.candles_received / elapsed, 1),
            eta_s=None if eta is None else round(eta, 1),
        ))  # fmt: skip

    return on_progress
