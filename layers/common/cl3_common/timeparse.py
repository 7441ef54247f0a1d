"""Request times and whole numbers, parsed strictly (docs/api.md, "Times and numbers").

Times are ISO-8601 (UTC unless an offset is given) or epoch milliseconds, always returned as
epoch ms within 2009..2100. Whole numbers are ASCII digits only: `str.isdigit()` also accepts
"²" or "٣", which `int()` then refuses or reads differently, so neither is used on input.
Non-finite floats (NaN, Infinity, 1e400 read as inf), fractional values and texts longer than
any real value are refused before any conversion, so no input reaches `int()` or `datetime`
in a form that can raise anything but our own errors.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from cl3_common.errors import InvalidRange, InvalidRequest

# Anything before Binance existed, or absurdly far ahead, is a unit mistake (seconds vs ms).
MIN_TIME_MS = int(datetime(2009, 1, 1, tzinfo=UTC).timestamp() * 1000)
MAX_TIME_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)
# The longest ISO-8601 text we accept ("2024-01-01T00:00:00.000000+05:30" is 32).
MAX_TIME_TEXT = 40
MAX_DIGITS = 19  # enough for any signed 64-bit value; longer is never a real time or count

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_TIME_HINT = "an ISO-8601 UTC time (e.g. 2024-01-01T00:00:00Z) or epoch milliseconds"


def parse_whole_number(value: Any, field: str) -> int:
    """An integer from JSON (int, or an integral float) or from ASCII digits in a string."""
    if isinstance(value, bool):
        raise InvalidRequest(f"{field} must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidRequest(f"{field} must be a finite whole number, not {value!r}")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DIGITS:
            raise InvalidRequest(f"{field} is too long to be a number ({len(text)} characters)")
        if _DIGITS.fullmatch(text):
            return int(text)
    raise InvalidRequest(f"{field} must be a whole number in ASCII digits, not {_short(value)}")


def parse_time_ms(value: Any, field: str) -> int:
    """Epoch milliseconds from an ISO-8601 text or a number of milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidRequest(f"{field} must be {_TIME_HINT}")
    if isinstance(value, str) and not _DIGITS.fullmatch(value.strip()):
        ms = _iso_ms(value, field)
    else:
        try:
            ms = parse_whole_number(value, field)
        except InvalidRequest as e:
            raise InvalidRequest(f"{field} {_short(value)} is not {_TIME_HINT}") from e
    return check_time_range(ms, field, value)


def check_time_range(ms: int, field: str, shown: Any = None) -> int:
    if not MIN_TIME_MS <= ms < MAX_TIME_MS:
        raise InvalidRange(
            f"{field} {_short(ms if shown is None else shown)} is outside 2009..2100 "
            "(epoch milliseconds expected)"
        )
    return ms


def _iso_ms(value: str, field: str) -> int:
    text = value.strip()
    if len(text) > MAX_TIME_TEXT or not text.isascii():
        raise InvalidRequest(f"{field} {_short(value)} is not {_TIME_HINT}")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise InvalidRequest(f"{field} {_short(value)} is not {_TIME_HINT}") from e
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    # Years far outside the range are refused before any arithmetic that could overflow; the
    # exact bounds are checked on the epoch milliseconds.
    if not 2008 <= dt.year <= 2100:
        raise InvalidRange(f"{field} {_short(value)} is outside 2009..2100")
    return int(dt.timestamp() * 1000)


def _short(value: Any, limit: int = 40) -> str:
    """A value for an error message, cut so an attacker's megabyte is not echoed back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
