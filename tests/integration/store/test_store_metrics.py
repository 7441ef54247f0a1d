"""Every store call is timed, and a candle insert counts what it newly wrote, on both backends
(the stores `open_stores` gives are wrapped; the stores themselves are untouched)."""

from __future__ import annotations

import pytest

from cl3_common.observability.metrics import in_process_registry
from cl3_common.observability.stores import instrument_stores
from cl3_common.store import SeriesKey
from tests.integration.ops.conftest import candle_row

MINUTE_MS = 60_000
START_MS = 1_700_000_040_000 // MINUTE_MS * MINUTE_MS


def _sample(name: str, **labels: str) -> float:
    return in_process_registry().get_sample_value(name, labels) or 0.0


@pytest.fixture
def stores(any_stores):
    return instrument_stores(any_stores)


def test_inserts_count_new_candles_and_every_call_is_timed(stores):
    backend = stores.backend
    key = SeriesKey("ETHUSDT", "1m", "usdm")
    rows = [candle_row("1m", START_MS + i * MINUTE_MS) for i in range(5)]
    stored = _sample("cl3_candles_stored_total", market="usdm")
    timed = dict(backend=backend, store="candles", op="insert")
    inserts = _sample("cl3_store_operation_duration_seconds_count", **timed)

    assert stores.candles.insert(key, rows[:3]) == 3
    assert stores.candles.insert(key, rows) == 2  # three were there already

    assert _sample("cl3_candles_stored_total", market="usdm") - stored == 5
    assert _sample("cl3_store_operation_duration_seconds_count", **timed) - inserts == 2
    reads = dict(backend=backend, store="candles", op="read")
    before = _sample("cl3_store_operation_duration_seconds_count", **reads)
    assert len(stores.candles.read(key, START_MS, START_MS + 10 * MINUTE_MS)) == 5
    assert _sample("cl3_store_operation_duration_seconds_count", **reads) - before == 1
    assert _sample("cl3_store_operation_duration_seconds_sum", **reads) > 0


def test_the_wrapper_only_forwards(stores, any_stores):
    assert stores.backend == any_stores.backend and stores.location == any_stores.location
    assert stores.ping is any_stores.ping and stores.close is any_stores.close
    stores.tasks.create("t1", owner="u", task_type="fetch", params={"symbol": "X"})
    assert stores.tasks.get("t1")["params"] == {"symbol": "X"}
    assert _sample("cl3_store_operation_duration_seconds_count", backend=stores.backend,
                   store="tasks", op="create") >= 1  # fmt: skip
    with pytest.raises(AttributeError):
        stores.candles.no_such_method  # noqa: B018
