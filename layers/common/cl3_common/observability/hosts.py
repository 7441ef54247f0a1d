"""The exchange hosts CL3 paces, each with the Redis keys of its ban and 429 breakers."""

from __future__ import annotations

import time

import redis

from cl3_common.exchange.gate import RedisWeightGate, WeightBudget
from cl3_common.exchange.hosts import gate_namespace
from cl3_common.exchange.markets import MARKETS
from cl3_common.observability.status import BreakerKeys
from cl3_common.settings import Settings


def host_breakers(client: redis.Redis, settings: Settings) -> dict[str, BreakerKeys]:
    """Host family (spot, usdm, coinm) -> its breaker keys, taken from gates built the way
    workers build them (cl3_common.exchange.hosts); nothing is sent to the exchange."""
    keys = {}
    for name, market in MARKETS.items():
        namespace = gate_namespace(market, market.base_url(settings))
        gate = RedisWeightGate(client, WeightBudget(), clock=time.time, sleep=time.sleep,
                               namespace=namespace)  # fmt: skip
        keys[name] = BreakerKeys(gate.ban_key, gate.pause_key)
    return keys
