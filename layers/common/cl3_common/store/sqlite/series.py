"""Tracked series in SQLite: what the scheduled refresh keeps fresh."""

from __future__ import annotations

from collections.abc import Callable

from cl3_common.store.keys import SeriesKey
from cl3_common.store.sqlite.database import SqliteDatabase


class SqliteTrackedSeriesStore:
    def __init__(self, db: SqliteDatabase, clock_ms: Callable[[], int]) -> None:
        self._db = db
        self._clock_ms = clock_ms

    def track(
        self, key: SeriesKey, *, first_ms: int | None = None, at_ms: int | None = None
    ) -> None:
        now = self._clock_ms() if at_ms is None else at_ms
        first = now if first_ms is None else first_ms
        with self._db.write() as conn:
            conn.execute(
                """INSERT INTO tracked_series
                   (market, kind, symbol, interval, tracked_at, updated_at, first_requested_ms)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (market, kind, symbol, interval) DO UPDATE SET
                   updated_at = excluded.updated_at,
                   first_requested_ms = min(first_requested_ms, excluded.first_requested_ms)""",
                (key.market, key.kind, key.symbol, key.interval, now, now, first),
            )

    def all(self) -> list[SeriesKey]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT symbol, interval, market, kind FROM tracked_series "
                "ORDER BY market, kind, symbol, interval"
            ).fetchall()
        return [SeriesKey(*row) for row in rows]
