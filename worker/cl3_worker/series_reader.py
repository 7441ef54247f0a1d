"""Reads one stored series as two numpy arrays (open time in ms, close) for the analytics.

The analysis needs two fields of each candle, so the query projects exactly those and asks
for raw BSON batches (`find_raw_batches`): no per-document dict, datetime or float object is
ever built. A projected candle is a fixed 39-byte BSON document

    int32 size | 0x09 "open_time" int64 ms | 0x01 "close" double | 0x00

so a whole batch is one `np.frombuffer` with a structured dtype, checked field by field; a
batch that does not have exactly that layout (another field order, an integer close, ...)
falls back to `bson.decode_all` for that batch only, with the same result.

Order: the server is not asked to sort. On MongoDB the (symbol, interval, open_time) index
returns the range in order anyway; FerretDB cannot push a sort down and would sort in memory.
The reader checks the order and sorts (stable, de-duplicated) with numpy only when needed.

Measured (see bench/seasonality.py): the decoding runs at tens of millions of candles a second;
against FerretDB 1.24 on SQLite the server itself delivers a few thousand documents a second,
so there the read time is the server's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bson
import numpy as np
import pandas as pd
from bson.codec_options import CodecOptions, DatetimeConversion
from pymongo.database import Database

from cl3_common.store.candles import ms_to_dt
from cl3_common.store.mongo import mongo_errors_translated

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
# For the fallback: datetimes as plain ms integers (no datetime objects, no time zones).
_FALLBACK_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_MS
)

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class Series:
    open_time: np.ndarray  # int64 epoch ms, ascending, unique
    close: np.ndarray  # float64

    def __len__(self) -> int:
        return int(self.open_time.size)

    def frame(self) -> pd.DataFrame:
        """The DataFrame `cl3_worker.analytics.analyze` takes (no copy of the arrays)."""
        return pd.DataFrame({"open_time": self.open_time, "close": self.close}, copy=False)


def read_series(
    db: Database,
    symbol: str,
    interval: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: ProgressCallback | None = None,
) -> Series:
    """Stored candles of one series with open time in [start_ms, end_ms) (open-ended if None).

    `on_batch(candles_read_so_far)` is called after every batch (for progress reports).
    """
    query: dict[str, Any] = {"symbol": symbol, "interval": interval}
    bounds: dict[str, Any] = {}
    if start_ms is not None:
        bounds["$gte"] = ms_to_dt(start_ms)
    if end_ms is not None:
        bounds["$lt"] = ms_to_dt(end_ms)
    if bounds:
        query["open_time"] = bounds
    times: list[np.ndarray] = []
    closes: list[np.ndarray] = []
    read = 0
    with mongo_errors_translated():
        cursor = db["candles"].find_raw_batches(query, PROJECTION, batch_size=batch_size)
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
        return Series(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
    ot = np.concatenate(times) if len(times) > 1 else times[0]
    close = np.concatenate(closes) if len(closes) > 1 else closes[0]
    del times, closes
    return Series(*_ordered(ot, close))


def decode_batch(batch: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(open_time int64 ms, close float64) of one raw batch of projected candles."""
    n, rest = divmod(len(batch), _CANDLE.itemsize)
    if rest == 0 and n:
        docs = np.frombuffer(batch, dtype=_CANDLE)
        if (
            bool(np.all(docs["size"] == _CANDLE.itemsize))
            and bool(np.all(docs["t_type"] == _BSON_DATETIME))
            and bool(np.all(docs["t_name"] == b"open_time"))
            and bool(np.all(docs["c_type"] == _BSON_DOUBLE))
            and bool(np.all(docs["c_name"] == b"close"))
            and bool(np.all(docs["eoo"] == 0))
        ):
            # Copies: contiguous columns, and the batch's bytes can be freed.
            return docs["open_time"].copy(), docs["close"].copy()
    return _decode_generic(batch)


def _decode_generic(batch: bytes) -> tuple[np.ndarray, np.ndarray]:
    docs = bson.decode_all(batch, _FALLBACK_OPTIONS)
    ot = np.fromiter((int(d["open_time"]) for d in docs), dtype=np.int64, count=len(docs))
    close = np.fromiter((float(d["close"]) for d in docs), dtype=np.float64, count=len(docs))
    return ot, close


def _ordered(ot: np.ndarray, close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if ot.size < 2 or bool(np.all(ot[1:] > ot[:-1])):
        return ot, close
    order = np.argsort(ot, kind="stable")
    ot, close = ot[order], close[order]
    keep = np.ones(ot.size, dtype=bool)
    keep[1:] = ot[1:] != ot[:-1]  # `_id` makes duplicates impossible; be safe anyway
    return ot[keep], close[keep]
