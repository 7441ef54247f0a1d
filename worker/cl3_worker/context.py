"""Clients for jobs, built once per worker process from Settings (the factory RQ jobs use).

RQ forks a work horse per job; database and redis-py connections must not cross a fork, so the
context is cached per process id and rebuilt in a child on first use.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests
from requests.adapters import HTTPAdapter

from cl3_common.exchange import BinanceClient, RedisWeightGate
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.progress import ProgressStore
from cl3_common.redis_conn import connect_redis
from cl3_common.settings import Settings
from cl3_common.store import Stores, open_stores
from cl3_common.tasks import TaskRecorder
from cl3_worker.archive import ArchiveClient


@dataclass
class WorkerContext:
    settings: Settings
    redis: redis.Redis
    stores: Stores
    recorder: TaskRecorder
    exchange: BinanceClient
    archive: ArchiveClient | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> WorkerContext:
        r = connect_redis(settings.REDIS_URL)

        def clock_ms() -> int:
            return int(clock() * 1000)

        stores = open_stores(settings, clock_ms=clock_ms)

        session = requests.Session()
        pool = max(10, settings.FETCH_CONCURRENCY * 2)
        session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=pool))
        session.mount("https://", HTTPAdapter(pool_connections=4, pool_maxsize=pool))
        session.headers["User-Agent"] = "cl3-worker/0.1"
        # The budget comes from exchangeInfo; the catalogue is cached in Redis for everyone.
        bootstrap = BinanceClient(settings.BINANCE_BASE_URL, session, clock=clock, sleep=sleep)
        budget = SymbolCatalog(r, bootstrap).info().budget
        gate = RedisWeightGate(r, budget, clock=clock, sleep=sleep)
        # exchangeInfo itself weighs 20: make the shared budget know what it already spent.
        gate.observe_used_weight(bootstrap.last_used_weights.get(budget.header.upper(), 0))
        exchange = BinanceClient(
            settings.BINANCE_BASE_URL, session, gate=gate, clock=clock, sleep=sleep
        )
        archive = (
            ArchiveClient(settings.BINANCE_ARCHIVE_URL, session, sleep=sleep)
            if settings.ARCHIVE_BACKFILL
            else None
        )
        return cls(
            settings=settings,
            redis=r,
            stores=stores,
            recorder=TaskRecorder(r, ProgressStore(r, clock_ms), stores.tasks, clock_ms),
            exchange=exchange,
            archive=archive,
            clock=clock,
            sleep=sleep,
        )


_cached: tuple[int, WorkerContext] | None = None


def get_context() -> WorkerContext:
    global _cached
    if _cached is None or _cached[0] != os.getpid():
        _cached = (os.getpid(), WorkerContext.build(Settings.from_env()))
    return _cached[1]
