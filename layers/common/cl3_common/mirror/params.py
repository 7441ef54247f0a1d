"""Query parameters read the way Binance reads them, failing with Binance's codes.

Order (as on Binance's spot and futures APIs): mandatory parameters (-1102), formats (-1100),
the interval (-1120), the symbol (-1121), values out of range (-1130), then startTime >
endTime (-1023) and, on COIN-M, a window over 200 days (-1127). fundingRate checks its limit
and the times before the symbol. Unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass

from cl3_common.intervals import HOUR_MS, INTERVALS, MINUTE_MS
from cl3_common.mirror import binance_errors as err

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000
FUTURES_MAX_LIMIT = 1500
FUNDING_DEFAULT_LIMIT, FUNDING_MAX_LIMIT = 100, 1000
FUTURES_INTERVALS = tuple(i for i in INTERVALS if i != "1s")
_NUMBER = re.compile(r"^[0-9]{1,20}$")
_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")
_TIME_ZONE = re.compile(r"^(?P<sign>[+-]?)(?P<hours>\d{1,2})(?::(?P<minutes>\d{2}))?$")

Params = Mapping[str, str]


@dataclass(frozen=True)
class KlinesRules:
    """What one klines endpoint accepts."""

    max_limit: int = MAX_LIMIT
    intervals: Collection[str] = INTERVALS
    name_param: str = "symbol"  # indexPriceKlines: "pair"
    time_zones: bool = True  # spot's timeZone; futures ignore it
    max_span_ms: int | None = None  # COIN-M: endTime - startTime at most this (-1127)


SPOT_KLINES = KlinesRules()


@dataclass(frozen=True)
class KlinesQuery:
    symbol: str  # for index klines, the pair
    interval: str
    start_ms: int | None
    end_ms: int | None
    limit: int
    time_zone: str | None = None  # as sent; None or an offset of 0 means UTC
    tz_offset_ms: int = 0
    kind: str = "trade"


@dataclass(frozen=True)
class FundingQuery:
    symbol: str | None  # None: every perpetual (USDⓈ-M only)
    start_ms: int | None
    end_ms: int | None
    limit: int


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


def klines_query(
    params: Params, symbols: Container[str], rules: KlinesRules = SPOT_KLINES, kind: str = "trade"
) -> KlinesQuery:
    name = _mandatory(symbol(params, rules.name_param), rules.name_param)
    interval = _mandatory(params.get("interval") or None, "interval")
    start, end, limit = _times_and_limit(params)
    if interval not in rules.intervals:
        raise err.invalid_interval()
    if name not in symbols:
        raise err.invalid_symbol()
    limit = _within(limit, rules.max_limit, DEFAULT_LIMIT)
    zone = (params.get("timeZone") or None) if rules.time_zones else None
    offset = time_zone_offset_ms(zone) if zone is not None else 0
    _check_order(start, end, rules.max_span_ms)
    return KlinesQuery(name, interval, start, end, limit, zone, offset, kind)


def funding_query(
    params: Params, symbols: Container[str], *, symbol_required: bool
) -> FundingQuery:
    """fundingRate's parameters (COIN-M requires the symbol; USDⓈ-M's default is all)."""
    name = symbol(params)
    if name is None and symbol_required:
        raise err.mandatory("symbol")
    start, end, limit = _times_and_limit(params)
    limit = _within(limit, FUNDING_MAX_LIMIT, FUNDING_DEFAULT_LIMIT)
    _check_order(start, end)
    if name is not None and name not in symbols:
        raise err.invalid_symbol()
    return FundingQuery(name, start, end, limit)


def _mandatory(value: str | None, name: str) -> str:
    if value is None:
        raise err.mandatory(name)
    return value


def _times_and_limit(params: Params) -> tuple[int | None, int | None, int | None]:
    """startTime, endTime and limit, checked for their format (in this order)."""
    return number(params, "startTime"), number(params, "endTime"), number(params, "limit")


def _within(limit: int | None, most: int, default: int) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= most:
        raise err.invalid_param("limit")
    return limit


def _check_order(start: int | None, end: int | None, max_span_ms: int | None = None) -> None:
    """startTime after endTime (-1023), then a window wider than `max_span_ms` (-1127)."""
    if start is None or end is None:
        return
    if start > end:
        raise err.start_after_end()
    if max_span_ms is not None and end - start > max_span_ms:
        raise err.more_than_hours(max_span_ms // HOUR_MS)


def time_zone_offset_ms(raw: str) -> int:
    """Binance's `timeZone`: hours (`8`, `-1`) or hours and minutes (`05:45`, `-1:00`),
    strictly within [-12:00, +14:00]; anything else is -1130."""
    match = _TIME_ZONE.match(raw)
    if match is None or int(match["minutes"] or 0) > 59:
        raise err.invalid_param("timeZone")
    offset = int(match["hours"]) * HOUR_MS + int(match["minutes"] or 0) * MINUTE_MS
    offset = -offset if match["sign"] == "-" else offset
    if not -12 * HOUR_MS <= offset <= 14 * HOUR_MS:
        raise err.invalid_param("timeZone")
    return offset
