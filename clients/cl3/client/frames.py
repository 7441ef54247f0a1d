"""Candles as a pandas DataFrame indexed by UTC open time (pandas is imported only here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cl3.client.types import Candle

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "open", "high", "low", "close", "volume", "quote_volume", "trades",
    "taker_buy_base", "taker_buy_quote", "close_time",
)  # fmt: skip


def candles_frame(candles: Iterable[Candle]) -> pd.DataFrame:
    """One row per candle; `open_time` (the index) and `close_time` as UTC timestamps."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(candles), columns=["open_time", *COLUMNS])
    frame["open_time"] = pd.to_datetime(frame["open_time"].astype("int64"), unit="ms", utc=True)
    frame["close_time"] = pd.to_datetime(frame["close_time"].astype("int64"), unit="ms", utc=True)
    frame["trades"] = frame["trades"].astype("int64")
    return frame.set_index("open_time")
