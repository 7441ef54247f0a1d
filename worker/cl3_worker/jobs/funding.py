"""The funding tasks: a futures symbol's funding-rate history over a range, and its refresh."""

from __future__ import annotations

import time
from typing import Any

from cl3_common.store import FundingKey
from cl3_worker.funding import FundingFetcher, FundingReport
from cl3_worker.results import range_result
from cl3_worker.runner import RunningTask


def run(
    task: RunningTask, market: str, symbol: str, start_ms: int, end_ms: int | None = None
) -> dict[str, Any]:
    """Work function of `funding` tasks (cl3_common.tasks.contracts); `end_ms` None: now."""
    key = FundingKey(market, symbol)
    return fetch_funding(task, key, start_ms, task.ctx.now_ms() if end_ms is None else end_ms)


def refresh(task: RunningTask, market: str, symbol: str) -> dict[str, Any]:
    """Work function of `funding_refresh` tasks: from the newest stored event to now."""
    key = FundingKey(market, symbol)
    bounds = task.ctx.stores.funding.bounds(key)
    if bounds is None:  # nothing stored yet: the initial fill belongs to a fetch
        return {**key.to_json(), "status": "skipped", "reason": "nothing stored to continue"}
    return fetch_funding(task, key, bounds.last_time, task.ctx.now_ms())


def fetch_funding(task: RunningTask, key: FundingKey, start_ms: int, end_ms: int) -> dict[str, Any]:
    ctx = task.ctx
    began = time.monotonic()

    def on_progress(report: FundingReport) -> None:
        percent = 100 * report.pages_done // max(1, report.pages_total)
        task.report(  # 100 only once the result is stored
            min(99, percent), pages_done=report.pages_done, pages_total=report.pages_total,
            candles_written=report.events_written,
        )  # fmt: skip

    # A perpetual REST no longer lists (delisted) is read from the archive's monthly files.
    on_rest = ctx.universe.listed(key.market, key.symbol)
    fetcher = FundingFetcher(ctx.exchange_for(key.market), ctx.archive_source,
                             ctx.stores.funding, clock_ms=ctx.now_ms)  # fmt: skip
    report = fetcher.run(key, start_ms, end_ms, on_progress, on_rest=on_rest)
    stored = ctx.stores.funding.read(key, start_ms, end_ms)
    return range_result(
        key, start_ms, end_ms, began=began,
        events_written=report.events_written,
        events_in_range=len(stored),
        interval_hours=sorted({r[3] for r in stored if r[3] is not None}),
        requests=report.requests,
        archive_files=report.archive_files,
        source="rest" if on_rest else "archive",
    )  # fmt: skip
