"""The fetch ledger in SQLite: per series, disjoint [start, end) records of fetch outcomes."""

from __future__ import annotations

import json

from cl3_common.derived.gaps import FetchRecord, merge_ledger
from cl3_common.store.keys import SeriesKey
from cl3_common.store.sqlite.database import SqliteDatabase
from cl3_common.store.sqlite.series_ids import SeriesIds

_OVERLAPPING = "series_id = ? AND start_ms <= ? AND end_ms >= ?"


class SqliteLedgerStore:
    def __init__(self, db: SqliteDatabase, ids: SeriesIds) -> None:
        self._db = db
        self._ids = ids

    def record(self, key: SeriesKey, *records: FetchRecord) -> None:
        if not records:
            return
        lo, hi = min(r.start_ms for r in records), max(r.end_ms for r in records)
        with self._db.write() as conn:
            sid = self._ids.get(conn, key, create=True)
            # Touching records too (<=, >=): equal neighbours coalesce with the new ones.
            rows = conn.execute(
                "SELECT start_ms, end_ms, outcome, error, at_ms FROM fetch_ledger "
                f"WHERE {_OVERLAPPING}", (sid, hi, lo)
            ).fetchall()  # fmt: skip
            merged = merge_ledger([_record(r) for r in rows], *records)
            conn.execute(f"DELETE FROM fetch_ledger WHERE {_OVERLAPPING}", (sid, hi, lo))
            conn.executemany(
                "INSERT INTO fetch_ledger (series_id, start_ms, end_ms, outcome, error, at_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, r.start_ms, r.end_ms, r.outcome,
                  json.dumps(r.error) if r.error else None, r.at_ms) for r in merged],
            )  # fmt: skip

    def records(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[FetchRecord]:
        with self._db.read() as conn:
            sid = self._ids.get(conn, key, create=False)
            if sid is None:
                return []
            rows = conn.execute(
                "SELECT start_ms, end_ms, outcome, error, at_ms FROM fetch_ledger "
                "WHERE series_id = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms",
                (sid, end_ms, start_ms),
            ).fetchall()
        return [_record(r) for r in rows]


def _record(row: tuple) -> FetchRecord:
    start, end, outcome, error, at = row
    return FetchRecord(start, end, outcome, json.loads(error) if error else None, at)
