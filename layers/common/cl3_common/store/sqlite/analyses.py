"""Seasonality analyses in SQLite: the latest document and heatmap of each series, in one row.

The picture and the numbers it was drawn from are replaced in one statement, so a reader can
never get the picture of one run with the numbers of another.
"""

from __future__ import annotations

import json
from typing import Any

from cl3_common.store.keys import SeriesKey
from cl3_common.store.sqlite.database import SqliteDatabase

_WHERE = "market = ? AND kind = ? AND symbol = ? AND interval = ?"


def _params(key: SeriesKey) -> tuple[str, str, str, str]:
    return key.market, key.kind, key.symbol, key.interval


class SqliteAnalysisStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def save(self, key: SeriesKey, doc: dict[str, Any], png: bytes | None) -> None:
        body = json.dumps(doc, allow_nan=False)
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO analyses (market, kind, symbol, interval, document, "
                "heatmap_png, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*_params(key), body, png, doc.get("computed_at")),
            )

    def get(self, key: SeriesKey) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT document FROM analyses WHERE {_WHERE}",
                               _params(key)).fetchone()  # fmt: skip
        return json.loads(row[0]) if row else None

    def heatmap(self, key: SeriesKey) -> bytes | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT heatmap_png FROM analyses WHERE {_WHERE}",
                               _params(key)).fetchone()  # fmt: skip
        return bytes(row[0]) if row and row[0] is not None else None

    def series_keys(self) -> list[SeriesKey]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT symbol, interval, market, kind FROM analyses").fetchall()
        return sorted(SeriesKey(*row) for row in rows)
