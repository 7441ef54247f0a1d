"""The fetch job: page klines for one range into the store, report progress, store the result."""

from __future__ import annotations

import logging
import time
from typing import Any

from cl3_common.errors import PermanentError, RetryableError
from cl3_common.exchange.errors import ExchangeRejected
from cl3_common.store import SeriesKey
from cl3_worker.context import WorkerContext, get_context
from cl3_worker.jobs.attempts import fail_if_last_attempt
from cl3_worker.pager import KlinePager, PagerReport
from cl3_worker.publisher import ProgressPublisher

log = logging.getLogger("cl3.worker.fetch")


def fetch_klines(
    task_id: str,
    symbol: str,
    interval: str,
    start_ms: int,
    end_ms: int,
    market: str = "spot",
    kind: str = "trade",
) -> dict:
    """RQ entry point (see cl3_common.tasks.contracts)."""
    key = SeriesKey(symbol, interval, market, kind)
    return run_fetch(get_context(), task_id, key, start_ms, end_ms)


def run_fetch(
    ctx: WorkerContext, task_id: str, key: SeriesKey, start_ms: int, end_ms: int
) -> dict[str, Any]:
    symbol, interval = key.symbol, key.interval
    recorder = ctx.recorder
    recorder.started(task_id)
    began = time.monotonic()

    publisher = ProgressPublisher(lambda fields: recorder.progress.update(task_id, **fields))

    def on_progress(report: PagerReport) -> None:
        elapsed = max(time.monotonic() - began, 1e-6)
        fetched = report.pages_done - report.pages_skipped
        remaining = report.pages_total - report.pages_done
        eta = remaining * elapsed / fetched if fetched else None
        percent = 100 * report.pages_done // report.pages_total if report.pages_total else 99
        publisher.publish(dict(
            progress=min(99, percent),  # 100 only once the result is stored
            pages_done=report.pages_done,
            pages_total=report.pages_total,
            candles_written=report.candles_written,
            candles_per_s=round(report.candles_received / elapsed, 1),
            eta_s=None if eta is None else round(eta, 1),
        ))  # fmt: skip

    pager = KlinePager(
        ctx.exchange,
        ctx.stores.candles,
        concurrency=ctx.settings.FETCH_CONCURRENCY,
        clock_ms=lambda: int(ctx.clock() * 1000),
        archive=ctx.archive,
    )
    try:
        with publisher:
            report = pager.run(key, start_ms, end_ms, on_progress)
    except PermanentError as e:
        code = (
            "invalid_symbol"
            if isinstance(e, ExchangeRejected) and e.code == -1121
            else (
                "invalid_interval"
                if isinstance(e, ExchangeRejected) and e.code == -1120
                else "exchange_rejected"
            )
        )
        recorder.failed(task_id, code, str(e))
        return {"status": "failed", "error": str(e)}  # retrying cannot help: no RQ retry
    except RetryableError as e:
        fail_if_last_attempt(recorder, task_id, "unavailable", f"gave up after retries: {e}")
        log.warning("fetch %s will be retried: %s", task_id, e)
        raise

    # Gaps between stored candles (the exchange's own outages), found by index counts.
    holes, in_range = ctx.stores.candles.holes(key, start_ms, end_ms)
    gaps = [h.as_dict() for h in holes if h.before and h.after]
    result = {
        **key.to_json(),
        "symbol": symbol,
        "interval": interval,
        "start": start_ms,
        "end": end_ms,
        "candles_written": report.candles_written,
        "candles_in_range": in_range,
        "pages": report.pages_total,
        "pages_skipped": report.pages_skipped,
        "rest_pages": report.rest_pages,
        "archive_files": report.archive_files,
        "gaps": gaps,
        "duration_s": round(time.monotonic() - began, 3),
    }
    recorder.finished(
        task_id,
        result,
        pages_done=report.pages_total,
        pages_total=report.pages_total,
        candles_written=report.candles_written,
    )
    return result
