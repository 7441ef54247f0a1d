"""Fetch ledgers in SQLite: per series, disjoint [start, end) records of fetch outcomes.

Two tables share the layout and the code: `fetch_ledger` (candle series, keyed by
`candle_series.id`) and `funding_ledger` (funding series, keyed by `funding_series.id`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Generic, TypeVar

from cl3_common.derived.gaps import FetchRecord, merge_ledger
from cl3_common.store.funding_rows import FundingKey
from cl3_common.store.keys import SeriesKey
from cl3_common.store.sqlite.database import SqliteDatabase
from cl3_common.store.sqlite.funding import funding_series_id
from cl3_common.store.sqlite.series_ids import SeriesIds

K = TypeVar("K")
# (connection, key, create) -> the series' integer id, None if it has none and create is off
IdResolver = Callable[[sqlite3.Connection, K, bool], int | None]

_OVERLAPPING = "series_id = ? AND start_ms <= ? AND end_ms >= ?"


class _SqliteLedger(Generic[K]):
    def __init__(self, db: SqliteDatabase, table: str, series_id: IdResolver[K]) -> None:
        self._db = db
        self._table = table
        self._series_id = series_id

    def record(self, key: K, *records: FetchRecord) -> None:
        if not records:
            return
        lo, hi = min(r.start_ms for r in records), max(r.end_ms for r in records)
        with self._db.write() as conn:
            sid = self._series_id(conn, key, True)
            # Touching records too (<=, >=): equal neighbours coalesce with the new ones.
            rows = conn.execute(
                f"SELECT start_ms, end_ms, outcome, error, at_ms FROM {self._table} "
                f"WHERE {_OVERLAPPING}", (sid, hi, lo)
            ).fetchall()  # fmt: skip
            merged = merge_ledger([_record(r) for r in rows], *records)
            conn.execute(f"DELETE FROM {self._table} WHERE {_OVERLAPPING}", (sid, hi, lo))
            conn.executemany(
                f"INSERT INTO {self._table} (series_id, start_ms, end_ms, outcome, error, at_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, r.start_ms, r.end_ms, r.outcome,
                  json.dumps(r.error) if r.error else None, r.at_ms) for r in merged],
            )  # fmt: skip

    def records(self, key: K, start_ms: int, end_ms: int) -> list[FetchRecord]:
        with self._db.read() as conn:
            sid = self._series_id(conn, key, False)
            if sid is None:
                return []
            rows = conn.execute(
                f"SELECT start_ms, end_ms, outcome, error, at_ms FROM {self._table} "
                "WHERE series_id = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms",
                (sid, end_ms, start_ms),
            ).fetchall()
        return [_record(r) for r in rows]


class SqliteLedgerStore(_SqliteLedger[SeriesKey]):
    def __init__(self, db: SqliteDatabase, ids: SeriesIds) -> None:
        super().__init__(db, "fetch_ledger",
                         lambda conn, key, create: ids.get(conn, key, create=create))  # fmt: skip


class SqliteFundingLedgerStore(_SqliteLedger[FundingKey]):
    def __init__(self, db: SqliteDatabase) -> None:
        super().__init__(db, "funding_ledger", funding_series_id)


def _record(row: tuple) -> FetchRecord:
    start, end, outcome, error, at = row
    return FetchRecord(start, end, outcome, json.loads(error) if error else None, at)
