"""The funding jobs: one symbol's funding-rate history over a range, and its refresh."""

from __future__ import annotations

import logging
import time
from typing import Any

from cl3_common.errors import PermanentError, RetryableError
from cl3_common.exchange.errors import ExchangeRejected
from cl3_common.store import FundingKey
from cl3_worker.context import WorkerContext, get_context
from cl3_worker.funding import FundingFetcher, FundingReport
from cl3_worker.jobs.attempts import fail_if_last_attempt

log = logging.getLogger("cl3.worker.funding")


def fetch_funding(
    task_id: str, market: str, symbol: str, start_ms: int, end_ms: int
) -> dict[str, Any]:
    """RQ entry point (see cl3_common.tasks.contracts)."""
    return run_funding(get_context(), task_id, FundingKey(market, symbol), start_ms, end_ms)


def run_funding(
    ctx: WorkerContext, task_id: str, key: FundingKey, start_ms: int, end_ms: int
) -> dict[str, Any]:
    recorder = ctx.recorder
    recorder.started(task_id)
    began = time.monotonic()

    def on_progress(report: FundingReport) -> None:
        percent = 100 * report.pages_done // max(1, report.pages_total)
        recorder.progress.update(
            task_id, progress=min(99, percent), pages_done=report.pages_done,
            pages_total=report.pages_total, candles_written=report.events_written,
        )  # fmt: skip

    try:
        on_rest = ctx.universe.catalog(key.market).lookup(key.symbol) is not None
        fetcher = FundingFetcher(ctx.exchange(key.market), ctx.archive, ctx.stores.funding,
                                 clock_ms=lambda: int(ctx.clock() * 1000))  # fmt: skip
        report = fetcher.run(key, start_ms, end_ms, on_progress, on_rest=on_rest)
    except PermanentError as e:
        invalid = isinstance(e, ExchangeRejected) and e.code == -1121
        recorder.failed(task_id, "invalid_symbol" if invalid else "exchange_rejected", str(e))
        return {"status": "failed", "error": str(e)}  # retrying cannot help: no RQ retry
    except RetryableError as e:
        fail_if_last_attempt(recorder, task_id, "unavailable", f"gave up after retries: {e}")
        log.warning("funding %s will be retried: %s", task_id, e)
        raise
    stored = ctx.stores.funding.read(key, start_ms, end_ms)
    result = {
        **key.to_json(),
        "start": start_ms,
        "end": end_ms,
        "events_written": report.events_written,
        "events_in_range": len(stored),
        "interval_hours": sorted({r[3] for r in stored if r[3] is not None}),
        "requests": report.requests,
        "archive_files": report.archive_files,
        "source": "rest" if on_rest else "archive",
        "duration_s": round(time.monotonic() - began, 3),
    }
    done = report.pages_done
    recorder.finished(
        task_id, result, pages_done=done, pages_total=done, candles_written=report.events_written
    )
    return result
