"""Shared fixtures: real Redis and MongoDB wire server, the sandbox exchange, the Chalice app.

Services come from REDIS_URL / MONGODB_URI when given, else `cl3 services` starts them on
test ports under .cl3/test (the same code path as the README's commands).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from chalice.test import Client
from pymongo import MongoClient

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_cli.processes import free_port
from cl3_cli.services import LocalServices
from cl3_common.settings import Settings
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import mint_token

# clock, keys and stub: the Supabase stand-in fixtures both auth suites use.
pytest_plugins = ["tests.auth_support"]

ROOT = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-with-at-least-32-bytes-of-entropy!!"
TEST_REDIS_DB = 13


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(redis base URL without db, mongodb URI) of live servers.

    Each test session gets a private Redis (tests flush it), while the MongoDB wire server is
    shared on a fixed port (every test uses a database of its own).
    """
    redis_url, mongo_uri = os.environ.get("REDIS_URL"), os.environ.get("MONGODB_URI")
    if redis_url and mongo_uri:
        yield redis_url.rsplit("/", 1)[0] if redis_url.count("/") > 2 else redis_url, mongo_uri
        return
    tools = ROOT / ".cl3" / "tools"
    mongo = LocalServices(ROOT / ".cl3" / "test", mongo_port=37017, tools_dir=tools)
    started_mongo = not mongo.status()["mongo"]
    mongo.up(log=lambda m: None, which=("mongo",))
    private = LocalServices(tmp_path_factory.mktemp("redis"), redis_port=free_port())
    private.up(log=lambda m: None, which=("redis",))
    yield private.redis_url.rsplit("/", 1)[0], mongo.mongodb_uri
    private.down(log=lambda m: None, which=("redis",))
    # On a developer machine the shared server stays up for the next run (and parallel ones).
    if started_mongo and os.environ.get("CI"):
        mongo.down(log=lambda m: None, which=("mongo",))


@pytest.fixture
def redis_url(services: tuple[str, str]) -> str:
    return f"{services[0]}/{TEST_REDIS_DB}"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def mongo_db_name(services: tuple[str, str]) -> Iterator[str]:
    name = f"cl3_test_{uuid.uuid4().hex[:10]}"
    yield name
    client: MongoClient = MongoClient(services[1], serverSelectionTimeoutMS=3000)
    client.drop_database(name)
    client.close()


@pytest.fixture
def mongo_db(services: tuple[str, str], mongo_db_name: str) -> Iterator[Any]:
    client: MongoClient = MongoClient(services[1], tz_aware=True, serverSelectionTimeoutMS=3000)
    yield client[mongo_db_name]
    client.close()


@pytest.fixture(scope="session")
def exchange_server() -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig(), host="127.0.0.1", port=0) as ex:
        yield ex


@pytest.fixture
def exchange(exchange_server: SandboxExchange) -> SandboxExchange:
    exchange_server.reset_limits()
    return exchange_server


@pytest.fixture
def env(
    redis_url: str,
    services: tuple[str, str],
    mongo_db_name: str,
    exchange: SandboxExchange,
    redis_client: redis.Redis,
) -> dict[str, str]:
    """The environment of section 7 for one test (its own Redis db content and Mongo db)."""
    return {
        "REDIS_URL": redis_url,
        "MONGODB_URI": services[1],
        "MONGODB_DB": mongo_db_name,
        "BINANCE_BASE_URL": exchange.url,
        "BINANCE_ARCHIVE_URL": exchange.url,
        "SUPABASE_JWT_SECRET": TEST_SECRET,
        "FETCH_CONCURRENCY": "4",
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def token() -> Callable[..., str]:
    def make(sub: str = "user-1", tier: str | None = "pro", **kw: Any) -> str:
        kw.setdefault("secret", TEST_SECRET)
        return mint_token(sub=sub, tier=tier, **kw)

    return make


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.from_settings(settings)
    yield rt
    rt.mongo.close()


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Client]:
    with Client(create_app(lambda: runtime)) as client:
        yield client


@pytest.fixture
def auth_headers(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def make(sub: str = "user-1", tier: str | None = "pro", **kw: Any) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token(sub, tier, **kw)}",
            "Content-Type": "application/json",
        }

    return make


@pytest.fixture
def run_worker_burst(env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs a real `cl3 worker --burst` process until the queues are empty."""

    def run(*queues: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cl3_cli", "worker", "--burst", *queues],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    return run
