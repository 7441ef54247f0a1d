"""The whole-series columnar read on MongoDB: raw BSON batches decoded straight into numpy.

The analysis needs two fields of each candle, so the query projects exactly those and asks
for raw BSON batches (`find_raw_batches`): no per-document dict, datetime or float object is
ever built. A projected candle is a fixed 39-byte BSON document

    int32 size | 0x09 "open_time" int64 ms | 0x01 "close" double | 0x00

so a whole batch is one `np.frombuffer` with a structured dtype, checked field by field; a
batch that does not have exactly that layout (another field order, an integer close, ...)
falls back to `bson.decode_all` for that batch only, with the same result.

The server is not asked to sort (on MongoDB the index returns the range in order anyway;
FerretDB would sort in memory): the order is checked, and fixed with numpy only when needed.
"""

from __future__ import annotations

from typing import Any

import bson
import numpy as np
from bson.codec_options import CodecOptions, DatetimeConversion
from pymongo.collection import Collection

from cl3_common.store.ordering import ordered
from cl3_common.store.protocols import BatchCallback

BATCH_SIZE = 50_000  # about 2 MB of projected BSON per round trip
PROJECTION = {"_id": 0, "open_time": 1, "close": 1}

_CANDLE = np.dtype(
    [
        ("size", "<i4"),
        ("t_type", "u1"),
        ("t_name", "S10"),  # b"open_time\0"
        ("open_time", "<i8"),
        ("c_type", "u1"),
        ("c_name", "S6"),  # b"close\0"
        ("close", "<f8"),
        ("eoo", "u1"),
    ]
)
assert _CANDLE.itemsize == 39
_BSON_DATETIME, _BSON_DOUBLE = 0x09, 0x01
_FALLBACK_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_MS
)


def read_columns(
    collection: Collection, query: dict[str, Any], on_batch: BatchCallback | None
) -> tuple[np.ndarray, np.ndarray]:
    times: list[np.ndarray] = []
    closes: list[np.ndarray] = []
    read = 0
    cursor = collection.find_raw_batches(query, PROJECTION, batch_size=BATCH_SIZE)
    try:
        for batch in cursor:
            ot, close = decode_batch(batch)
            times.append(ot)
            closes.append(close)
            read += ot.size
            if on_batch is not None:
                on_batch(read)
    finally:
        cursor.close()
    if not times:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    return ordered(np.concatenate(times), np.concatenate(closes))


def _fixed_layout(docs: np.ndarray) -> bool:
    """Every document is exactly {open_time: datetime, close: double} in that order."""
    expected = (("size", _CANDLE.itemsize), ("t_type", _BSON_DATETIME), ("t_name", b"open_time"),
                ("c_type", _BSON_DOUBLE), ("c_name", b"close"), ("eoo", 0))  # fmt: skip
    return all(bool(np.all(docs[name] == value)) for name, value in expected)


def decode_batch(batch: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(open_time int64 ms, close float64) of one raw batch of projected candles."""
    n, rest = divmod(len(batch), _CANDLE.itemsize)
    if rest == 0 and n:
        docs = np.frombuffer(batch, dtype=_CANDLE)
        if _fixed_layout(docs):
            # Copies: contiguous columns, and the batch's bytes can be freed.
            return docs["open_time"].copy(), docs["close"].copy()
    docs_list = bson.decode_all(batch, _FALLBACK_OPTIONS)
    ot = np.fromiter((int(d["open_time"]) for d in docs_list), np.int64, count=len(docs_list))
    close = np.fromiter((float(d["close"]) for d in docs_list), np.float64, count=len(docs_list))
    return ot, close
