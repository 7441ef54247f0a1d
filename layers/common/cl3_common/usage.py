"""Per-user monthly usage counters in Redis (docs/api.md, "GET /api/usage").

One counter per user and calendar month (UTC) of the candles that user's fetch and refresh
tasks wrote to the store. It is incremented where a task's result is recorded
(`TaskRecorder.finished`), so every finished task counts once, whichever worker ran it, and a
task that failed counts nothing. The key expires a while after its month ends, so old months
clean themselves up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis

from cl3_common.redis_conn import KEY_PREFIX, as_text, redis_errors_translated

COUNTED_TASK_TYPES = frozenset({"fetch", "refresh"})
KEEP_AFTER_MONTH_S = 40 * 86_400  # a month and some, so last month's figure stays readable


def month_of(now_ms: int) -> str:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%Y-%m")


def candles_key(sub: str, month: str) -> str:
    return f"{KEY_PREFIX}:usage:{sub}:candles:{month}"


def count_fetched_candles(
    client: redis.Redis, task: Mapping[str, Any] | None, result: Mapping[str, Any], now_ms: int
) -> None:
    """Adds a finished fetch/refresh task's `candles_written` to its owner's month."""
    if not task or task.get("type") not in COUNTED_TASK_TYPES or not task.get("owner"):
        return
    written = result.get("candles_written")
    if not isinstance(written, int) or isinstance(written, bool) or written <= 0:
        return
    key = candles_key(str(task["owner"]), month_of(now_ms))
    with redis_errors_translated():
        pipe = client.pipeline(transaction=True)
        pipe.incrby(key, written)
        pipe.expire(key, 31 * 86_400 + KEEP_AFTER_MONTH_S)
        pipe.execute()


def candles_this_month(client: redis.Redis, sub: str, now_ms: int) -> int:
    with redis_errors_translated():
        raw = client.get(candles_key(sub, month_of(now_ms)))
    return int(as_text(raw)) if raw else 0
