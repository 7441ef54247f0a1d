"""What the shared state in Redis says right now: exchange bans and pauses per host, queue
depths, and when the scheduled refresh last ran.

Read in one pipelined round trip, for `/health` and for the scrape-time gauges of every
`/metrics`. Nothing here names a user or a symbol, and no secret is read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue

from cl3_common.redis_conn import KEY_PREFIX, as_text, redis_errors_translated

LAST_REFRESH_KEY = f"{KEY_PREFIX}:ops:last_scheduled_refresh"
QUEUE_STATES = ("queued", "started", "scheduled", "deferred", "failed")


@dataclass(frozen=True)
class BreakerKeys:
    """Where one host's gate keeps its ban and 429-pause deadlines (epoch seconds)."""

    ban: str
    pause: str


@dataclass(frozen=True)
class HostState:
    banned_until_s: float | None
    paused_until_s: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "banned": self.banned_until_s is not None,
            "banned_until": _ms(self.banned_until_s),
            "paused_until": _ms(self.paused_until_s),
        }


@dataclass(frozen=True)
class RefreshState:
    last_run_ms: int | None
    age_s: float | None

    def as_json(self, interval_s: int) -> dict[str, Any]:
        return {
            "last_run_at": self.last_run_ms,
            "age_s": None if self.age_s is None else round(self.age_s, 1),
            "interval_s": interval_s,
        }


@dataclass(frozen=True)
class ClusterState:
    hosts: dict[str, HostState]
    queues: dict[str, dict[str, int]]
    refresh: RefreshState


def read_cluster_state(
    client: redis.Redis,
    hosts: Mapping[str, BreakerKeys],
    queue_names: Sequence[str],
    *,
    now_s: float | None = None,
) -> ClusterState:
    """One round trip to Redis; an expired ban or pause reads as none."""
    now = time.time() if now_s is None else now_s
    pipe = client.pipeline(transaction=False)
    for keys in hosts.values():
        pipe.mget(keys.ban, keys.pause)
    for name in queue_names:
        queue = Queue(name, connection=client)
        pipe.llen(queue.key)
        for registry in (queue.started_job_registry, queue.scheduled_job_registry,
                         queue.deferred_job_registry, queue.failed_job_registry):  # fmt: skip
            pipe.zcard(registry.key)
    pipe.get(LAST_REFRESH_KEY)
    with redis_errors_translated():
        answers = iter(pipe.execute())
    host_states = {}
    for host in hosts:
        ban, pause = next(answers)
        host_states[host] = HostState(_future(ban, now), _future(pause, now))
    queues = {name: {state: int(next(answers)) for state in QUEUE_STATES} for name in queue_names}
    raw = next(answers)
    last_ms = int(as_text(raw)) if raw else None
    age = None if last_ms is None else max(0.0, now - last_ms / 1000)
    return ClusterState(host_states, queues, RefreshState(last_ms, age))


def record_scheduled_refresh(client: redis.Redis, now_ms: int) -> None:
    """Called once per scheduled refresh run: its age is what `/health` shows."""
    with redis_errors_translated():
        client.set(LAST_REFRESH_KEY, now_ms)


def _future(raw: bytes | None, now: float) -> float | None:
    if raw is None:
        return None
    until = float(as_text(raw))
    return until if until > now else None


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)
