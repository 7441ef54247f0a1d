"""The scheduled refresh: which tracked series are stale, and one pending refresh job per series.

A series is tracked once someone fetched it (the tracked-series store). It
is *stale* when its newest stored candle is older than one interval, i.e. at least one more
candle has closed since: `open(newest) + 2 intervals <= now`. Series with no stored candle yet
are left to the fetch that tracked them (the refresh is incremental: it continues from the
newest stored candle, it never does the initial fill).

Each stale series gets one RQ job with a deterministic id (`cl3-refresh-{SYMBOL}-{INTERVAL}`)
enqueued with `unique=True`: while that job is queued, scheduled for a crash retry or running,
another enqueue is refused by RQ atomically, so two schedulers (or an EventBridge retry) can
never queue a second refresh of the same series. A finished or failed predecessor is removed
first, since its id is needed for the next run.

Entry points: `refresh_stale_series` (used by the Chalice `@app.schedule` function with the
handler's connections) and `scheduled_refresh` (the RQ job `cl3 scheduler` registers with
`rq cron`, run by a worker with connections built from the environment).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job

from cl3_common.errors import InvalidInterval
from cl3_common.intervals import add_candles, validate_interval
from cl3_common.observability.status import record_scheduled_refresh
from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store import SeriesKey, Stores
from cl3_common.tasks.contracts import CONTRACTS, TaskType

log = logging.getLogger("cl3.refresh")

SCHEDULER_OWNER = "system:scheduler"
# RQ states in which a refresh is still pending: a new one would be a duplicate.
PENDING_STATES = frozenset({"queued", "started", "scheduled", "deferred"})
REFRESH_RESULT_TTL_S = 3600
REFRESH_FAILURE_TTL_S = 7 * 86_400


def refresh_job_id(key: SeriesKey) -> str:
    """The one RQ job id a refresh of this series can have (RQ ids: letters, digits, - and _)."""
    market = "" if key.is_default else f"{key.market}-{key.kind}-"
    return f"cl3-refresh-{market}{key.symbol}-{key.interval}"


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


def plan(
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


def enqueue_refresh(client: redis.Redis, key: SeriesKey) -> bool:
    """Enqueue the series' refresh unless one is pending; True when this call enqueued it."""
    contract = CONTRACTS[TaskType.REFRESH]
    job_id = refresh_job_id(key)
    queue = Queue(contract.queue, connection=client)
    with redis_errors_translated():
        _drop_if_done(client, job_id)
        try:
            queue.enqueue_call(
                func=contract.func,
                kwargs=key.to_json(),
                job_id=job_id,
                unique=True,
                timeout=contract.timeout_s,
                result_ttl=REFRESH_RESULT_TTL_S,
                failure_ttl=REFRESH_FAILURE_TTL_S,
                description=f"refresh {key.label()}",
                retry=Retry(max=contract.retries),  # straight back on the queue after a crash
                meta={"owner": SCHEDULER_OWNER, "type": TaskType.REFRESH.value},
            )
        except DuplicateJobError:
            return False  # pending (or another scheduler enqueued it a moment ago)
    return True


def _drop_if_done(client: redis.Redis, job_id: str) -> None:
    """A finished/failed/stopped predecessor keeps its id until its TTL; free it."""
    try:
        job = Job.fetch(job_id, connection=client)
    except NoSuchJobError:
        return
    status = job.get_status(refresh=False)
    status_name = str(getattr(status, "value", status))
    if status is None or status_name in PENDING_STATES:
        return
    if status_name == "failed":
        log.warning("previous refresh %s failed; replacing it: %s", job_id, _last_error(job))
    job.delete()


def _last_error(job: Job) -> str:
    try:
        result = job.latest_result()
        text = (result.exc_string or "") if result is not None else ""
    except Exception:  # informational only
        text = ""
    return text.strip().splitlines()[-1] if text.strip() else "no traceback stored"


@dataclass(frozen=True)
class RefreshReport:
    checked: int
    enqueued: list[str]
    pending: list[str]
    fresh: list[str]
    empty: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def refresh_stale_series(client: redis.Redis, stores: Stores, now_ms: int) -> RefreshReport:
    """One scheduled run: plan, then one unique refresh job per stale series."""
    states = plan(stores.series.all(), lambda key: newest_stored_open_ms(stores, key), now_ms)
    enqueued, pending, fresh, empty = [], [], [], []
    for st in states:
        name = st.key.label()
        if st.newest_open_ms is None:
            empty.append(name)
        elif not st.stale:
            fresh.append(name)
        elif enqueue_refresh(client, st.key):
            enqueued.append(name)
        else:
            pending.append(name)
    report = RefreshReport(len(states), enqueued, pending, fresh, empty)
    record_scheduled_refresh(client, now_ms)  # ops: /health shows the age of the last run
    log.info(
        "scheduled refresh: %d tracked, %d enqueued, %d already pending, %d fresh, %d empty",
        report.checked, len(enqueued), len(pending), len(fresh), len(empty),
    )  # fmt: skip
    return report


def scheduled_refresh() -> dict[str, Any]:
    """RQ job registered by `cl3 scheduler` (rq cron): connections from the environment."""
    from cl3_common.redis_conn import connect_redis
    from cl3_common.settings import Settings
    from cl3_common.store import open_stores

    settings = Settings.from_env()
    client = connect_redis(settings.REDIS_URL)
    stores = open_stores(settings)
    try:
        report = refresh_stale_series(client, stores, int(time.time() * 1000))
        return report.to_json()
    finally:
        stores.close()
        client.close()
