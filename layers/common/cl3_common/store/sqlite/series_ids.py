"""Series keys interned as small integers (`candle_series.id`), cached per process.

Ids never change once committed, so the cache holds only committed ones: an id created inside
a write transaction is cached the next time it is read.
"""

from __future__ import annotations

import sqlite3

from cl3_common.store.keys import SeriesKey


class SeriesIds:
    def __init__(self) -> None:
        self._ids: dict[SeriesKey, int] = {}

    def get(self, conn: sqlite3.Connection, key: SeriesKey, *, create: bool) -> int | None:
        sid = self._ids.get(key)
        if sid is not None:
            return sid
        params = (key.market, key.kind, key.symbol, key.interval)
        found = conn.execute(
            "SELECT id FROM candle_series WHERE market = ? AND kind = ? AND symbol = ? "
            "AND interval = ?", params
        ).fetchone()  # fmt: skip
        if found is not None:
            self._ids[key] = int(found[0])
            return self._ids[key]
        if not create:
            return None
        cursor = conn.execute(
            "INSERT INTO candle_series (market, kind, symbol, interval) VALUES (?, ?, ?, ?)", params
        )
        return int(cursor.lastrowid or 0)
