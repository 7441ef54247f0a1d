"""The scheduled refresh: which tracked series are stale, and one pending refresh job per series.

A series `(symbol, interval)` is tracked once someone fetched it (the `series` collection). It
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import redis
from pymongo import DESCENDING
from pymongo.database import Database
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job

from cl3_common.errors import InvalidInterval
from cl3_common.intervals import add_candles, validate_interval
from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store.candles import dt_to_ms
from cl3_common.store.mongo import mongo_errors_translated
from cl3_common.tasks.contracts import CONTRACTS, TaskType

log = logging.getLogger("cl3.refresh")

SCHEDULER_OWNER = "system:scheduler"
# RQ states in which a refresh is still pending: a new one would be a duplicate.
PENDING_STATES = frozenset({"queued", "started", "scheduled", "deferred"})
REFRESH_RESULT_TTL_S = 3600
REFRESH_FAILURE_TTL_S = 7 * 86_400


def refresh_job_id(symbol: str, interval: str) -> str:
    """The one RQ job id a refresh of this series can have (RQ ids: letters, digits, - and _)."""
    return f"cl3-refresh-{symbol}-{interval}"


@dataclass(frozen=True)
class SeriesState:
    symbol: str
    interval: str
    newest_open_ms: int | None
    stale: bool


def is_stale(newest_open_ms: int | None, interval: str, now_ms: int) -> bool:
    """True when a candle newer than the newest stored one has closed by `now_ms`."""
    if newest_open_ms is None:
        return False  # nothing stored: the initial fill belongs to the fetch that tracked it
    return add_candles(newest_open_ms, interval, 2) <= now_ms


def plan(
    series: Iterable[Mapping[str, Any]],
    newest_open_ms: Callable[[str, str], int | None],
    now_ms: int,
) -> list[SeriesState]:
    """Pure: the state of every tracked series (docs with `symbol` and `interval`)."""
    states = []
    for doc in series:
        symbol, interval = str(doc["symbol"]), str(doc["interval"])
        try:
            validate_interval(interval)
        except InvalidInterval:
            log.warning("skipping tracked series %s with unknown interval %r", symbol, interval)
            continue
        newest = newest_open_ms(symbol, interval)
        states.append(SeriesState(symbol, interval, newest, is_stale(newest, interval, now_ms)))
    return states


def newest_stored_open_ms(db: Database, symbol: str, interval: str) -> int | None:
    """Open time of the newest stored candle (one index seek on (symbol, interval, open_time))."""
    with mongo_errors_translated():
        doc = db["candles"].find_one(
            {"symbol": symbol, "interval": interval},
            {"open_time": 1},
            sort=[("open_time", DESCENDING)],
        )
    return dt_to_ms(doc["open_time"]) if doc else None


def tracked_series(db: Database) -> list[dict[str, Any]]:
    with mongo_errors_translated():
        return list(db["series"].find({}, {"symbol": 1, "interval": 1}).sort("_id", 1))


def enqueue_refresh(client: redis.Redis, symbol: str, interval: str) -> bool:
    """Enqueue the series' refresh unless one is pending; True when this call enqueued it."""
    contract = CONTRACTS[TaskType.REFRESH]
    job_id = refresh_job_id(symbol, interval)
    queue = Queue(contract.queue, connection=client)
    with redis_errors_translated():
        _drop_if_done(client, job_id)
        try:
            queue.enqueue_call(
                func=contract.func,
                kwargs={"symbol": symbol, "interval": interval},
                job_id=job_id,
                unique=True,
                timeout=contract.timeout_s,
                result_ttl=REFRESH_RESULT_TTL_S,
                failure_ttl=REFRESH_FAILURE_TTL_S,
                description=f"refresh {symbol} {interval}",
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


def refresh_stale_series(client: redis.Redis, db: Database, now_ms: int) -> RefreshReport:
    """One scheduled run: plan, then one unique refresh job per stale series."""
    states = plan(tracked_series(db), lambda s, i: newest_stored_open_ms(db, s, i), now_ms)
    enqueued, pending, fresh, empty = [], [], [], []
    for st in states:
        name = f"{st.symbol} {st.interval}"
        if st.newest_open_ms is None:
            empty.append(name)
        elif not st.stale:
            fresh.append(name)
        elif enqueue_refresh(client, st.symbol, st.interval):
            enqueued.append(name)
        else:
            pending.append(name)
    report = RefreshReport(len(states), enqueued, pending, fresh, empty)
    log.info(
        "scheduled refresh: %d tracked, %d enqueued, %d already pending, %d fresh, %d empty",
        report.checked, len(enqueued), len(pending), len(fresh), len(empty),
    )  # fmt: skip
    return report


def scheduled_refresh() -> dict[str, Any]:
    """RQ job registered by `cl3 scheduler` (rq cron): connections from the environment."""
    from cl3_common.redis_conn import connect_redis
    from cl3_common.settings import Settings
    from cl3_common.store import connect_mongo

    settings = Settings.from_env()
    client = connect_redis(settings.REDIS_URL)
    mongo = connect_mongo(settings.MONGODB_URI)
    try:
        report = refresh_stale_series(client, mongo[settings.MONGODB_DB], int(time.time() * 1000))
        return report.to_json()
    finally:
        mongo.close()
        client.close()
