"""The store contract: every backend behaves the same (SQLite file; MongoDB wire server)."""

from __future__ import annotations

import numpy as np
import pytest

from cl3_common.derived.gaps import FetchRecord
from cl3_common.store import Row, SeriesBounds, SeriesKey, Stores, kline_to_row
from cl3_sandbox.exchange import expected_klines
from tests.integration.store.conftest import NOW_MS

START = 1_704_067_200_000  # 2024-01-01
MINUTE = 60_000
BTC = SeriesKey("BTCUSDT", "1m")
ETH = SeriesKey("ETHUSDT", "1m")
BTC_MARK = SeriesKey("BTCUSDT", "1m", "usdm", "mark")


def klines(key: SeriesKey, start: int, n: int) -> list[Row]:
    rows = expected_klines(key.symbol, key.interval, start, start + n * MINUTE - 1,
                           now_ms=start + 10**12)  # fmt: skip
    return [kline_to_row(r) for r in rows]


def test_insert_counts_new_rows_and_reads_them_back_exactly(any_stores: Stores):
    candles = any_stores.candles
    rows = klines(BTC, START, 300)
    assert candles.insert(BTC, rows[:200]) == 200
    assert candles.insert(BTC, rows[100:]) == 100  # 100 duplicates ignored
    assert candles.insert(BTC, rows) == 0
    assert candles.read(BTC, START, START + 300 * MINUTE) == rows
    assert candles.read(BTC, START + 10 * MINUTE, START + 20 * MINUTE) == rows[10:20]
    assert candles.read(BTC, START, START + 300 * MINUTE, limit=7) == rows[:7]
    assert candles.read(ETH, START, START + 300 * MINUTE) == []
    assert candles.insert(BTC, []) == 0


def test_series_are_separate_by_market_and_kind(any_stores: Stores):
    candles = any_stores.candles
    spot, mark = klines(BTC, START, 10), klines(BTC, START, 10)
    mark = [(r[0], r[1], r[2] + 1, *r[3:]) for r in mark]  # other values, same open times
    assert candles.insert(BTC, spot) == 10
    assert candles.insert(BTC_MARK, mark) == 10
    assert candles.read(BTC, START, START + 10 * MINUTE) == spot
    assert candles.read(BTC_MARK, START, START + 10 * MINUTE) == mark


def test_bounds_and_listing_are_kept_by_the_writers(any_stores: Stores):
    candles = any_stores.candles
    assert candles.bounds(BTC) is None and candles.list_series() == []
    candles.insert(BTC, klines(BTC, START + 50 * MINUTE, 50))
    candles.insert(BTC, klines(BTC, START, 10))  # earlier, with a hole in between
    candles.insert(BTC, klines(BTC, START, 10))  # duplicates change nothing
    candles.insert(ETH, klines(ETH, START, 5))
    candles.insert(BTC_MARK, klines(BTC_MARK, START, 3))
    btc = SeriesBounds("spot", "trade", "BTCUSDT", "1m", START, START + 99 * MINUTE, 60)
    assert candles.bounds(BTC) == btc
    everything = candles.list_series()
    assert [(b.market, b.symbol) for b in everything] == [
        ("spot", "BTCUSDT"), ("spot", "ETHUSDT"), ("usdm", "BTCUSDT")]  # fmt: skip
    assert candles.list_series(symbol="BTCUSDT", market="spot") == [btc]
    assert candles.list_series(interval="1h") == []
    assert [b.kind for b in candles.list_series(market="usdm")] == ["mark"]


def test_open_times_and_capped_counts(any_stores: Stores):
    candles = any_stores.candles
    rows = klines(BTC, START, 100)
    del rows[40:45]
    candles.insert(BTC, rows)
    times = candles.open_times(BTC, START, START + 100 * MINUTE)
    assert times == [r[0] for r in rows]
    assert candles.count(BTC, START, START + 100 * MINUTE) == 95
    assert candles.count(BTC, START, START + 100 * MINUTE, at_most=20) == 20
    assert candles.count(BTC, START + 40 * MINUTE, START + 45 * MINUTE) == 0
    assert candles.count(ETH, START, START + 100 * MINUTE) == 0


def test_columns_are_ascending_typed_arrays(any_stores: Stores):
    candles = any_stores.candles
    rows = klines(BTC, START, 500)
    candles.insert(BTC, rows[250:])  # stored out of order
    candles.insert(BTC, rows[:250])
    candles.insert(ETH, klines(ETH, START, 50))
    batches: list[int] = []
    times, closes = candles.columns(BTC, on_batch=batches.append)
    assert times.dtype == np.int64 and closes.dtype == np.float64
    assert times.tolist() == [r[0] for r in rows]
    assert closes.tolist() == [r[5] for r in rows]
    assert batches and batches[-1] == 500
    times, closes = candles.columns(BTC, START + 10 * MINUTE, START + 20 * MINUTE)
    assert times.tolist() == [r[0] for r in rows[10:20]]
    empty_t, empty_c = candles.columns(SeriesKey("BTCUSDT", "4h"))
    assert empty_t.size == empty_c.size == 0


def test_replace_overwrites_and_counts_new_rows(any_stores: Stores):
    candles = any_stores.candles
    rows = klines(BTC, START, 10)
    candles.insert(BTC, rows[:5])
    fixed = [(r[0], r[1], r[2], r[3] + 1, *r[4:]) for r in rows]
    assert candles.replace(BTC, fixed) == 10
    assert candles.read(BTC, START, START + 10 * MINUTE) == fixed
    bounds = candles.bounds(BTC)
    assert bounds is not None and bounds.count == 10


def test_tasks_round_trip_and_update(any_stores: Stores):
    tasks = any_stores.tasks
    assert tasks.get("nope") is None
    params = {"symbol": "BTCUSDT", "interval": "1m", "start_ms": START, "end_ms": None}
    tasks.create("t1", owner="user-1", task_type="fetch", params=params)
    doc = tasks.get("t1")
    assert doc == {"task_id": "t1", "owner": "user-1", "type": "fetch", "params": params,
                   "status": "queued", "result": None, "error": None, "created_at": NOW_MS,
                   "started_at": None, "ended_at": None}  # fmt: skip
    tasks.update("t1", status="started", started_at=NOW_MS + 1)
    tasks.update("t1", status="finished", result={"gaps": [], "n": 1.5}, ended_at=NOW_MS + 2)
    doc = tasks.get("t1")
    assert doc is not None
    assert (doc["status"], doc["result"], doc["ended_at"]) == ("finished", {"gaps": [], "n": 1.5},
                                                              NOW_MS + 2)  # fmt: skip
    with pytest.raises(ValueError, match="owner"):
        tasks.update("t1", owner="someone-else")
    tasks.delete("t1")
    assert tasks.get("t1") is None


def test_tracked_series_keep_the_earliest_request(any_stores: Stores):
    series = any_stores.series
    series.track(ETH, first_ms=START + 5)
    series.track(BTC, first_ms=START + 10)
    series.track(BTC, first_ms=START)
    series.track(BTC_MARK)
    assert series.all() == sorted([BTC, ETH, BTC_MARK])


def test_analyses_replace_document_and_picture_together(any_stores: Stores):
    analyses = any_stores.analyses
    key = SeriesKey("BTCUSDT", "1h")
    assert analyses.get(key) is None and analyses.heatmap(key) is None
    heat = [[0.1 * h for h in range(24)] for _ in range(7)]
    analyses.save(key, {"symbol": "BTCUSDT", "interval": "1h", "candles": 1, "heatmap": heat},
                  b"png-one")  # fmt: skip
    analyses.save(key, {"symbol": "BTCUSDT", "interval": "1h", "candles": 2, "heatmap": heat},
                  b"png-two")  # fmt: skip
    assert analyses.get(key) == {"symbol": "BTCUSDT", "interval": "1h", "candles": 2,
                                 "heatmap": heat}  # fmt: skip
    assert analyses.heatmap(key) == b"png-two"
    assert analyses.get(SeriesKey("BTCUSDT", "1h", "usdm", "mark")) is None


def test_ping(any_stores: Stores):
    assert any_stores.ping() is True


def test_whole_stores_can_be_listed_for_copying(any_stores: Stores):
    for i in range(5):
        any_stores.tasks.create(f"t{i}", owner="u", task_type="fetch", params={"i": i})
    first = any_stores.tasks.page(limit=3)
    rest = any_stores.tasks.page(after=first[-1]["task_id"], limit=3)
    assert [t["task_id"] for t in first + rest] == ["t0", "t1", "t2", "t3", "t4"]
    assert rest[-1]["params"] == {"i": 4}
    for key in (BTC_MARK, SeriesKey("ETHUSDT", "1h")):
        any_stores.analyses.save(key, {"candles": 1}, None)
    assert any_stores.analyses.series_keys() == sorted([BTC_MARK, SeriesKey("ETHUSDT", "1h")])


def test_the_ledger_merges_records_and_the_latest_wins(any_stores: Stores):
    ledger = any_stores.ledger
    day = 1440 * MINUTE
    assert ledger.records(BTC, START, START + day) == []
    ledger.record(BTC, FetchRecord(START, START + 1000 * MINUTE, "complete", at_ms=1))
    ledger.record(BTC, FetchRecord(START + 1000 * MINUTE, START + day, "complete", at_ms=2))
    # Adjacent complete fetches coalesce into one record.
    assert ledger.records(BTC, START, START + day) == [
        FetchRecord(START, START + day, "complete", at_ms=2)]  # fmt: skip
    error = {"code": "unavailable", "message": "exchange down"}
    ledger.record(BTC, FetchRecord(START + 100 * MINUTE, START + 200 * MINUTE, "failed",
                                   error, at_ms=3))  # fmt: skip
    got = ledger.records(BTC, START, START + day)
    assert [(r.start_ms - START) // MINUTE for r in got] == [0, 100, 200]
    assert [r.outcome for r in got] == ["complete", "failed", "complete"]
    assert got[1].error == error
    assert ledger.records(BTC, START + 150 * MINUTE, START + 160 * MINUTE) == [got[1]]
    assert ledger.records(ETH, START, START + day) == []


def test_archive_checksums_are_kept_per_file(any_stores: Stores):
    files = any_stores.archive_files
    path = "/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip"
    assert files.get(path) is None
    files.record(path, "ab" * 32, rows=44_640, at_ms=5)
    files.record(path, "cd" * 32, rows=44_640, at_ms=6)
    assert files.get(path) == {"path": path, "sha256": "cd" * 32, "rows": 44_640, "loaded_at": 6}
    days = [path.replace("monthly", "daily").replace("01.zip", f"01-{d:02}.zip") for d in (2, 1)]
    for day in days:
        files.record(day, "ef" * 32, rows=1_440, at_ms=7)
    ordered = sorted([path, *days])
    assert [f["path"] for f in files.page()] == ordered
    assert [f["path"] for f in files.page(limit=1)] == ordered[:1]
    assert [f["path"] for f in files.page(after=ordered[0])] == ordered[1:]
    assert files.page(after=ordered[-1]) == []


def test_holes_are_found_by_counting_ranges(any_stores: Stores):
    from cl3_common.derived.gaps import Hole

    candles = any_stores.candles
    rows = klines(BTC, START, 6_000)  # more than one counting split (4,096)
    kept = [r for i, r in enumerate(rows) if not (3_000 <= i < 3_080 or i == 5_777 or i < 5)]
    candles.insert(BTC, kept)
    holes, stored = candles.holes(BTC, START, START + 6_000 * MINUTE)
    assert stored == len(kept)
    at = lambda i: START + i * MINUTE  # noqa: E731
    assert holes == [Hole(at(0), at(5), 5, False, True), Hole(at(3_000), at(3_080), 80),
                     Hole(at(5_777), at(5_778), 1)]  # fmt: skip
    # A range around the whole series takes its count from the series' kept bounds.
    wider, stored = candles.holes(BTC, at(-10), at(6_010))
    assert stored == len(kept)
    assert wider == [Hole(at(-10), at(5), 15, False, True), Hole(at(3_000), at(3_080), 80),
                     Hole(at(5_777), at(5_778), 1),
                     Hole(at(6_000), at(6_010), 10, True, False)]  # fmt: skip
    none, stored = candles.holes(BTC, at(100), at(2_000))
    assert (none, stored) == ([], 1_900)
    assert candles.recount(BTC) == len(kept) == candles.bounds(BTC).count
    assert candles.recount(ETH) == 0
    empty, stored = candles.holes(ETH, START, at(10))
    assert (empty, stored) == ([Hole(START, at(10), 10, False, False)], 0)


def test_last_before_is_the_newest_earlier_row(any_stores: Stores):
    rows = klines(BTC, START, 10)
    any_stores.candles.insert(BTC, rows[:3] + rows[5:])
    assert any_stores.candles.last_before(BTC, START + 5 * MINUTE) == rows[2]
    assert any_stores.candles.last_before(BTC, START + 6 * MINUTE) == rows[5]
    assert any_stores.candles.last_before(BTC, START) is None
    assert any_stores.candles.last_before(ETH, START + 10 * MINUTE) is None


def test_buckets_aggregate_exactly_as_the_pure_reduction(any_stores: Stores):
    from cl3_common.derived.resample import ResamplePlan, aggregate_rows

    candles = any_stores.candles
    rows = klines(BTC, START, 3 * 1440)
    kept = [r for i, r in enumerate(rows) if not (100 <= i < 190 or i % 97 == 3)]
    candles.insert(BTC, kept)
    candles.insert(ETH, klines(ETH, START, 1440))  # another series under the same keys
    for target, tz in (("1h", None), ("4h", "+05:30"), ("1d", "America/New_York")):
        plan = ResamplePlan("1m", target, tz)
        window = plan.window(START + 30 * MINUTE, 1000, START + 3 * 1440 * MINUTE)
        bounds = plan.bounds(window)
        stored = candles.read(BTC, window.start, window.end)
        assert candles.aggregate(BTC, bounds) == aggregate_rows(stored, bounds)
        assert plan.from_aggregates(candles.aggregate(BTC, bounds)) == plan.resample(stored)
    hours = [(START + h * 60 * MINUTE, START + (h + 1) * 60 * MINUTE) for h in (1, 2, 5)]
    got = candles.aggregate(BTC, hours)
    # 01:00 lost its last 20 minutes, 02:00 all of them (no bucket), 05:00 is whole.
    assert [(a[0], a[1], a[2]) for a in got] == [(*hours[0], 40), (*hours[2], 60)]
    assert candles.aggregate(BTC, []) == []
    assert candles.aggregate(SeriesKey("SOLUSDT", "1m"), hours) == []
