"""Request times: ISO-8601 UTC strings or epoch milliseconds, always returned as epoch ms."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cl3_common.errors import InvalidRange, InvalidRequest

# Anything before Binance existed, or absurdly far ahead, is a unit mistake (seconds vs ms).
_MIN_MS = int(datetime(2009, 1, 1, tzinfo=UTC).timestamp() * 1000)
_MAX_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)


def parse_time_ms(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"{field} must be an ISO-8601 UTC time or epoch milliseconds")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        ms = int(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as e:
            raise InvalidRequest(
                f"{field} {value!r} is not an ISO-8601 time (e.g. 2024-01-01T00:00:00Z) "
                "or epoch milliseconds"
            ) from e
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        ms = int(dt.timestamp() * 1000)
    else:
        raise InvalidRequest(f"{field} must be an ISO-8601 UTC time or epoch milliseconds")
    if not _MIN_MS <= ms < _MAX_MS:
        raise InvalidRange(f"{field} {value!r} is outside 2009..2100 (epoch milliseconds expected)")
    return ms


def now_ms() -> int:
    return int(time.time() * 1000)
