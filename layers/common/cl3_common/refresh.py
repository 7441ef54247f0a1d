"""The refresh planner: which tracked series are stale, and one pending refresh per series.

A series is tracked once someone fetched it (the tracked-series store). It is *stale* when its
newest stored candle is older than one interval, i.e. at least one more candle has closed
since: `open(newest) + 2 intervals <= now`. Series with no stored candle yet are left to the
fetch that tracked them (a refresh is incremental: it continues from the newest stored candle,
it never does the initial fill).

Each stale series gets one `refresh` task under a deterministic id (`refresh_task_id`), its job
enqueued with RQ's `unique=True`: while that job exists another enqueue is refused atomically,
so two planners (or an EventBridge retry) never queue a second refresh of one series. A
finished or failed predecessor is removed first, since its id is needed for the next run.

Tracked funding-rate series (someone fetched a symbol's funding) are planned the same way:
stale once the next event is due (the newest stored event plus its interval, 8 h when unknown),
refreshed by one `funding_refresh` task per series.

The planner runs where its callers are: the Chalice `@app.schedule` function calls
`plan_refreshes` with the handler's connections, and `cl3 scheduler` has rq cron enqueue the
`plan_refreshes` task, which a worker runs (cl3_worker/jobs/plan_refreshes.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job

from cl3_common.errors import InvalidInterval
from cl3_common.intervals import HOUR_MS, add_candles, validate_interval
from cl3_common.observability.status import record_scheduled_refresh
from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store import FundingKey, SeriesKey, Stores
from cl3_common.store.funding_rows import USUAL_FUNDING_HOURS
from cl3_common.tasks import TaskService, TaskType, enqueue_task

log = logging.getLogger("cl3.refresh")

SCHEDULER_OWNER = "system:scheduler"
PLANNER_TASK_ID = "cl3-refresh-planner"
# RQ states in which a job still holds its id.
_PENDING_RQ_STATES = frozenset({"queued", "started", "scheduled", "deferred"})


def refresh_task_id(key: SeriesKey) -> str:
    """The one task (and RQ job) id a refresh of this series can have (RQ ids: letters,
    digits, - and _)."""
    market = "" if key.is_default else f"{key.market}-{key.kind}-"
    return f"cl3-refresh-{market}{key.symbol}-{key.interval}"


def funding_refresh_task_id(key: FundingKey) -> str:
    return f"cl3-refresh-funding-{key.market}-{key.symbol}"


@dataclass(frozen=True)
class SeriesState:
    key: SeriesKey
    newest_open_ms: int | None
    stale: bool


def is_stale(newest_open_ms: int | None, interval: str, now_ms: int) -> bool:
    """True when a candle newer than the newest stored one has closed by `now_ms`."""
    if newest_open_ms is None:
        return False  # nothing stored: the initial fill belongs to the fetch that tracked it
    return add_candles(newest_open_ms, interval, 2) <= now_ms


def series_states(
    series: Iterable[SeriesKey],
    newest_open_ms: Callable[[SeriesKey], int | None],
    now_ms: int,
) -> list[SeriesState]:
    """Pure: the state of every tracked series."""
    states = []
    for key in series:
        try:
            validate_interval(key.interval)
        except InvalidInterval:
            log.warning("skipping tracked series %s with unknown interval", key.label())
            continue
        newest = newest_open_ms(key)
        states.append(SeriesState(key, newest, is_stale(newest, key.interval, now_ms)))
    return states


def newest_stored_open_ms(stores: Stores, key: SeriesKey) -> int | None:
    """Open time of the newest stored candle (the series' bounds: no scan)."""
    bounds = stores.candles.bounds(key)
    return bounds.last_open_time if bounds else None


@dataclass(frozen=True)
class RefreshReport:
    checked: int
    enqueued: list[str]
    pending: list[str]
    fresh: list[str]
    empty: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_refreshes(client: redis.Redis, stores: Stores, now_ms: int) -> RefreshReport:
    """One run of the planner: the state of every tracked series, a refresh for each stale one."""
    states = series_states(stores.series.all(), lambda k: newest_stored_open_ms(stores, k), now_ms)
    tasks = TaskService(client, stores.tasks, lambda: now_ms)
    enqueued, pending, fresh, empty = [], [], [], []
    for st in states:
        name = st.key.label()
        if st.newest_open_ms is None:
            empty.append(name)
        elif not st.stale:
            fresh.append(name)
        elif enqueue_refresh(client, tasks, st.key):
            enqueued.append(name)
        else:
            pending.append(name)
    funding = stores.funding.tracked()
    for key in funding:
        name, newest = key.label(), stores.funding.previous(key, 2**62)
        if newest is None:
            empty.append(name)
        elif newest[0] + (newest[3] or USUAL_FUNDING_HOURS) * HOUR_MS > now_ms:
            fresh.append(name)  # the next event is not due yet
        elif _enqueue_unique(client, tasks, TaskType.FUNDING_REFRESH,
                             funding_refresh_task_id(key), key.to_json()):  # fmt: skip
            enqueued.append(name)
        else:
            pending.append(name)
    report = RefreshReport(len(states) + len(funding), enqueued, pending, fresh, empty)
    record_scheduled_refresh(client, now_ms)  # ops: /health shows the age of the last run
    log.info(
        "refresh planner: %d tracked, %d enqueued, %d already pending, %d fresh, %d empty",
        report.checked, len(enqueued), len(pending), len(fresh), len(empty),
    )  # fmt: skip
    return report


def enqueue_refresh(client: redis.Redis, tasks: TaskService, key: SeriesKey) -> bool:
    """Records and enqueues the series' refresh unless one is pending; True when this call
    enqueued it."""
    return _enqueue_unique(client, tasks, TaskType.REFRESH, refresh_task_id(key), key.to_json())


def _enqueue_unique(
    client: redis.Redis, tasks: TaskService, task_type: TaskType, task_id: str,
    params: dict[str, Any],
) -> bool:  # fmt: skip
    state = tasks.reader.read(task_id)
    if state is not None and not state.ended:
        return False
    with redis_errors_translated():
        if not _free_job_id(client, task_id):
            return False
    tasks.recorder.create(task_id, owner=SCHEDULER_OWNER, task_type=task_type.value,
                          params=params)  # fmt: skip
    try:
        enqueue_task(client, task_type, task_id, params, owner=SCHEDULER_OWNER,
                     unique=True)  # fmt: skip
    except DuplicateJobError:
        return False  # another planner enqueued it a moment ago
    return True


def _free_job_id(client: redis.Redis, job_id: str) -> bool:
    """Deletes a finished/failed/stopped predecessor holding the job id; False when it is
    still pending in RQ (requeued by hand, say)."""
    try:
        job = Job.fetch(job_id, connection=client)
    except NoSuchJobError:
        return True
    status = job.get_status(refresh=False)
    if status is None or str(getattr(status, "value", status)) in _PENDING_RQ_STATES:
        return False
    job.delete()
    return True
