"""What only the `mongodb` backend has: its documents, ids, upgrade in place and raw reads."""

from __future__ import annotations

from datetime import UTC, datetime

from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.store.factory import open_mongodb
from cl3_common.store.mongodb.candles import MongoCandleStore, row_to_doc
from cl3_common.store.mongodb.columns import decode_batch
from cl3_common.store.mongodb.schema import SCHEMA_VERSION, migrate
from cl3_sandbox.exchange import expected_klines

START = 1_704_067_200_000
HOUR = 3_600_000


def _rows(symbol: str, n: int) -> list:
    raw = expected_klines(symbol, "1h", START, START + n * HOUR - 1, now_ms=START + 10**12)
    return [kline_to_row(r) for r in raw]


def test_documents_keep_the_documented_ids_and_types(mongo_uri, mongo_db_name, mongo_db):
    stores = open_mongodb(mongo_uri, mongo_db_name)
    try:
        stores.candles.insert(SeriesKey("BTCUSDT", "1h"), _rows("BTCUSDT", 2))
        stores.candles.insert(SeriesKey("BTCUSDT", "1h", "usdm", "mark"), _rows("BTCUSDT", 1))
    finally:
        stores.close()
    ids = sorted(d["_id"] for d in mongo_db["candles"].find({}, {"_id": 1}))
    assert ids == [f"BTCUSDT_1h_{START}", f"BTCUSDT_1h_{START + HOUR}",
                   f"usdm:mark:BTCUSDT_1h_{START}"]  # fmt: skip
    doc = mongo_db["candles"].find_one({"_id": f"BTCUSDT_1h_{START}"})
    assert doc["open_time"] == datetime.fromtimestamp(START / 1000, tz=UTC)
    assert (doc["market"], doc["kind"], doc["symbol"], doc["interval"]) == (
        "spot", "trade", "BTCUSDT", "1h")  # fmt: skip
    assert isinstance(doc["close"], float) and isinstance(doc["trades"], int)
    assert mongo_db["meta"].find_one({"_id": "schema"})["version"] == SCHEMA_VERSION


def test_a_database_from_the_spot_only_layout_is_upgraded_in_place(mongo_db, mongo_db_name):
    # Documents as the first version wrote them: no market/kind, the old index, no bounds.
    old = [{"_id": f"ETHUSDT_1h_{t}", "symbol": "ETHUSDT", "interval": "1h",
            "open_time": datetime.fromtimestamp(t / 1000, tz=UTC), "close": 1.0}
           for t in (START, START + HOUR, START + 3 * HOUR)]  # fmt: skip
    mongo_db["candles"].insert_many(old)
    mongo_db["candles"].create_index(
        [("symbol", 1), ("interval", 1), ("open_time", 1)], name="symbol_interval_open_time"
    )
    assert migrate(mongo_db) == 0
    assert migrate(mongo_db) == SCHEMA_VERSION  # idempotent: nothing left to do
    assert mongo_db["candles"].count_documents({"market": "spot", "kind": "trade"}) == 3
    assert "symbol_interval_open_time" not in mongo_db["candles"].index_information()
    bounds = MongoCandleStore(mongo_db).bounds(SeriesKey("ETHUSDT", "1h"))
    assert bounds is not None
    assert (bounds.first_open_time, bounds.last_open_time, bounds.count) == (
        START, START + 3 * HOUR, 3)  # fmt: skip


def test_columns_decode_any_document_layout(mongo_db, mongo_db_name, mongo_uri):
    stores = open_mongodb(mongo_uri, mongo_db_name)
    try:
        rows = _rows("BTCUSDT", 300)
        stores.candles.insert(SeriesKey("BTCUSDT", "1h"), rows)
        # Written by other means: an integer close, fields in another order, out of order.
        extra = [{"_id": f"BTCUSDT_1h_{t}", "close": 7, "market": "spot", "kind": "trade",
                  "symbol": "BTCUSDT", "interval": "1h",
                  "open_time": datetime.fromtimestamp(t / 1000, tz=UTC)}
                 for t in (START - HOUR, START - 3 * HOUR, START - 2 * HOUR)]  # fmt: skip
        mongo_db["candles"].insert_many(extra)
        times, closes = stores.candles.columns(SeriesKey("BTCUSDT", "1h"))
    finally:
        stores.close()
    assert times.tolist() == [START - 3 * HOUR, START - 2 * HOUR, START - HOUR] + [
        r[0] for r in rows]  # fmt: skip
    assert closes.tolist() == [7.0, 7.0, 7.0] + [r[5] for r in rows]
    empty = decode_batch(b"")
    assert empty[0].size == empty[1].size == 0


def test_a_write_cut_off_by_an_outage_does_not_skew_the_stored_count(
    mongo_uri, mongo_db_name, mongo_db
):
    """An insert the outage interrupted may have stored part of its batch uncounted (no
    transaction); the retry sees those candles as duplicates. Gap reports count candles."""
    key = SeriesKey("BTCUSDT", "1h")
    rows = _rows("BTCUSDT", 10)
    stores = open_mongodb(mongo_uri, mongo_db_name)
    try:
        stores.candles.insert(key, rows[:4])
        # What a cut-off insert leaves: two more candles stored, the series' count not raised.
        mongo_db["candles"].insert_many([row_to_doc(key, r) for r in rows[4:6]])
        assert stores.candles.insert(key, rows) == 4  # the retry
        assert stores.candles.bounds(key).count == 8  # the kept count is short by two
        holes, stored = stores.candles.holes(key, START - HOUR, START + 11 * HOUR)
        assert stores.candles.recount(key) == 10  # what a retried fetch does
        assert stores.candles.bounds(key).count == 10
    finally:
        stores.close()
    assert stored == 10
    assert [(h.start, h.end) for h in holes] == [
        (START - HOUR, START), (START + 10 * HOUR, START + 11 * HOUR)
    ]  # fmt: skip
