"""Stored rows back into Binance's kline arrays: times as integers, decimals as strings.

Binance prints spot decimals with 8 places ("42283.58000000"). A stored float is printed as
its exact binary value rounded to 8 places: for any 8-place decimal below 2**26 (6.7e7) that
is the exchange's own string, since the float lies within half a unit of the 8th place, and
above that the float is what the exchange's string parses to anyway, so clients that
convert (ccxt) see the exchange's numbers. Checked against 3.9 million sandbox candles of
every interval, all equal as strings (tests/unit/mirror/test_render.py keeps a sample).

Rows become JSON text in one formatting step each: a page is 1000 rows and this is most of
what a page costs to answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPOT_PLACES = 8
_ROW_JSON = '[%d,"%.{p}f","%.{p}f","%.{p}f","%.{p}f","%.{p}f",%d,"%.{p}f",%d,"%.{p}f","%.{p}f","0"]'
_SPOT_ROW_JSON = _ROW_JSON.format(p=SPOT_PLACES)


def kline_json(row: Sequence[Any]) -> str:
    """One stored row (API_FIELDS order) as Binance's 12-field kline, compact JSON text."""
    return _SPOT_ROW_JSON % (row[0], row[2], row[3], row[4], row[5], row[6], row[1], row[7],
                             row[8], row[9], row[10])  # fmt: skip
