"""Funding-rate events in SQLite: one primary-key range scan per read, bounds kept by writers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from cl3_common.store.funding_base import FundingStoreBase
from cl3_common.store.funding_rows import FundingBounds, FundingKey, FundingRow
from cl3_common.store.sqlite.database import SqliteDatabase

_RANGE = "series_id = ? AND funding_time >= ? AND funding_time < ?"
_COLUMNS = "funding_time, rate, mark_price, interval_hours"
# A stored event keeps its values; it only gains what it lacked.
_UPSERT = f"""INSERT INTO funding_events (series_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (series_id, funding_time) DO UPDATE SET
    mark_price = coalesce(funding_events.mark_price, excluded.mark_price),
    interval_hours = coalesce(funding_events.interval_hours, excluded.interval_hours)"""
_BOUNDS = """UPDATE funding_series SET count = count + ?,
    first_time = min(coalesce(first_time, ?), ?),
    last_time = max(coalesce(last_time, ?), ?) WHERE id = ?"""
_SERIES = "SELECT market, symbol, first_time, last_time, count FROM funding_series"


def funding_series_id(conn: sqlite3.Connection, key: FundingKey, create: bool) -> int | None:
    """The series' id in `funding_series` (made when `create`), shared with its ledger."""
    if create:
        conn.execute("INSERT OR IGNORE INTO funding_series (market, symbol) VALUES (?, ?)",
                     (key.market, key.symbol))  # fmt: skip
    row = conn.execute("SELECT id FROM funding_series WHERE market = ? AND symbol = ?",
                       (key.market, key.symbol)).fetchone()  # fmt: skip
    return int(row[0]) if row else None


class SqliteFundingStore(FundingStoreBase):
    def __init__(self, db: SqliteDatabase, clock_ms: Callable[[], int]) -> None:
        self._db = db
        self._clock_ms = clock_ms

    def insert(self, key: FundingKey, rows: Sequence[FundingRow]) -> int:
        if not rows:
            return 0
        first = min(r[0] for r in rows)
        last = max(r[0] for r in rows)
        with self._db.write() as conn:
            sid = self._series_id(conn, key)
            before = self._count(conn, sid, first, last + 1)
            conn.executemany(_UPSERT, ((sid, *row) for row in rows))
            added = self._count(conn, sid, first, last + 1) - before
            conn.execute(_BOUNDS, (added, first, first, last, last, sid))
        return added

    @staticmethod
    def _count(conn: sqlite3.Connection, sid: int, start: int, end: int) -> int:
        sql = f"SELECT count(*) FROM funding_events WHERE {_RANGE}"
        return int(conn.execute(sql, (sid, start, end)).fetchone()[0])

    @staticmethod
    def _series_id(conn: sqlite3.Connection, key: FundingKey) -> int:
        sid = funding_series_id(conn, key, True)
        assert sid is not None
        return sid

    @staticmethod
    def _find(conn: sqlite3.Connection, key: FundingKey) -> int | None:
        return funding_series_id(conn, key, False)

    def read(
        self, key: FundingKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[FundingRow]:
        with self._db.read() as conn:
            sid = self._find(conn, key)
            if sid is None:
                return []
            sql = f"SELECT {_COLUMNS} FROM funding_events WHERE {_RANGE} ORDER BY funding_time"
            if limit is not None:
                return conn.execute(sql + " LIMIT ?", (sid, start_ms, end_ms, limit)).fetchall()
            return conn.execute(sql, (sid, start_ms, end_ms)).fetchall()

    def previous(self, key: FundingKey, before_ms: int) -> FundingRow | None:
        with self._db.read() as conn:
            sid = self._find(conn, key)
            if sid is None:
                return None
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM funding_events WHERE series_id = ? AND funding_time < ? "
                "ORDER BY funding_time DESC LIMIT 1", (sid, before_ms),
            ).fetchone()  # fmt: skip
        return row if row else None

    def _stored_series(self, equal: dict[str, str]) -> list[FundingBounds]:
        where = " AND ".join(["count > 0", *(f"{column} = ?" for column in equal)])
        sql = f"{_SERIES} WHERE {where} ORDER BY market, symbol"
        with self._db.read() as conn:
            return [FundingBounds(*row) for row in conn.execute(sql, list(equal.values()))]

    def track(self, key: FundingKey, *, first_ms: int | None = None) -> None:
        now = self._clock_ms()
        first = now if first_ms is None else first_ms
        with self._db.write() as conn:
            sid = self._series_id(conn, key)
            conn.execute(
                "UPDATE funding_series SET tracked_at = coalesce(tracked_at, ?), "
                "first_requested_ms = min(coalesce(first_requested_ms, ?), ?) WHERE id = ?",
                (now, first, first, sid),
            )

    def tracked(self) -> list[FundingKey]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT market, symbol FROM funding_series WHERE tracked_at "
                                "IS NOT NULL ORDER BY market, symbol").fetchall()  # fmt: skip
        return [FundingKey(*row) for row in rows]
