"""Candles in SQLite: one primary-key range scan per read, bounds kept by every insert."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cl3_common.derived.resample import Aggregate
from cl3_common.store.candles_base import CandleStoreBase
from cl3_common.store.keys import SeriesKey
from cl3_common.store.protocols import BatchCallback
from cl3_common.store.rows import Row, SeriesBounds
from cl3_common.store.sqlite.database import SqliteDatabase
from cl3_common.store.sqlite.series_ids import SeriesIds

if TYPE_CHECKING:
    import numpy as np

_COLUMNS = ("open_time, close_time, open, high, low, close, volume, quote_volume, trades, "
            "taker_buy_base, taker_buy_quote")  # fmt: skip
_RANGE = "series_id = ? AND open_time >= ? AND open_time < ?"
_INSERT = f"INSERT OR IGNORE INTO candles (series_id, {_COLUMNS}) VALUES "
_REPLACE = _INSERT.replace("INSERT OR IGNORE", "INSERT OR REPLACE")
# The series id is bound once, as ?1, for every row: a row's own values are then the batch's
# rows flattened in C (itertools.chain), not a list built value by value holding the GIL.
_ROW = "(?1, " + ", ".join("?" * 11) + ")"
# Rows per statement: one multi-row VALUES is one sqlite3_step, so the GIL is released and
# re-taken once per statement. While the pager's fetch threads keep the GIL busy, each
# re-take waits up to a switch interval (5 ms): at 500 rows a statement a year of 1m paid
# ~1,050 of them. Up to 8,192 rows (90,113 parameters) where the build allows it (Debian's
# allows 250,000); SQLite's default limit of 32,766 gives 2,048 (`_rows_per_statement`).
_ROWS_PER_STATEMENT = 8192
# Statement sizes are powers of two from 256 rows (a short one is padded by repeating its
# last row, which the primary key ignores or replaces with itself): six statement texts per
# verb, kept prepared in sqlite3's cache, instead of one per batch length. Each prepared size
# holds memory in every connection that used it (~1.5 MB per 1,000 rows): 32 sizes in steps
# of 256 rows cost 48 MB a connection, these ~6 MB.
_SMALLEST = 256
_BOUNDS = """UPDATE candle_series SET count = count + ?,
    first_open_time = min(coalesce(first_open_time, ?), ?),
    last_open_time = max(coalesce(last_open_time, ?), ?) WHERE id = ?"""
_COLUMN_BATCH = 100_000
FAR_FUTURE_MS = 2**62
# Resampling on read, in SQLite's engine: the bucket bounds go (from a json_each list) into a
# per-connection temporary table keyed by the bucket's open time, so the join with the
# candles' primary key runs in the bounds' order and GROUP BY needs no sort; the sums then add
# each bucket's candles in open-time order, as the pure function does (a sorter, as with
# json_each joined directly, costs twice the time). First open and last close are two
# primary-key seeks per bucket. 1,000 1h buckets of 60,000 1m candles: ~25 ms here against
# ~110 ms to read the rows into Python.
_BUCKETS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS resample_bounds (lo INTEGER PRIMARY KEY, hi INTEGER NOT NULL)"
)
_FILL_BUCKETS = ("INSERT INTO temp.resample_bounds (lo, hi) "
                 "SELECT value ->> 0, value ->> 1 FROM json_each(?)")  # fmt: skip
_AGGREGATE = """
SELECT g.lo, g.hi, g.n,
    (SELECT open FROM candles WHERE series_id = ?1 AND open_time >= g.lo
     ORDER BY open_time LIMIT 1),
    g.high, g.low,
    (SELECT close FROM candles WHERE series_id = ?1 AND open_time < g.hi
     ORDER BY open_time DESC LIMIT 1),
    g.v, g.q, g.t, g.tb, g.tq
FROM (SELECT b.lo AS lo, b.hi AS hi, count(*) AS n, max(c.high) AS high, min(c.low) AS low,
             sum(c.volume) AS v, sum(c.quote_volume) AS q, sum(c.trades) AS t,
             sum(c.taker_buy_base) AS tb, sum(c.taker_buy_quote) AS tq
      FROM temp.resample_bounds AS b JOIN candles AS c
        ON c.series_id = ?1 AND c.open_time >= b.lo AND c.open_time < b.hi
      GROUP BY b.lo) AS g
ORDER BY g.lo"""


class SqliteCandleStore(CandleStoreBase):
    kept_count_is_exact = True  # written in the insert's own transaction

    def __init__(self, db: SqliteDatabase, ids: SeriesIds) -> None:
        self._db = db
        self._ids = ids

    # -- writes -----------------------------------------------------------------------------
    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        return self._write(key, rows, _INSERT)

    def replace(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        return self._write(key, rows, _REPLACE)

    def _write(self, key: SeriesKey, rows: Sequence[Row], statement: str) -> int:
        if not rows:
            return 0
        open_times = [r[0] for r in rows]
        first, last = min(open_times), max(open_times)
        with self._db.write() as conn:
            sid = self._ids.get(conn, key, create=True)
            assert sid is not None
            before = self._stored_between(conn, sid, first, last) if statement is _REPLACE else 0
            changes = conn.total_changes
            _insert_rows(conn, statement, sid, rows)
            if statement is _REPLACE:
                added = self._stored_between(conn, sid, first, last) - before
            else:
                added = conn.total_changes - changes
            conn.execute(_BOUNDS, (added, first, first, last, last, sid))
        return added if statement is _INSERT else len(rows)

    @staticmethod
    def _stored_between(conn: sqlite3.Connection, sid: int, first: int, last: int) -> int:
        return int(conn.execute(f"SELECT count(*) FROM candles WHERE {_RANGE}",
                                (sid, first, last + 1)).fetchone()[0])  # fmt: skip

    # -- reads ------------------------------------------------------------------------------
    def read(
        self, key: SeriesKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[Row]:
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return []
            sql = f"SELECT {_COLUMNS} FROM candles WHERE {_RANGE} ORDER BY open_time"
            if limit is not None:
                return conn.execute(sql + " LIMIT ?", (sid, start_ms, end_ms, limit)).fetchall()
            return conn.execute(sql, (sid, start_ms, end_ms)).fetchall()

    def aggregate(self, key: SeriesKey, bounds: list[tuple[int, int]]) -> list[Aggregate]:
        if not bounds:
            return []
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return []
            conn.execute(_BUCKETS_TABLE)
            # The temporary table is this connection's (and thread's) alone; filling and
            # reading it is one transaction of the temp database, which takes no lock on the
            # file, and the SELECT still reads one snapshot of it.
            conn.execute("BEGIN")
            try:
                conn.execute("DELETE FROM temp.resample_bounds")
                conn.execute(_FILL_BUCKETS, (json.dumps(bounds),))
                rows: list[Aggregate] = conn.execute(_AGGREGATE, (sid,)).fetchall()
            finally:
                conn.execute("ROLLBACK")  # nothing to keep: the bounds are per call
        return rows

    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[int]:
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return []
            cursor = conn.execute(
                f"SELECT open_time FROM candles WHERE {_RANGE} ORDER BY open_time",
                (sid, start_ms, end_ms),
            )
            return [t for (t,) in cursor]

    def last_before(self, key: SeriesKey, before_ms: int) -> Row | None:
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return None
            row: Row | None = conn.execute(
                f"SELECT {_COLUMNS} FROM candles WHERE series_id = ? AND open_time < ? "
                "ORDER BY open_time DESC LIMIT 1",
                (sid, before_ms),
            ).fetchone()
        return row

    def count(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, at_most: int | None = None
    ) -> int:
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return 0
            if at_most is None:
                sql = f"SELECT count(*) FROM candles WHERE {_RANGE}"
                return int(conn.execute(sql, (sid, start_ms, end_ms)).fetchone()[0])
            sql = f"SELECT count(*) FROM (SELECT 1 FROM candles WHERE {_RANGE} LIMIT ?)"
            return int(conn.execute(sql, (sid, start_ms, end_ms, max(0, at_most))).fetchone()[0])

    def _stored_series(self, equal: dict[str, str]) -> list[SeriesBounds]:
        where = " AND ".join(["count > 0", *(f"{column} = ?" for column in equal)])
        sql = (
            "SELECT market, kind, symbol, interval, first_open_time, last_open_time, count "
            f"FROM candle_series WHERE {where} ORDER BY market, kind, symbol, interval"
        )
        with self._db.read() as conn:
            return [SeriesBounds(*row) for row in conn.execute(sql, list(equal.values()))]

    def columns(
        self,
        key: SeriesKey,
        start_ms: int | None = None,
        end_ms: int | None = None,
        *,
        on_batch: BatchCallback | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np  # worker side only: the API never reads whole series

        chunks: list[np.ndarray] = []
        read = 0
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is not None:
                cursor = conn.execute(
                    f"SELECT open_time, close FROM candles WHERE {_RANGE} ORDER BY open_time",
                    (sid, start_ms or 0, FAR_FUTURE_MS if end_ms is None else end_ms),
                )
                # Flattened (open_time, close) pairs straight into float64: open times are
                # below 2**53, so they round-trip exactly; no tuple list is ever built.
                while batch := cursor.fetchmany(_COLUMN_BATCH):
                    flat = np.fromiter(itertools.chain.from_iterable(batch), np.float64)
                    chunks.append(flat)
                    read += len(batch)
                    if on_batch is not None:
                        on_batch(read)
        if not chunks:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        pairs = np.concatenate(chunks).reshape(-1, 2)
        return pairs[:, 0].astype(np.int64), np.ascontiguousarray(pairs[:, 1])


_statements: dict[tuple[str, int], str] = {}


def _rows_per_statement(conn: sqlite3.Connection) -> int:
    most = min(_ROWS_PER_STATEMENT, (conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // 11)
    return 1 << (most.bit_length() - 1)  # the largest power of two the build allows


def _insert_rows(conn: sqlite3.Connection, verb: str, sid: int, rows: Sequence[Row]) -> None:
    per_statement = _rows_per_statement(conn)
    for i in range(0, len(rows), per_statement):
        part = rows[i : i + per_statement]
        size = max(min(_SMALLEST, per_statement), 1 << (len(part) - 1).bit_length())
        sql = _statements.get((verb, size))
        if sql is None:
            sql = _statements[(verb, size)] = verb + ", ".join([_ROW] * size)
        params: list[object] = [sid, *itertools.chain.from_iterable(part)]
        if size > len(part):
            params.extend(part[-1] * (size - len(part)))
        conn.execute(sql, params)
