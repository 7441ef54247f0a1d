"""A Supabase project stand-in (JWKS, /auth/v1/user, PostgREST) and APIs configured against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from chalice.test import Client

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.settings import Settings
from cl3_sandbox.supabase import SupabaseStub
from tests.unit.auth.fakes import ANON, SERVICE, FakeClock

MakeApi = Callable[..., Client]
# These tests count cache entries and Supabase calls exactly: a Redis db of their own keeps a
# concurrent run of other suites (which flush db 13) from changing the counts under them.
AUTH_TEST_REDIS_DB = 12


@pytest.fixture
def redis_url(redis_base: str) -> str:
    return f"{redis_base}/{AUTH_TEST_REDIS_DB}"


@pytest.fixture
def supabase_env(env: dict[str, str], stub: SupabaseStub) -> dict[str, str]:
    """A production-shaped project: JWKS keys, remote session check, subscriptions table."""
    out = {k: v for k, v in env.items() if k != "SUPABASE_JWT_SECRET"}
    out.update(
        SUPABASE_URL=stub.url,
        SUPABASE_ANON_KEY=ANON,
        SUPABASE_SERVICE_KEY=SERVICE,
        SUPABASE_VERIFY_REMOTE="true",
    )
    return out


@pytest.fixture
def make_api(clock: FakeClock) -> Iterator[MakeApi]:
    """Builds an API instance (its own Runtime) from an environment; several may share Redis."""
    runtimes: list[Runtime] = []
    clients: list[Client] = []

    def make(environ: dict[str, str], **overrides: str) -> Client:
        runtime = Runtime.from_settings(Settings.from_env({**environ, **overrides}), clock=clock)
        runtimes.append(runtime)
        client = Client(create_app(lambda: runtime))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for runtime in runtimes:
        runtime.stores.close()


@pytest.fixture
def jwks_api(make_api: MakeApi, supabase_env: dict[str, str]) -> Client:
    return make_api(supabase_env)
