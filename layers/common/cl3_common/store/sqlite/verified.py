"""Verified ranges in SQLite: merged on write, so a series holds a handful of rows."""

from __future__ import annotations

from cl3_common.store.keys import SeriesKey
from cl3_common.store.sqlite.database import SqliteDatabase

_SERIES = "market = ? AND kind = ? AND symbol = ? AND interval = ?"


def _series(key: SeriesKey) -> tuple[str, str, str, str]:
    return (key.market, key.kind, key.symbol, key.interval)


class SqliteVerifiedRangeStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def add(self, key: SeriesKey, start_ms: int, end_ms: int) -> None:
        if end_ms <= start_ms:
            return
        with self._db.write() as conn:
            # Everything touching or overlapping the new range becomes one row (atomic: the
            # write transaction holds the file's write lock).
            touching = conn.execute(
                f"SELECT start_ms, end_ms FROM verified_ranges WHERE {_SERIES} "
                "AND start_ms <= ? AND end_ms >= ?",
                (*_series(key), end_ms, start_ms),
            ).fetchall()
            lo = min([start_ms, *(s for s, _ in touching)])
            hi = max([end_ms, *(e for _, e in touching)])
            conn.executemany(
                f"DELETE FROM verified_ranges WHERE {_SERIES} AND start_ms = ?",
                [(*_series(key), s) for s, _ in touching],
            )
            conn.execute(
                "INSERT INTO verified_ranges (market, kind, symbol, interval, start_ms, end_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*_series(key), lo, hi),
            )

    def verified_until(self, key: SeriesKey, at_ms: int) -> int | None:
        with self._db.read() as conn:
            # The range starting last at or before `at_ms`: one step down the primary key.
            row = conn.execute(
                f"SELECT end_ms FROM verified_ranges WHERE {_SERIES} AND start_ms <= ? "
                "ORDER BY start_ms DESC LIMIT 1",
                (*_series(key), at_ms),
            ).fetchone()
        return int(row[0]) if row and row[0] > at_ms else None
