"""The registry behind a process's `/metrics` (the API's, or a worker's)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry

from cl3_common.observability.collectors import ClusterStateCollector
from cl3_common.observability.exposition import exposition_registry
from cl3_common.observability.hosts import host_breakers
from cl3_common.redis_conn import connect_redis
from cl3_common.settings import Settings
from cl3_common.tasks.contracts import ALL_QUEUES


def metrics_registry(settings: Settings) -> CollectorRegistry:
    """This process's metrics plus the shared state read from Redis on every scrape."""
    client = connect_redis(settings.REDIS_URL)
    hosts = host_breakers(client, settings)
    state = ClusterStateCollector(client, lambda: hosts, ALL_QUEUES, time.time)
    return exposition_registry([state])
