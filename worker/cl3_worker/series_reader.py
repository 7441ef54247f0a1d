"""One stored series as the two numpy columns the analytics need (open time in ms, close).

The store does the reading its fastest way (`CandleStore.columns`: a primary-key range scan
on SQLite, raw BSON batches on MongoDB) and returns the range ascending with one row per open
time: the store's keys make duplicates impossible, so there is one rule for them, the store's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cl3_common.store import SeriesKey
from cl3_common.store.protocols import CandleStore

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
    candles: CandleStore,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    *,
    on_batch: ProgressCallback | None = None,
) -> Series:
    """Stored candles with open time in [start_ms, end_ms) (open-ended where None)."""
    open_time, close = candles.columns(key, start_ms, end_ms, on_batch=on_batch)
    return Series(open_time, close)
