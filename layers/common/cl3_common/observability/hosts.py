"""The exchange hosts CL3 paces, each with the Redis keys of its ban and 429 breakers."""

from __future__ import annotations

import time

import redis

from cl3_common.exchange.gate import RedisWeightGate, WeightBudget
from cl3_common.observability.status import BreakerKeys
from cl3_common.settings import Settings


def host_breakers(client: redis.Redis, settings: Settings) -> dict[str, BreakerKeys]:
    """Host family -> its breaker keys, taken from the gates themselves (no request is sent)."""
    del settings  # one host until the futures hosts have gates of their own
    gate = RedisWeightGate(client, WeightBudget(), clock=time.time, sleep=time.sleep)
    return {"spot": BreakerKeys(gate.ban_key, gate.pause_key)}
