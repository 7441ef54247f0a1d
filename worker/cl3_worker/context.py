"""Clients for jobs, built once per worker process from Settings (the factory RQ jobs use).

RQ forks a work horse per job; database and redis-py connections must not cross a fork, so the
context is cached per process id and rebuilt in a child on first use. Everything but Redis is
opened on first use: a job that fails early (or records an outage) needs no store, an analysis
needs no exchange, and a store that is down does not stop a failure from being recorded.
Exchange clients are per market (each host has its own budget and ban breaker) and built on
first use: a worker that only ever fetches spot never asks the futures hosts for anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import redis
import requests

from cl3_common.exchange import BinanceClient
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.exchange.session import exchange_session
from cl3_common.exchange.universe import SymbolUniverse
from cl3_common.intervals import Clock, ms_clock
from cl3_common.redis_conn import connect_job_redis
from cl3_common.settings import Settings
from cl3_common.store import Stores, open_stores
from cl3_common.tasks import TaskReader, TaskRecorder
from cl3_common.tasks.progress import ProgressStore
from cl3_worker.archive import ArchiveClient

Sleep = Callable[[float], None]


@dataclass
class WorkerContext:
    settings: Settings
    redis: redis.Redis
    clock: Clock = time.time
    sleep: Sleep = time.sleep

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock = time.time,
              sleep: Sleep = time.sleep) -> WorkerContext:  # fmt: skip
        return cls(settings, connect_job_redis(settings.REDIS_URL), clock, sleep)

    def now_ms(self) -> int:
        return ms_clock(self.clock)()

    @cached_property
    def stores(self) -> Stores:
        return open_stores(self.settings, clock_ms=ms_clock(self.clock))

    @cached_property
    def _progress(self) -> ProgressStore:
        return ProgressStore(self.redis, ms_clock(self.clock))

    @cached_property
    def recorder(self) -> TaskRecorder:
        return TaskRecorder(self._progress, lambda: self.stores.tasks, ms_clock(self.clock))

    @cached_property
    def reader(self) -> TaskReader:
        return TaskReader(self.redis, self._progress, lambda: self.stores.tasks)

    @cached_property
    def http(self) -> requests.Session:
        return exchange_session(max(10, self.settings.FETCH_CONCURRENCY * 2), "cl3-worker/0.1")

    @cached_property
    def hosts(self) -> ExchangeHosts:
        return ExchangeHosts(self.settings, self.redis, self.http, clock=self.clock,
                             sleep=self.sleep)  # fmt: skip

    def exchange_for(self, market: str) -> BinanceClient:
        """The market's REST client, paced by the budget of its host (from that host's own
        exchangeInfo) that every worker shares through Redis."""
        return self.hosts.client(market)

    @property
    def exchange(self) -> BinanceClient:
        """The spot client."""
        return self.exchange_for("spot")

    @property
    def universe(self) -> SymbolUniverse:
        """Which symbols each market's REST API lists (the API already asked the archive)."""
        return SymbolUniverse(self.hosts.catalog, None)

    @cached_property
    def archive(self) -> ArchiveClient | None:
        """The archive as a shortcut for listed symbols (whole past days and months)."""
        if not self.settings.ARCHIVE_BACKFILL:
            return None
        return self.archive_source

    @cached_property
    def archive_source(self) -> ArchiveClient:
        """The archive as a source: the only one of symbols REST no longer serves."""
        return ArchiveClient(self.settings.BINANCE_ARCHIVE_URL, self.http, sleep=self.sleep)

    def close(self) -> None:
        if "stores" in self.__dict__:
            self.stores.close()
        self.redis.close()


_cached: tuple[int, WorkerContext] | None = None


def get_context() -> WorkerContext:
    global _cached
    if _cached is None or _cached[0] != os.getpid():
        _cached = (os.getpid(), WorkerContext.build(Settings.from_env()))
    return _cached[1]
