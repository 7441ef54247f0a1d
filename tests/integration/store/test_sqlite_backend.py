"""What only the `sqlite` backend has: its versioned schema and several writing processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from cl3_common.errors import PermanentError, Unavailable
from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.store.factory import open_sqlite
from cl3_common.store.sqlite.database import SqliteDatabase
from cl3_common.store.sqlite.schema import SCHEMA_VERSION, migrate
from cl3_sandbox.exchange import expected_klines

START = 1_704_067_200_000
MINUTE = 60_000


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_new_file_gets_the_current_schema_once(tmp_path: Path):
    path = tmp_path / "new.sqlite3"
    open_sqlite(path).close()
    assert _version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 16384
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'candles'").fetchone()[0]
    assert "WITHOUT ROWID" in ddl and "PRIMARY KEY (series_id, open_time)" in ddl
    assert migrate(SqliteDatabase(path)) == SCHEMA_VERSION  # nothing left to apply


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path):
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(PermanentError, match="newer than this CL3"):
        open_sqlite(path)


def _writer(path: str, symbol: str, days: int) -> int:
    stores = open_sqlite(path, busy_timeout_s=30)
    key = SeriesKey(symbol, "1m")
    written = 0
    for day in range(days):
        start = START + day * 1440 * MINUTE
        raw = expected_klines(symbol, "1m", start, start + 1440 * MINUTE - 1,
                              now_ms=START + 10**12)  # fmt: skip
        rows = [kline_to_row(r) for r in raw]
        for i in range(0, len(rows), 240):  # many small transactions: many chances to collide
            written += stores.candles.insert(key, rows[i : i + 240])
    stores.close()
    return written


def _reader(path: str, rounds: int) -> int:
    stores = open_sqlite(path, busy_timeout_s=30)
    seen = 0
    for _ in range(rounds):
        seen += len(stores.candles.read(SeriesKey("BTCUSDT", "1m"), START, START + 10**10, 500))
        stores.candles.list_series()
    stores.close()
    return seen


def test_processes_write_and_read_at_once_without_lock_errors(tmp_path: Path):
    path = str(tmp_path / "shared.sqlite3")
    open_sqlite(path).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        writes = [
            pool.apply_async(_writer, (path, s, 3)) for s in ("BTCUSDT", "ETHUSDT", "BNBUSDT")
        ]
        reads = pool.apply_async(_reader, (path, 300))
        written = [w.get(timeout=120) for w in writes]
        reads.get(timeout=120)
    stores = open_sqlite(path)
    try:
        for symbol, count in zip(("BTCUSDT", "ETHUSDT", "BNBUSDT"), written, strict=True):
            bounds = stores.candles.bounds(SeriesKey(symbol, "1m"))
            assert bounds is not None and bounds.count == count
            got = stores.candles.count(SeriesKey(symbol, "1m"), START, START + 3 * 1440 * MINUTE)
            assert got == count
    finally:
        stores.close()


def test_a_file_of_an_older_version_is_upgraded_in_place_keeping_its_data(tmp_path: Path):
    from cl3_common.store.sqlite.schema import MIGRATIONS

    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as conn:  # a file as version 1 left it, with a candle in it
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO candle_series (id, market, kind, symbol, interval, first_open_time, "
            "last_open_time, count) VALUES (1, 'spot', 'trade', 'BTCUSDT', '1m', ?, ?, 1)",
            (START, START),
        )
        conn.execute("INSERT INTO candles VALUES (1, ?, ?, 1, 2, 0.5, 1.5, 10, 15, 3, 4, 6)",
                     (START, START + MINUTE - 1))  # fmt: skip
    stores = open_sqlite(path)
    try:
        assert _version(path) == SCHEMA_VERSION > 1
        assert stores.candles.read(SeriesKey("BTCUSDT", "1m"), START, START + MINUTE) == [
            (START, START + MINUTE - 1, 1.0, 2.0, 0.5, 1.5, 10.0, 15.0, 3, 4.0, 6.0)]  # fmt: skip
        assert stores.ledger.records(SeriesKey("BTCUSDT", "1m"), 0, 2**62) == []
    finally:
        stores.close()


@pytest.mark.parametrize("size", [1, 255, 256, 257, 8192, 8193, 20_001])
def test_inserts_of_every_size_store_each_row_once(tmp_path: Path, size: int):
    """Batches are written as padded statements of a few fixed sizes (the padding repeats a
    row): whatever the batch's size, each row is stored once, exactly, and counted once."""
    stores = open_sqlite(tmp_path / "sizes.sqlite3")
    key = SeriesKey("BTCUSDT", "1m")
    end = START + size * MINUTE
    rows = [kline_to_row(k) for k in expected_klines("BTCUSDT", "1m", START, end - 1,
                                                     now_ms=end + MINUTE)]  # fmt: skip
    assert len(rows) == size
    try:
        assert stores.candles.insert(key, rows) == size
        assert stores.candles.insert(key, rows[::-1]) == 0  # all there already
        assert stores.candles.replace(key, rows) == size
        assert stores.candles.read(key, START, end) == rows
        bounds = stores.candles.bounds(key)
        assert bounds is not None
        assert (bounds.count, bounds.first_open_time, bounds.last_open_time) == (
            size, START, end - MINUTE,
        )  # fmt: skip
    finally:
        stores.close()


def test_a_store_whose_directory_cannot_be_made_is_unavailable(tmp_path: Path):
    """An outage the job runner waits out (and the API answers 503), not a raw OSError."""
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the store's directory should be")
    with pytest.raises(Unavailable, match="sqlite store is unavailable"):
        open_sqlite(blocked / "cl3.sqlite3")
