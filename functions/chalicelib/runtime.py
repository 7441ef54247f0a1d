"""Everything a handler needs, built once per process (a Lambda cold start) from Settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests
from pymongo import MongoClient

from cl3_common.auth import Authenticator, AuthCache, TokenVerifier
from cl3_common.auth.authenticator import ClaimTierResolver
from cl3_common.auth.verifier import SecretKeySource
from cl3_common.exchange import BinanceClient, RedisWeightGate, WeightBudget
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.progress import ProgressStore
from cl3_common.redis_conn import connect_redis
from cl3_common.settings import Settings
from cl3_common.store import CandleStore, SeriesStore, TaskStore, connect_mongo
from cl3_common.tasks import TaskRecorder, TaskService
from cl3_common.tiers import Entitlements, build_entitlements


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    mongo: MongoClient
    authenticator: Authenticator
    catalog: SymbolCatalog
    tasks: TaskService
    candles: CandleStore
    series: SeriesStore
    entitlements: dict[str, Entitlements]
    clock: Callable[[], float]

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        http: requests.Session | None = None,
    ) -> Runtime:
        settings.require_token_verification()
        r = connect_redis(settings.REDIS_URL)
        mongo = connect_mongo(settings.MONGODB_URI)
        db = mongo[settings.MONGODB_DB]

        def clock_ms() -> int:
            return int(clock() * 1000)

        session = http or requests.Session()
        verifier = TokenVerifier(
            _key_source(settings),
            audience=settings.SUPABASE_JWT_AUDIENCE,
            issuer=settings.supabase_issuer,
            clock=clock,
        )
        authenticator = Authenticator(
            verifier,
            AuthCache(r, clock, ttl_s=settings.AUTH_CACHE_TTL),
            ClaimTierResolver(),
            clock=clock,
        )
        # The API only asks the exchange for its symbol list; it paces through the same budget.
        gate = RedisWeightGate(r, WeightBudget(), clock=clock, sleep=sleep, max_ban_wait_s=0)
        exchange = BinanceClient(
            settings.BINANCE_BASE_URL, session, gate=gate, clock=clock, sleep=sleep, max_attempts=2
        )
        progress = ProgressStore(r, clock_ms)
        task_store = TaskStore(db, clock_ms)
        recorder = TaskRecorder(r, progress, task_store)
        return cls(
            settings=settings,
            redis=r,
            mongo=mongo,
            authenticator=authenticator,
            catalog=SymbolCatalog(r, exchange),
            tasks=TaskService(r, progress, task_store, recorder),
            candles=CandleStore(db),
            series=SeriesStore(db, clock_ms),
            entitlements=build_entitlements(settings.TIER_LIMITS),
            clock=clock,
        )

    @classmethod
    def from_env(cls) -> Runtime:
        return cls.from_settings(Settings.from_env())


def _key_source(settings: Settings) -> SecretKeySource:
    if settings.SUPABASE_JWT_SECRET:
        return SecretKeySource(settings.SUPABASE_JWT_SECRET)
    raise NotImplementedError("JWKS verification is configured through SUPABASE_URL")


class RuntimeProvider:
    """Builds the Runtime on first use (cold start), once, even under concurrent requests."""

    def __init__(self, factory: Callable[[], Runtime]) -> None:
        self._factory = factory
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def get(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._factory()
        return self._runtime
