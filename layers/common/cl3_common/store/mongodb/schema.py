"""MongoDB collections, indexes and in-place upgrades, versioned in the `meta` collection.

Version 1 (from the first, spot-only layout): every candle gets `market`/`kind` fields
(`spot`/`trade` where missing; ids are unchanged), the compound index becomes
(market, kind, symbol, interval, open_time), and `candle_series` (per-series bounds and
counts kept by the writers) is built once from what is stored. Every step is idempotent, so
two processes starting together may both run it safely. Version 2 indexes the fetch ledger.
Version 3 indexes funding-rate events (`funding`, (market, symbol, funding_time)); their
per-series bounds and tracking flag live in `funding_series`.
Version 4 indexes `api_keys` (a unique `key_hash`; listed by owner).
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from cl3_common.store.mongodb.client import translated

CANDLE_INDEX = "series_open_time"
SERIES_FIELDS = ("market", "kind", "symbol", "interval")
FUNDING_INDEX = "series_funding_time"


def migrate(db: Database) -> int:
    """Applies the missing versions in order; returns the version the database was at."""
    with translated():
        meta = db["meta"].find_one({"_id": "schema"})
        found = int(meta["version"]) if meta else 0
        for version, step in enumerate(_STEPS[found:], start=found + 1):
            step(db)
            db["meta"].update_one({"_id": "schema"}, {"$set": {"version": version}}, upsert=True)
    return found


def _v1_markets_and_bounds(db: Database) -> None:
    candles = db["candles"]
    candles.create_index(
        [*((f, ASCENDING) for f in SERIES_FIELDS), ("open_time", ASCENDING)], name=CANDLE_INDEX
    )
    candles.update_many({"market": {"$exists": False}}, {"$set": {"market": "spot"}})
    candles.update_many({"kind": {"$exists": False}}, {"$set": {"kind": "trade"}})
    if "symbol_interval_open_time" in candles.index_information():
        candles.drop_index("symbol_interval_open_time")
    _rebuild_series_bounds(db)
    db["tasks"].create_index([("owner", ASCENDING), ("created_at", ASCENDING)])


def _v2_fetch_ledger(db: Database) -> None:
    db["fetch_ledger"].create_index([("series", ASCENDING), ("start", ASCENDING)])


def _v3_funding(db: Database) -> None:
    db["funding"].create_index(
        [("market", ASCENDING), ("symbol", ASCENDING), ("funding_time", ASCENDING)],
        name=FUNDING_INDEX,
    )


def _rebuild_series_bounds(db: Database) -> None:
    """Bounds of every stored series (only when upgrading a database from before version 1).

    Plain queries per series rather than $min/$max accumulators, which FerretDB lacks.
    """
    from cl3_common.store.keys import SeriesKey
    from cl3_common.store.mongodb.candles import dt_to_ms, series_filter

    candles = db["candles"]
    groups = candles.aggregate([{"$group": {"_id": {f: f"${f}" for f in SERIES_FIELDS}}}])
    for group in list(groups):
        key = SeriesKey.from_json(group["_id"])
        query = series_filter(key)
        first = candles.find_one(query, {"open_time": 1}, sort=[("open_time", ASCENDING)])
        last = candles.find_one(query, {"open_time": 1}, sort=[("open_time", DESCENDING)])
        if first is None or last is None:
            continue
        db["candle_series"].replace_one(
            {"_id": key.series_id},
            {**key.to_json(), "first_open_time": dt_to_ms(first["open_time"]),
             "last_open_time": dt_to_ms(last["open_time"]),
             "count": candles.count_documents(query)},
            upsert=True,
        )  # fmt: skip


def _v4_api_keys(db: Database) -> None:
    db["api_keys"].create_index("key_hash", unique=True, name="key_hash")
    db["api_keys"].create_index([("owner", ASCENDING), ("created_at", ASCENDING)])


_STEPS = (_v1_markets_and_bounds, _v2_fetch_ledger, _v3_funding, _v4_api_keys)
SCHEMA_VERSION = len(_STEPS)
