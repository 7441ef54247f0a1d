"""Query parameters read the way Binance reads them, failing with Binance's codes.

Order (as on Binance's spot API): mandatory parameters (-1102), formats (-1100), the
interval (-1120), the symbol (-1121), values out of range (-1130), then startTime > endTime
(-1023). Unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass

from cl3_common.intervals import INTERVALS
from cl3_common.mirror import binance_errors as err

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000
_NUMBER = re.compile(r"^[0-9]{1,20}$")
_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")
_TIME_ZONE = re.compile(r"^(?P<sign>[+-]?)(?P<hours>\d{1,2})(?::(?P<minutes>\d{2}))?$")
_HOUR_MS, _MINUTE_MS = 3_600_000, 60_000

Params = Mapping[str, str]


@dataclass(frozen=True)
class KlinesQuery:
    symbol: str
    interval: str
    start_ms: int | None
    end_ms: int | None
    limit: int
    time_zone: str | None = None  # as sent; None or an offset of 0 means UTC
    tz_offset_ms: int = 0


def number(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _NUMBER.match(raw):
        raise err.illegal_chars(name, err.NUMBER_RANGE)
    return int(raw)


def symbol(params: Params, name: str = "symbol") -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _SYMBOL.match(raw):
        raise err.illegal_chars(name, err.SYMBOL_RANGE)
    return raw


def klines_query(params: Params, symbols: Container[str]) -> KlinesQuery:
    name = symbol(params)
    if name is None:
        raise err.mandatory("symbol")
    interval = params.get("interval") or None
    if interval is None:
        raise err.mandatory("interval")
    start, end = number(params, "startTime"), number(params, "endTime")
    limit = number(params, "limit")
    if interval not in INTERVALS:
        raise err.invalid_interval()
    if name not in symbols:
        raise err.invalid_symbol()
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise err.invalid_param("limit")
    zone = params.get("timeZone") or None
    offset = time_zone_offset_ms(zone) if zone is not None else 0
    if start is not None and end is not None and start > end:
        raise err.start_after_end()
    return KlinesQuery(name, interval, start, end, limit or DEFAULT_LIMIT, zone, offset)


def time_zone_offset_ms(raw: str) -> int:
    """Binance's `timeZone`: hours (`8`, `-1`) or hours and minutes (`05:45`, `-1:00`),
    strictly within [-12:00, +14:00]; anything else is -1130."""
    match = _TIME_ZONE.match(raw)
    if match is None or int(match["minutes"] or 0) > 59:
        raise err.invalid_param("timeZone")
    offset = int(match["hours"]) * _HOUR_MS + int(match["minutes"] or 0) * _MINUTE_MS
    offset = -offset if match["sign"] == "-" else offset
    if not -12 * _HOUR_MS <= offset <= 14 * _HOUR_MS:
        raise err.invalid_param("timeZone")
    return offset
