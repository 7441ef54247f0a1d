"""The registry behind a process's `/metrics` (the API's, or a worker's)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry

from cl3_common.observability.collectors import ClusterStateCollector
from cl3_common.observability.exposition import exposition_registry
from cl3_common.observability.hosts import host_breakers
from cl3_common.observability.status import StateKeys
from cl3_common.redis_conn import connect_redis
from cl3_common.settings import Settings
from cl3_common.tasks.contracts import ALL_QUEUES


def metrics_registry(settings: Settings) -> CollectorRegistry:
    """This process's metrics plus the shared state read from Redis on every scrape."""
    client = connect_redis(settings.REDIS_URL)
    keys = StateKeys.build(client, host_breakers(client, settings), ALL_QUEUES)
    state = ClusterStateCollector(client, keys, time.time)
    return exposition_registry([state])
