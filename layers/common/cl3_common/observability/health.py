"""The detail `/health` adds for operators: bans per host, queue depths, the refresh's age.

Read in one round trip to Redis and only when Redis answered the health check's ping, so the
check stays fast and unauthenticated; nothing here names a user, a symbol or a secret.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

import redis

from cl3_common.errors import RetryableError
from cl3_common.observability.hosts import host_breakers
from cl3_common.observability.status import StateKeys, read_cluster_state
from cl3_common.settings import Settings
from cl3_common.tasks.contracts import ALL_QUEUES

# Key names depend only on the settings a process starts with: worked out once per client.
_keys: weakref.WeakKeyDictionary[redis.Redis, StateKeys] = weakref.WeakKeyDictionary()


def _state_keys(client: redis.Redis, settings: Settings) -> StateKeys:
    keys = _keys.get(client)
    if keys is None:
        keys = _keys[client] = StateKeys.build(client, host_breakers(client, settings), ALL_QUEUES)
    return keys


def health_details(
    client: redis.Redis, settings: Settings, *, redis_ok: bool, now_s: float | None = None
) -> dict[str, Any]:
    """`{"exchange": {host: {banned, banned_until, paused_until}}, "queues": {queue: {state:
    count}}, "refresh": {last_run_at, age_s, interval_s}}`; null values when Redis is down."""
    interval_s = settings.REFRESH_INTERVAL_MINUTES * 60
    unknown = {
        "exchange": None,
        "queues": None,
        "refresh": {"last_run_at": None, "age_s": None, "interval_s": interval_s},
    }
    if not redis_ok:
        return unknown
    now = time.time() if now_s is None else now_s
    try:
        state = read_cluster_state(client, _state_keys(client, settings), now_s=now)
    except (RetryableError, redis.RedisError):
        return unknown
    return {
        "exchange": {host: hs.as_json() for host, hs in state.hosts.items()},
        "queues": state.queues,
        "refresh": state.refresh.as_json(interval_s),
    }
