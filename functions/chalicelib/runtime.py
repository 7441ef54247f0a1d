"""Everything a handler needs, built once per process (a Lambda cold start) from Settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests

from cl3_common.auth import AuthCache, Authenticator, TokenVerifier
from cl3_common.auth.api_keys import ApiKeys
from cl3_common.auth.authenticator import RemoteSessionCheck
from cl3_common.auth.credentials import RequestAuthenticator
from cl3_common.auth.jwks import JwksKeySource, jwks_url
from cl3_common.auth.remote import SupabaseUserCheck
from cl3_common.auth.subscriptions import SubscriptionTable, SupabaseTierResolver
from cl3_common.auth.verifier import KeySource, SecretKeySource
from cl3_common.exchange.archive_probe import ArchiveProbe
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.exchange.universe import SymbolUniverse
from cl3_common.intervals import ms_clock
from cl3_common.mirror.service import BinanceMirror, MirrorProvider, pooled_session
from cl3_common.ratelimit import RateLimiter
from cl3_common.redis_conn import connect_redis
from cl3_common.settings import Settings, SettingsError
from cl3_common.store import Stores, open_stores
from cl3_common.tasks import TaskService
from cl3_common.tiers import Entitlements, build_entitlements
from cl3_common.timeouts import REQUEST_READ_S, REQUEST_WAIT_S


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    stores: Stores
    authenticator: Authenticator
    universe: SymbolUniverse
    tasks: TaskService
    entitlements: dict[str, Entitlements]
    clock: Callable[[], float]
    rate_limiter: RateLimiter | None = None
    # API keys (issue 15): every authenticated route goes through `credentials`.
    api_keys: ApiKeys | None = None
    credentials: RequestAuthenticator | None = None
    mirror: MirrorProvider | None = None  # the Binance mirror (issue 15), built on first use

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        http: requests.Session | None = None,
        supabase_http: requests.Session | None = None,
    ) -> Runtime:
        settings.require_token_verification()
        r = connect_redis(settings.REDIS_URL)
        clock_ms = ms_clock(clock)

        stores = open_stores(settings, clock_ms=clock_ms, request_path=True)

        session = http or requests.Session()
        authenticator = _authenticator(
            settings, r, supabase_http or requests.Session(), clock=clock, sleep=sleep
        )
        # The API only asks each market for its symbol list, through the same gates as the
        # workers: nothing is sent to a banned host (it answers 503 at once instead).
        hosts = ExchangeHosts(settings, r, session, clock=clock, sleep=sleep, max_ban_wait_s=0,
                              max_attempts=1, timeout_s=REQUEST_READ_S,
                              catalog_wait_s=REQUEST_WAIT_S)  # fmt: skip
        probe = ArchiveProbe(settings.BINANCE_ARCHIVE_URL, session, r, clock_ms=clock_ms,
                             timeout_s=REQUEST_READ_S)  # fmt: skip
        api_keys = ApiKeys(stores.api_keys, r, clock)
        return cls(
            settings=settings,
            redis=r,
            stores=stores,
            authenticator=authenticator,
            universe=SymbolUniverse(hosts.catalog, probe),
            tasks=TaskService(r, stores.tasks, clock_ms),
            entitlements=build_entitlements(settings.TIER_LIMITS),
            clock=clock,
            rate_limiter=RateLimiter(r, clock),
            api_keys=api_keys,
            credentials=RequestAuthenticator(authenticator, api_keys),
            mirror=MirrorProvider(
                lambda: BinanceMirror(
                    settings, r, stores, http or pooled_session(), clock=clock, sleep=sleep
                )
            ),
        )

    @classmethod
    def from_env(cls) -> Runtime:
        return cls.from_settings(Settings.from_env())


def _authenticator(
    settings: Settings,
    r: redis.Redis,
    session: requests.Session,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Authenticator:
    """Key source, claim checks, optional remote check, tier chain, cache.

    docs/api.md, "Authentication and plans", says what each does.
    """
    verifier = TokenVerifier(
        _key_source(settings, session, clock=clock, sleep=sleep),
        audience=settings.SUPABASE_JWT_AUDIENCE,
        issuer=settings.supabase_issuer,
        clock=clock,
    )
    table = None
    if settings.SUPABASE_SERVICE_KEY:
        url = _require_url(settings, "SUPABASE_SERVICE_KEY")
        table = SubscriptionTable(url, settings.SUPABASE_SERVICE_KEY, session, sleep=sleep)
    remote: RemoteSessionCheck | None = None
    if settings.SUPABASE_VERIFY_REMOTE:
        url = _require_url(settings, "SUPABASE_VERIFY_REMOTE")
        if not settings.SUPABASE_ANON_KEY:
            raise SettingsError(
                "invalid configuration: SUPABASE_VERIFY_REMOTE=true needs SUPABASE_ANON_KEY "
                "(sent as the apikey of GET /auth/v1/user)"
            )
        remote = SupabaseUserCheck(url, settings.SUPABASE_ANON_KEY, session, sleep=sleep)
    return Authenticator(
        verifier,
        AuthCache(r, clock, ttl_s=settings.AUTH_CACHE_TTL),
        SupabaseTierResolver(table),
        remote_check=remote,
        clock=clock,
    )


def _key_source(
    settings: Settings,
    session: requests.Session,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> KeySource:
    """HS256 with the legacy secret when it is set; otherwise the project's JWKS."""
    if settings.SUPABASE_JWT_SECRET:
        return SecretKeySource(settings.SUPABASE_JWT_SECRET)
    url = _require_url(settings, "JWKS verification")
    return JwksKeySource(jwks_url(url), session, clock=clock, sleep=sleep)


def _require_url(settings: Settings, needed_by: str) -> str:
    if not settings.SUPABASE_URL:
        raise SettingsError(f"invalid configuration: SUPABASE_URL is required by {needed_by}")
    return settings.SUPABASE_URL


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
