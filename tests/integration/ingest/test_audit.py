"""The audit job against a sandbox exchange of its own (REST edits, archive re-uploads), run
through the job runner with real Redis and store: it finds a candle changed on one source and
re-uploaded archive files, and repairs them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.tasks import TaskType
from cl3_sandbox.exchange import CandleEdit, SandboxConfig, SandboxExchange, expected_klines
from cl3_worker.context import WorkerContext
from cl3_worker.runner import execute

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
JAN_1 = 1_704_067_200_000
KEY = SeriesKey("BTCUSDT", "1m")
EDITED = JAN_1 + 10 * HOUR  # changed on REST only
FIXED = JAN_1 + DAY + 5 * HOUR  # fixed by the exchange: REST and a re-uploaded file agree
SKIPPED = JAN_1 + 3 * DAY + 2 * HOUR  # never stored
DAILY = "/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-0{}.zip"


@pytest.fixture
def sandbox() -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig()) as ex:
        yield ex


@pytest.fixture
def ctx(env: dict[str, str], sandbox: SandboxExchange) -> Iterator[WorkerContext]:
    settings = Settings.from_env({**env, "BINANCE_BASE_URL": sandbox.url,
                                  "BINANCE_ARCHIVE_URL": sandbox.url})  # fmt: skip
    context = WorkerContext.build(settings)
    yield context
    context.close()


def _run(ctx: WorkerContext, task_type: TaskType, **params: Any) -> dict[str, Any]:
    task_id = uuid.uuid4().hex
    ctx.recorder.create(task_id, owner="auditor", task_type=task_type.value, params=params)
    outcome = execute(ctx, task_type.value, task_id, params)
    assert outcome["status"] == "finished", outcome
    doc = ctx.stores.tasks.get(task_id)
    assert doc is not None
    return dict(doc["result"])


def _kline(t: int) -> list[Any]:
    (kline,) = expected_klines("BTCUSDT", "1m", t, t, now_ms=t + DAY)
    return kline


def _audit(ctx: WorkerContext, repair: bool = False) -> dict[str, Any]:
    return _run(ctx, TaskType.AUDIT, symbol="BTCUSDT", interval="1m", start_ms=JAN_1,
                end_ms=JAN_1 + 3 * DAY + 6 * HOUR, repair=repair)  # fmt: skip


@pytest.fixture
def stored(ctx: WorkerContext, sandbox: SandboxExchange) -> dict[str, Any]:
    """Jan 1-3 fetched (three archive days, checksums recorded), 00:00-06:00 of Jan 4 stored
    but one candle; then the exchange changes its data."""
    fetched = _run(ctx, TaskType.FETCH, symbol="BTCUSDT", interval="1m", start_ms=JAN_1,
                   end_ms=JAN_1 + 3 * DAY)  # fmt: skip
    assert fetched["archive_files"] == 3
    day4 = expected_klines("BTCUSDT", "1m", JAN_1 + 3 * DAY, JAN_1 + 3 * DAY + 6 * HOUR - 1,
                           now_ms=JAN_1 + 5 * DAY)  # fmt: skip
    ctx.stores.candles.insert(KEY, [kline_to_row(k) for k in day4 if k[0] != SKIPPED])
    edited, fixed = _kline(EDITED), _kline(FIXED)
    new_close = round((float(edited[2]) + float(edited[3])) / 2, 2)  # still within high/low
    assert new_close != float(edited[4])
    sandbox.edit_rest_candle(CandleEdit("BTCUSDT", "1m", EDITED, "close", new_close))
    sandbox.edit_rest_candle(CandleEdit("BTCUSDT", "1m", FIXED, "trades", int(fixed[8]) + 7))
    sandbox.reupload_archive("BTCUSDT-1m-2024-01-02.zip", {FIXED: {"trades": int(fixed[8]) + 7}})
    sandbox.reupload_archive("BTCUSDT-1m-2024-01-03.zip")  # new bytes, the same candles
    return {"new_close": new_close, "edited": edited, "fixed": fixed}


def test_the_audit_finds_changed_candles_reuploaded_files_and_a_missing_candle(ctx, stored):
    result = _audit(ctx)
    edited, fixed = stored["edited"], stored["fixed"]
    by_key = {(d["open_time"], d["field"]): d for d in result["differences"]}
    assert by_key[(EDITED, "close")] == {
        "open_time": EDITED, "field": "close", "stored": float(edited[4]),
        "rest": stored["new_close"], "archive": float(edited[4])}  # fmt: skip
    assert by_key[(FIXED, "trades")] == {
        "open_time": FIXED, "field": "trades", "stored": int(fixed[8]),
        "rest": int(fixed[8]) + 7, "archive": int(fixed[8]) + 7}  # fmt: skip
    assert by_key[(SKIPPED, "candle")] == {
        "open_time": SKIPPED, "field": "candle", "stored": False, "rest": True,
        "archive": None}  # fmt: skip
    assert set(by_key) == {(EDITED, "close"), (FIXED, "trades"), (SKIPPED, "candle")}
    assert result["candles_differing"] == result["differences_total"] == 3
    assert not result["truncated"] and result["repair"] is False and "repaired" not in result
    files = {f["path"]: f for f in result["files"]}
    assert [files[DAILY.format(d)]["status"] for d in (1, 2, 3)] == ["same", "reuploaded",
                                                                     "reuploaded"]  # fmt: skip
    reuploaded = files[DAILY.format(2)]
    assert reuploaded["recorded_sha256"] != reuploaded["current_sha256"]
    assert reuploaded["loaded_at"] is not None
    assert result["files_by_status"] == {"same": 1, "reuploaded": 2}
    assert result["candles"] == {"stored": 3 * 1440 + 359, "rest": 3 * 1440 + 360,
                                 "archive": 3 * 1440}  # fmt: skip
    # Reading is all it did.
    assert ctx.stores.candles.read(KEY, EDITED, EDITED + 1)[0] == kline_to_row(edited)
    assert ctx.stores.candles.count(KEY, JAN_1, JAN_1 + 4 * DAY) == 3 * 1440 + 359


def test_repair_writes_the_verified_source_and_a_second_audit_is_clean(ctx, stored):
    result = _audit(ctx, repair=True)
    assert result["repaired"] == 3
    assert result["repaired_from"] == {"rest": 2, "rest_and_archive": 1}
    candles = ctx.stores.candles
    assert candles.read(KEY, EDITED, EDITED + 1)[0][5] == stored["new_close"]  # REST won
    assert candles.read(KEY, FIXED, FIXED + 1)[0][8] == int(stored["fixed"][8]) + 7
    assert candles.read(KEY, SKIPPED, SKIPPED + 1)[0] == kline_to_row(_kline(SKIPPED))
    assert candles.count(KEY, JAN_1, JAN_1 + 4 * DAY) == 3 * 1440 + 360

    again = _audit(ctx)
    # The store now agrees with REST everywhere; the archive still has the old close of the
    # candle changed on REST only, and its file keeps its old record (the store differs).
    assert [(d["open_time"], d["field"]) for d in again["differences"]] == [(EDITED, "close")]
    statuses = {f["path"]: f["status"] for f in again["files"]}
    assert statuses == {DAILY.format(1): "same", DAILY.format(2): "same",
                        DAILY.format(3): "same"}  # fmt: skip


def test_an_audit_of_a_day_loaded_from_its_month_file_checks_that_file(ctx, sandbox):
    month = "/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2023-11.zip"
    nov_1 = 1_698_796_800_000
    _run(ctx, TaskType.FETCH, symbol="BTCUSDT", interval="1m", start_ms=nov_1,
         end_ms=nov_1 + 30 * DAY)  # fmt: skip
    assert ctx.stores.archive_files.get(month) is not None
    sandbox.reupload_archive("BTCUSDT-1m-2023-11.zip")
    result = _run(ctx, TaskType.AUDIT, symbol="BTCUSDT", interval="1m",
                  start_ms=nov_1 + 10 * DAY, end_ms=nov_1 + 12 * DAY)  # fmt: skip
    assert [(f["path"], f["status"]) for f in result["files"]] == [(month, "reuploaded")]
    assert result["differences"] == [] and result["candles"]["archive"] == 2 * 1440


def test_an_unrecorded_file_is_compared_all_the_same(ctx):
    start = JAN_1 + 20 * DAY
    rows = expected_klines("BTCUSDT", "1m", start, start + DAY - 1, now_ms=start + 2 * DAY)
    ctx.stores.candles.insert(KEY, [kline_to_row(k) for k in rows])  # not through a fetch
    result = _run(ctx, TaskType.AUDIT, symbol="BTCUSDT", interval="1m", start_ms=start,
                  end_ms=start + DAY)  # fmt: skip
    assert [f["status"] for f in result["files"]] == ["unrecorded"]
    assert result["differences"] == [] and result["candles"]["archive"] == 1440
