"""The refresh task: the fetch of [newest stored candle, now) of one tracked series.

The range is decided when the task runs, not when it was planned, so a refresh that waited in
the queue still ends at "now". Its task record lives under the series' deterministic id
(cl3_common.refresh.refresh_task_id), so the latest refresh of every series can be read in the
task store without the store growing with each run.
"""

from __future__ import annotations

from typing import Any

from cl3_common.refresh import newest_stored_open_ms
from cl3_common.store import SeriesKey
from cl3_worker.jobs.fetch import fetch_range
from cl3_worker.runner import RunningTask


def run(
    task: RunningTask, symbol: str, interval: str, market: str = "spot", kind: str = "trade"
) -> dict[str, Any]:
    """Work function of `refresh` tasks (cl3_common.tasks.contracts)."""
    key = SeriesKey(symbol, interval, market, kind)
    start_ms = newest_stored_open_ms(task.ctx.stores, key)
    if start_ms is None:  # nothing stored yet: the initial fill belongs to a fetch
        return {**key.to_json(), "status": "skipped", "reason": "nothing stored to continue"}
    # The newest stored candle is read again on purpose: the insert is duplicate-safe and the
    # range then always holds at least one candle.
    return fetch_range(task, key, start_ms, task.ctx.now_ms())
