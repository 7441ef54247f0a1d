"""The SQLite schema, versioned with `PRAGMA user_version` and upgraded in place at start-up.

Each migration is a list of statements; `migrate` applies the missing ones in one
`BEGIN IMMEDIATE` transaction, so processes starting at the same moment cannot both apply
one. Never edit a released migration: append a new one.

Candles are keyed by (series, open_time) in a WITHOUT ROWID table: the rows are stored in the
primary-key B-tree itself, so a range of one series is one contiguous index range scan. The
series key (market, kind, symbol, interval) is interned in `candle_series` as a small integer,
which keeps the key of every candle row 2 integers instead of 4 strings (about 25% of the file
size per candle) while meaning exactly the same thing. `candle_series` also holds the bounds
and count of each series, updated in the same transaction as every insert, so coverage costs
one row per series and never a count over candles.
"""

from __future__ import annotations

import sqlite3

from cl3_common.errors import PermanentError
from cl3_common.store.sqlite.database import SqliteDatabase

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: candles, their per-series bounds, tasks, tracked series, analyses.
    (
        """CREATE TABLE candle_series (
            id INTEGER PRIMARY KEY,
            market TEXT NOT NULL, kind TEXT NOT NULL, symbol TEXT NOT NULL, interval TEXT NOT NULL,
            first_open_time INTEGER, last_open_time INTEGER, count INTEGER NOT NULL DEFAULT 0,
            UNIQUE (market, kind, symbol, interval))""",
        """CREATE TABLE candles (
            series_id INTEGER NOT NULL REFERENCES candle_series(id),
            open_time INTEGER NOT NULL, close_time INTEGER NOT NULL,
            open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
            volume REAL NOT NULL, quote_volume REAL NOT NULL, trades INTEGER NOT NULL,
            taker_buy_base REAL NOT NULL, taker_buy_quote REAL NOT NULL,
            PRIMARY KEY (series_id, open_time)) WITHOUT ROWID""",
        """CREATE TABLE tasks (
            task_id TEXT PRIMARY KEY, owner TEXT NOT NULL, type TEXT NOT NULL,
            params TEXT NOT NULL, status TEXT NOT NULL, result TEXT, error TEXT,
            created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER)""",
        "CREATE INDEX tasks_owner ON tasks (owner, created_at)",
        """CREATE TABLE tracked_series (
            market TEXT NOT NULL, kind TEXT NOT NULL, symbol TEXT NOT NULL, interval TEXT NOT NULL,
            tracked_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
            first_requested_ms INTEGER NOT NULL,
            PRIMARY KEY (market, kind, symbol, interval)) WITHOUT ROWID""",
        """CREATE TABLE analyses (
            market TEXT NOT NULL, kind TEXT NOT NULL, symbol TEXT NOT NULL, interval TEXT NOT NULL,
            document TEXT NOT NULL, heatmap_png BLOB, computed_at INTEGER,
            PRIMARY KEY (market, kind, symbol, interval))""",
    ),
    # 2: the fetch ledger (causes of gaps) and the checksums of loaded archive files.
    (
        """CREATE TABLE fetch_ledger (
            series_id INTEGER NOT NULL REFERENCES candle_series(id),
            start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, outcome TEXT NOT NULL,
            error TEXT, at_ms INTEGER NOT NULL,
            PRIMARY KEY (series_id, start_ms)) WITHOUT ROWID""",
        """CREATE TABLE archive_files (
            path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, rows INTEGER NOT NULL,
            loaded_at INTEGER NOT NULL)""",
    ),
    # 3: funding-rate events, interned per (market, symbol) like candles, with their bounds
    # and whether the scheduled refresh tracks the series.
    (
        """CREATE TABLE funding_series (
            id INTEGER PRIMARY KEY,
            market TEXT NOT NULL, symbol TEXT NOT NULL,
            first_time INTEGER, last_time INTEGER, count INTEGER NOT NULL DEFAULT 0,
            tracked_at INTEGER, first_requested_ms INTEGER,
            UNIQUE (market, symbol))""",
        """CREATE TABLE funding_events (
            series_id INTEGER NOT NULL REFERENCES funding_series(id),
            funding_time INTEGER NOT NULL, rate REAL NOT NULL,
            mark_price REAL, interval_hours INTEGER,
            PRIMARY KEY (series_id, funding_time)) WITHOUT ROWID""",
    ),
    # 4: API keys, by the hash of the key (never the key itself).
    (
        """CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
            prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, tier TEXT NOT NULL,
            created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER)""",
        "CREATE INDEX api_keys_owner ON api_keys (owner, created_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: SqliteDatabase) -> int:
    """Brings the file to SCHEMA_VERSION; returns the version it was at."""
    with db.read() as conn:
        found = _version(conn)
    if found == SCHEMA_VERSION:
        return found
    with db.write() as conn:
        found = _version(conn)  # another process may have migrated meanwhile
        if found > SCHEMA_VERSION:
            raise PermanentError(
                f"{db.path} has schema version {found}, newer than this CL3 ({SCHEMA_VERSION})",
                system="sqlite",
            )
        for statements in MIGRATIONS[found:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
