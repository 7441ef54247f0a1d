"""Request fields into validated values; every failure is a 400 with the documented code."""

from __future__ import annotations

import re
from typing import Any

from cl3_common.errors import InvalidRange, InvalidRequest, InvalidSymbol
from cl3_common.intervals import validate_interval
from cl3_common.timeparse import parse_time_ms

_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")


def parse_symbol(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSymbol("symbol is required, e.g. 'BTCUSDT'")
    symbol = value.strip().upper()
    if not _SYMBOL.match(symbol):
        raise InvalidSymbol(f"symbol {value!r} is not a valid exchange symbol")
    return symbol


def parse_interval(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidRequest("interval is required, e.g. '1h'")
    return validate_interval(value.strip())


def parse_range(
    start: Any, end: Any, *, now_ms: int, start_required: bool = True
) -> tuple[int | None, int]:
    """[start, end) in epoch ms; end defaults to now and is clamped to now."""
    if start is None and start_required:
        raise InvalidRequest("start is required (ISO-8601 UTC or epoch milliseconds)")
    start_ms = parse_time_ms(start, "start") if start is not None else None
    end_ms = parse_time_ms(end, "end") if end is not None else now_ms
    if start_ms is not None and start_ms >= end_ms:
        raise InvalidRange("start must be before end")
    if start_ms is not None and start_ms >= now_ms:
        raise InvalidRange("start is in the future: there are no closed candles to fetch")
    return start_ms, min(end_ms, now_ms)


def parse_required_range(start: Any, end: Any, *, now_ms: int) -> tuple[int, int]:
    """Like parse_range, for requests where start is mandatory (fetch, export)."""
    start_ms, end_ms = parse_range(start, end, now_ms=now_ms, start_required=True)
    if start_ms is None:  # parse_range has already refused a missing start
        raise InvalidRequest("start is required (ISO-8601 UTC or epoch milliseconds)")
    return start_ms, end_ms


def parse_limit(value: Any, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError) as e:
        raise InvalidRequest(f"limit must be an integer between 1 and {maximum}") from e
    if not 1 <= limit <= maximum:
        raise InvalidRequest(f"limit must be between 1 and {maximum}")
    return limit


def reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown)}")
