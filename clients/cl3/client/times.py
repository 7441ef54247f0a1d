"""Times as the client takes them (ISO-8601 text, epoch ms, datetimes) and as the API does."""

from __future__ import annotations

from datetime import UTC, datetime

TimeLike = str | int | datetime


def as_time(value: TimeLike) -> str | int:
    """What the API takes: epoch ms as they are, datetimes as ISO-8601 (naive ones as UTC)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    return value
