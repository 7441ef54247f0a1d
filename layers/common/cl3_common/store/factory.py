"""Opens every store of one backend, chosen by settings (or by a URL, for `cl3 store copy`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from cl3_common.intervals import ClockMs, now_ms
from cl3_common.store.protocols import (
    AnalysisStore,
    ApiKeyStore,
    ArchiveFileStore,
    CandleStore,
    FundingLedgerStore,
    FundingStore,
    LedgerStore,
    TaskStore,
    TrackedSeriesStore,
)
from cl3_common.timeouts import REQUEST_READ_S

if TYPE_CHECKING:
    from cl3_common.settings import Settings


@dataclass
class Stores:
    backend: str  # "sqlite" | "mongodb"
    location: str  # the file, or the server and database (no credentials)
    candles: CandleStore
    tasks: TaskStore
    series: TrackedSeriesStore
    analyses: AnalysisStore
    ledger: LedgerStore
    archive_files: ArchiveFileStore
    funding: FundingStore
    ping: Callable[[], bool]
    close: Callable[[], None]
    api_keys: ApiKeyStore  # the Binance mirror's API keys (cl3_common.auth.api_keys)
    funding_ledger: FundingLedgerStore  # fundingRate ranges asked of the exchange (the mirror)


def open_stores(
    settings: Settings,
    *,
    clock_ms: ClockMs = now_ms,
    request_path: bool = False,
    instrumented: bool = True,
) -> Stores:
    """`request_path`: an API process, where a stalled server must fail fast (a 503 in about
    2 s, cl3_common.timeouts) rather than hold the request; workers wait longer for big writes.
    `instrumented=False`: no store metrics (a helper process whose calls its parent counts)."""
    from cl3_common.observability.stores import instrument_stores  # ops: store latency metrics

    timed = instrument_stores if instrumented else _as_opened

    # pymongo re-checks a server every 500 ms while selecting one: 1.5 s gives up by ~2 s.
    wait_ms = int(REQUEST_READ_S * 1000) - 500
    if settings.STORE_BACKEND == "sqlite":
        busy_s = REQUEST_READ_S if request_path else 30.0
        return timed(open_sqlite(settings.SQLITE_PATH, clock_ms=clock_ms, busy_timeout_s=busy_s))
    assert settings.MONGODB_URI is not None  # Settings refuses mongodb without a URI
    return timed(open_mongodb(
        settings.MONGODB_URI, settings.MONGODB_DB, clock_ms=clock_ms,
        timeout_ms=wait_ms if request_path else 5000,
        socket_timeout_ms=int(REQUEST_READ_S * 1000) + 500 if request_path else 120_000,
    ))  # fmt: skip


def _as_opened(stores: Stores) -> Stores:
    return stores


def open_store_url(url: str, *, clock_ms: ClockMs = now_ms) -> Stores:
    """`sqlite:///abs/path.sqlite3`, `sqlite:relative/path` or `mongodb://host:port/db`."""
    if url.startswith("sqlite:"):
        path = url[len("sqlite://") :] if url.startswith("sqlite://") else url[len("sqlite:") :]
        if not path:
            raise ValueError(f"{url!r} names no file")
        return open_sqlite(path, clock_ms=clock_ms)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        db = urlparse(url).path.strip("/") or "cl3"
        return open_mongodb(url, db, clock_ms=clock_ms)
    raise ValueError(f"unknown store URL {url!r}: use sqlite:///path or mongodb://host/db")


def open_sqlite(path: str | Path, *, clock_ms: ClockMs = now_ms,
                busy_timeout_s: float = 30.0) -> Stores:  # fmt: skip
    from cl3_common.store.sqlite.analyses import SqliteAnalysisStore
    from cl3_common.store.sqlite.api_keys import SqliteApiKeyStore
    from cl3_common.store.sqlite.archive_files import SqliteArchiveFileStore
    from cl3_common.store.sqlite.candles import SqliteCandleStore
    from cl3_common.store.sqlite.database import SqliteDatabase
    from cl3_common.store.sqlite.funding import SqliteFundingStore
    from cl3_common.store.sqlite.ledger import SqliteFundingLedgerStore, SqliteLedgerStore
    from cl3_common.store.sqlite.schema import migrate
    from cl3_common.store.sqlite.series import SqliteTrackedSeriesStore
    from cl3_common.store.sqlite.series_ids import SeriesIds
    from cl3_common.store.sqlite.tasks import SqliteTaskStore

    db = SqliteDatabase(path, busy_timeout_s=busy_timeout_s)
    migrate(db)
    ids = SeriesIds()
    return Stores(
        backend="sqlite",
        location=str(db.path),
        candles=SqliteCandleStore(db, ids),
        tasks=SqliteTaskStore(db, clock_ms),
        series=SqliteTrackedSeriesStore(db, clock_ms),
        analyses=SqliteAnalysisStore(db),
        ledger=SqliteLedgerStore(db, ids),
        archive_files=SqliteArchiveFileStore(db),
        funding=SqliteFundingStore(db, clock_ms),
        ping=db.ping,
        close=db.close,
        api_keys=SqliteApiKeyStore(db),
        funding_ledger=SqliteFundingLedgerStore(db),
    )


def open_mongodb(
    uri: str,
    db_name: str,
    *,
    clock_ms: ClockMs = now_ms,
    timeout_ms: int = 5000,
    socket_timeout_ms: int | None = None,
) -> Stores:
    from cl3_common.store.mongodb.analyses import MongoAnalysisStore
    from cl3_common.store.mongodb.api_keys import MongoApiKeyStore
    from cl3_common.store.mongodb.archive_files import MongoArchiveFileStore
    from cl3_common.store.mongodb.candles import MongoCandleStore
    from cl3_common.store.mongodb.client import connect_mongo, mongo_ping
    from cl3_common.store.mongodb.funding import MongoFundingStore
    from cl3_common.store.mongodb.ledger import MongoFundingLedgerStore, MongoLedgerStore
    from cl3_common.store.mongodb.schema import migrate
    from cl3_common.store.mongodb.series import MongoTrackedSeriesStore
    from cl3_common.store.mongodb.tasks import MongoTaskStore

    client = connect_mongo(uri, timeout_ms=timeout_ms, socket_timeout_ms=socket_timeout_ms)
    db = client[db_name]
    migrate(db)
    parsed = urlparse(uri)
    return Stores(
        backend="mongodb",
        location=f"{parsed.hostname}:{parsed.port or 27017}/{db_name}",
        candles=MongoCandleStore(db),
        tasks=MongoTaskStore(db, clock_ms),
        series=MongoTrackedSeriesStore(db, clock_ms),
        analyses=MongoAnalysisStore(db),
        ledger=MongoLedgerStore(db),
        archive_files=MongoArchiveFileStore(db),
        funding=MongoFundingStore(db, clock_ms),
        ping=lambda: mongo_ping(client),
        close=client.close,
        api_keys=MongoApiKeyStore(db),
        funding_ledger=MongoFundingLedgerStore(db),
    )
