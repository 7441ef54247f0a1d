"""Clients for jobs, built once per worker process from Settings (the factory RQ jobs use).

RQ forks a work horse per job; database and redis-py connections must not cross a fork, so the
context is cached per process id and rebuilt in a child on first use. Exchange clients are
per market and built on first use: a worker that only ever fetches spot never asks the
futures hosts for anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests
from requests.adapters import HTTPAdapter

from cl3_common.exchange import BinanceClient
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.exchange.universe import SymbolUniverse
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
    hosts: ExchangeHosts
    archive: ArchiveClient  # the only source of delisted symbols, whatever the settings
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def exchange(self, market: str = "spot") -> BinanceClient:
        """The market's paced client (its budget from its own exchangeInfo)."""
        return self.hosts.client(market)

    @property
    def backfill_archive(self) -> ArchiveClient | None:
        """The archive for whole past days and months of listed symbols, when enabled."""
        return self.archive if self.settings.ARCHIVE_BACKFILL else None

    @property
    def universe(self) -> SymbolUniverse:
        """Which symbols REST lists (the archive is not asked: the API already was)."""
        return SymbolUniverse(self.hosts.catalog, None)

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
        hosts = ExchangeHosts(settings, r, session, clock=clock, sleep=sleep)
        archive = ArchiveClient(settings.BINANCE_ARCHIVE_URL, session, sleep=sleep)
        return cls(
            settings=settings,
            redis=r,
            stores=stores,
            recorder=TaskRecorder(r, ProgressStore(r, clock_ms), stores.tasks, clock_ms),
            hosts=hosts,
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
