"""Gauges read from Redis when Prometheus scrapes: queue depths, bans, the refresh's age.

These are facts about the shared state, not about one process, so every `/metrics` (the API
and each worker) reports the same values; dashboards take `max` over instances.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from cl3_common.errors import RetryableError
from cl3_common.observability.status import ClusterState, StateKeys, read_cluster_state

log = logging.getLogger("cl3.metrics")


class ClusterStateCollector(Collector):
    def __init__(self, client: redis.Redis, keys: StateKeys, clock: Callable[[], float]) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # collected only on scrape, never at registration (Redis may be down then)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("cl3_redis_up", "Whether Redis answered this scrape")
        try:
            state = read_cluster_state(self._redis, self._keys, now_s=self._clock())
        except (RetryableError, redis.RedisError) as e:
            log.warning("metrics: shared state unreadable: %s", e)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _gauges(state)


def _gauges(state: ClusterState) -> Iterator[GaugeMetricFamily]:
    queued = GaugeMetricFamily(
        "cl3_queue_jobs", "RQ jobs per queue and state", labels=["queue", "state"]
    )
    for queue, counts in state.queues.items():
        for name, count in counts.items():
            queued.add_metric([queue, name], count)
    yield queued

    ban = GaugeMetricFamily("cl3_exchange_ban_active", "1 while the host's 418 ban breaker is "
                            "open (no request is sent)", labels=["host"])  # fmt: skip
    ban_until = GaugeMetricFamily("cl3_exchange_ban_until_seconds", "Epoch seconds the ban "
                                  "lifts (0: no ban)", labels=["host"])  # fmt: skip
    pause = GaugeMetricFamily("cl3_exchange_pause_active", "1 while a 429's Retry-After pause "
                              "holds the host's requests", labels=["host"])  # fmt: skip
    for host, hs in state.hosts.items():
        ban.add_metric([host], 1 if hs.banned_until_s is not None else 0)
        ban_until.add_metric([host], hs.banned_until_s or 0)
        pause.add_metric([host], 1 if hs.paused_until_s is not None else 0)
    yield from (ban, ban_until, pause)

    if state.refresh.last_run_ms is not None:
        last = GaugeMetricFamily("cl3_scheduled_refresh_last_run_timestamp_seconds",
                                 "When the scheduled refresh last ran")  # fmt: skip
        last.add_metric([], state.refresh.last_run_ms / 1000)
        age = GaugeMetricFamily("cl3_scheduled_refresh_age_seconds",
                                "Seconds since the scheduled refresh last ran")  # fmt: skip
        age.add_metric([], state.refresh.age_s or 0.0)
        yield from (last, age)
