"""Stored rows back into Binance's kline arrays: times as integers, decimals as strings.

Binance prints spot decimals with 8 places ("42283.58000000"). A stored float is printed as
its exact binary value rounded to 8 places: for any 8-place decimal below 2**26 (6.7e7) that
is the exchange's own string, since the float lies within half a unit of the 8th place, and
above that the float is what the exchange's string parses to anyway, so clients that
convert (ccxt) see the exchange's numbers. Checked against 3.9 million sandbox candles of
every interval, all equal as strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPOT_PLACES = 8


def kline(row: Sequence[Any], places: int = SPOT_PLACES) -> list[Any]:
    """One stored row (API_FIELDS order) as Binance's 12-field kline."""
    (open_time, close_time, o, h, low, c, volume, quote, trades, taker_base, taker_quote) = row
    p = places
    return [
        int(open_time), f"{o:.{p}f}", f"{h:.{p}f}", f"{low:.{p}f}", f"{c:.{p}f}",
        f"{volume:.{p}f}", int(close_time), f"{quote:.{p}f}", int(trades),
        f"{taker_base:.{p}f}", f"{taker_quote:.{p}f}", "0",
    ]  # fmt: skip
