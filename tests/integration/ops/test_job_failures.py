"""Every job type fails the same way: one `{"status": "failed", "error": {code, message}}`
result, the same error in the task store and the progress hash, an `ended_at`, and a 409 from
`/result` that says it failed. Runs each type through the job runner with real Redis, store and
sandbox exchange; a type's own refusal and an outage that outlasts OUTAGE_WAIT_S."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cl3_common.auth import Principal
from cl3_common.errors import NotFinished, Unavailable
from cl3_common.intervals import HOUR_MS
from cl3_common.settings import Settings
from cl3_common.store import FundingKey, SeriesKey, Stores, kline_to_row
from cl3_common.tasks import CONTRACTS, TaskService, TaskType
from cl3_sandbox.exchange import expected_klines
from cl3_worker.context import WorkerContext
from cl3_worker.runner import execute
from tests.helpers import FakeTime

JAN_2024 = 1_704_067_200_000
OWNER = "user-failures"


@pytest.fixture
def worker_env(env: dict[str, str], aws_env: dict[str, str], bucket: str) -> dict[str, str]:
    return {**env, **aws_env, "EXPORT_BUCKET": bucket, "OUTAGE_WAIT_S": "1"}


@pytest.fixture
def fake_time() -> FakeTime:
    """The runner's backoff sleeps advance this clock instead of the test's wall time."""
    return FakeTime(time.time())


@pytest.fixture
def ctx(worker_env: dict[str, str], fake_time: FakeTime) -> Iterator[WorkerContext]:
    settings = Settings.from_env(worker_env)
    context = WorkerContext.build(settings, clock=fake_time.clock, sleep=fake_time.sleep)
    yield context
    context.close()


def _store(stores: Stores, symbol: str, n: int) -> None:
    rows = expected_klines("BTCUSDT", "1h", JAN_2024, JAN_2024 + n * HOUR_MS - 1,
                           now_ms=JAN_2024 + 10**12)  # fmt: skip
    stores.candles.insert(SeriesKey(symbol, "1h"), [kline_to_row(r) for r in rows])


# A refusal of each type's own (the planner has none: it only fails when its stores do).
OWN_FAILURES: dict[TaskType, tuple[dict[str, Any], str] | None] = {
    TaskType.FETCH: ({"symbol": "NOPEUSDT", "interval": "1h", "start_ms": JAN_2024,
                      "end_ms": JAN_2024 + 10 * HOUR_MS}, "invalid_symbol"),
    TaskType.REFRESH: ({"symbol": "NOPEUSDT", "interval": "1h"}, "invalid_symbol"),
    TaskType.ANALYZE: ({"symbol": "BTCUSDT", "interval": "1h"}, "insufficient_data"),
    TaskType.EXPORT: ({"symbol": "BTCUSDT", "interval": "1h", "start_ms": JAN_2024,
                       "end_ms": JAN_2024 + HOUR_MS, "format": "xlsx"}, "invalid_request"),
    TaskType.PLAN_REFRESHES: None,
    TaskType.AUDIT: ({"symbol": "NOPEUSDT", "interval": "1h", "start_ms": JAN_2024,
                      "end_ms": JAN_2024 + 10 * HOUR_MS}, "invalid_symbol"),
    TaskType.FUNDING: ({"market": "usdm", "symbol": "NOPEUSDT", "start_ms": JAN_2024,
                        "end_ms": JAN_2024 + 10 * HOUR_MS}, "invalid_symbol"),
    TaskType.FUNDING_REFRESH: ({"market": "usdm", "symbol": "NOPEUSDT"}, "invalid_symbol"),
}  # fmt: skip
PARAMS: dict[TaskType, dict[str, Any]] = {
    TaskType.FETCH: OWN_FAILURES[TaskType.FETCH][0] | {"symbol": "BTCUSDT"},  # type: ignore[index]
    TaskType.REFRESH: {"symbol": "BTCUSDT", "interval": "1h"},
    TaskType.ANALYZE: {"symbol": "BTCUSDT", "interval": "1h"},
    TaskType.EXPORT: {"symbol": "BTCUSDT", "interval": "1h", "start_ms": JAN_2024,
                      "end_ms": JAN_2024 + HOUR_MS, "format": "csv"},
    TaskType.PLAN_REFRESHES: {},
    TaskType.AUDIT: OWN_FAILURES[TaskType.AUDIT][0] | {"symbol": "BTCUSDT"},  # type: ignore[index]
    TaskType.FUNDING: {"market": "usdm", "symbol": "BTCUSDT", "start_ms": JAN_2024,
                       "end_ms": JAN_2024 + 10 * HOUR_MS},
    TaskType.FUNDING_REFRESH: {"market": "usdm", "symbol": "BTCUSDT"},
}  # fmt: skip


class _Down:
    """A store whose server stopped answering: every call is the outage our stores raise."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise Unavailable("sqlite store is unavailable: disk I/O error", system="sqlite")

        return call


def _run(ctx: WorkerContext, task_type: TaskType, params: dict[str, Any]) -> tuple[str, dict]:
    task_id = uuid.uuid4().hex
    ctx.recorder.create(task_id, owner=OWNER, task_type=task_type.value, params=params)
    return task_id, execute(ctx, task_type.value, task_id, params)


def _assert_recorded_failure(ctx: WorkerContext, task_id: str, outcome: dict, code: str) -> None:
    assert set(outcome) == {"status", "error"} and outcome["status"] == "failed"
    error = outcome["error"]
    assert set(error) == {"code", "message"} and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    doc = ctx.stores.tasks.get(task_id)
    assert doc["status"] == "failed" and doc["error"] == error and doc["ended_at"] is not None
    state = ctx.reader.read(task_id)
    assert state.status == "failed" and state.error == error and state.ended_at is not None
    service = TaskService(ctx.redis, ctx.stores.tasks, ctx.now_ms)
    with pytest.raises(NotFinished) as refused:
        service.result(Principal(sub=OWNER, tier="pro", exp=2**31), task_id)
    assert refused.value.code == "task_failed" and error["message"] in refused.value.message


def test_every_job_type_is_covered():
    assert set(OWN_FAILURES) == set(PARAMS) == set(CONTRACTS) == set(TaskType)


@pytest.mark.parametrize("task_type", [t for t, case in OWN_FAILURES.items() if case])
def test_a_refusal_fails_every_type_with_the_same_shape(ctx, task_type, stores):
    _store(stores, "NOPEUSDT", 3)  # stored earlier, now unknown to the exchange: refresh fails
    _store(stores, "BTCUSDT", 5)  # fewer than slow + 2 = 52 candles: analyze fails
    # Funding stored earlier of a symbol no source knows now: its refresh fails.
    stores.funding.insert(FundingKey("usdm", "NOPEUSDT"), [(JAN_2024, 0.0001, None, 8)])
    params, code = OWN_FAILURES[task_type]  # type: ignore[misc]
    task_id, outcome = _run(ctx, task_type, params)
    _assert_recorded_failure(ctx, task_id, outcome, code)


@pytest.mark.parametrize("task_type", list(TaskType))
def test_an_outage_longer_than_the_patience_fails_every_type_with_the_same_shape(
    ctx, task_type, stores, fake_time
):
    _store(stores, "BTCUSDT", 60)
    ctx.stores.series.track(SeriesKey("BTCUSDT", "1h"), first_ms=JAN_2024)
    # The exchange's symbol list is fetched before the outage: each attempt then fails on the
    # store alone. (Under load, a first attempt that timed out on exchangeInfo before reporting
    # 0% let the second attempt's 0% count as progress, which rightly restarts the patience.)
    ctx.universe.listed("spot", "BTCUSDT", "trade")
    # The candle data goes away (the task records stay): an outage of the data the work needs.
    down = dataclasses.replace(ctx.stores, candles=_Down(), series=_Down(), analyses=_Down(),
                               funding=_Down())  # fmt: skip
    ctx.__dict__["stores"] = down
    task_id, outcome = _run(ctx, task_type, PARAMS[task_type])
    _assert_recorded_failure(ctx, task_id, outcome, "unavailable")
    assert "still unavailable after 1 s of retries" in outcome["error"]["message"]
    assert 1 <= len(fake_time.slept) <= 10 and sum(fake_time.slept[:-1]) < 1  # backed off
