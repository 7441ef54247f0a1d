"""Binance's spot ``timeZone`` parameter: "hours and minutes (-1:00, 05:45), or only hours (0, 8,
4); accepted range strictly [-12:00, +14:00] inclusive" (spot REST docs, klines/uiKlines).

The documentation says kline intervals are then "interpreted in that timezone": every
interval's boundaries move to local time (1d opens at local midnight, 1w on local Monday, 1M on
the local first of the month). An offset that is a whole number of an interval's length leaves
that interval unchanged (1m, 1h at +08:00; 8h at +08:00 too), while 12h at +08:00 or 1h at
+05:45 do move. ``startTime``/``endTime`` and all returned times stay UTC milliseconds.
"""

from __future__ import annotations

import re

from .errors import BinanceError, invalid_param
from .intervals import HOUR_MS, MINUTE_MS

_FORMAT = re.compile(r"^(?P<sign>[+-]?)(?P<hours>\d{1,2})(?::(?P<minutes>\d{2}))?$")
_MIN_MS, _MAX_MS = -12 * HOUR_MS, 14 * HOUR_MS


def parse_time_zone(raw: str) -> int:
    """The offset in ms of a ``timeZone`` value; BinanceError -1130 when it is not valid."""
    match = _FORMAT.match(raw)
    if match is None:
        raise invalid_time_zone()
    minutes = int(match["minutes"] or 0)
    if minutes > 59:
        raise invalid_time_zone()
    offset = int(match["hours"]) * HOUR_MS + minutes * MINUTE_MS
    if match["sign"] == "-":
        offset = -offset
    if not _MIN_MS <= offset <= _MAX_MS:
        raise invalid_time_zone()
    return offset


def invalid_time_zone() -> BinanceError:
    return invalid_param("timeZone")
