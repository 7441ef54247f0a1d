"""Shared fixtures: real Redis, the store (a SQLite file per test, or a MongoDB wire server),
the sandbox exchange, the Chalice app.

Redis comes from REDIS_URL when given, else a private `redis-server` per test session. The
default store is a fresh SQLite file per test (the embedded default, as users run it). Tests
of the `mongodb` backend use MONGODB_URI when given, else the FerretDB that
`cl3 services up --mongo` starts on a test port under .cl3/test.
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
from cl3_common.store import Stores, open_stores
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from cl3_sandbox.supabase import mint_token

# clock, keys and stub: the Supabase stand-in fixtures both auth suites use.
pytest_plugins = ["tests.auth_support"]

ROOT = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-with-at-least-32-bytes-of-entropy!!"
TEST_REDIS_DB = 13


@pytest.fixture(scope="session")
def redis_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL (without db) of a live Redis; each test session gets a private one."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        yield redis_url.rsplit("/", 1)[0] if redis_url.count("/") > 2 else redis_url
        return
    private = LocalServices(tmp_path_factory.mktemp("redis"), redis_port=free_port())
    private.up(log=lambda m: None, which=("redis",))
    yield private.redis_url.rsplit("/", 1)[0]
    private.down(log=lambda m: None, which=("redis",))


@pytest.fixture(scope="session")
def mongo_uri() -> Iterator[str]:
    """A live MongoDB wire server, shared on a fixed port (every test uses its own database)."""
    given = os.environ.get("MONGODB_URI")
    if given:
        yield given
        return
    tools = ROOT / ".cl3" / "tools"
    mongo = LocalServices(ROOT / ".cl3" / "test", mongo_port=37017, tools_dir=tools)
    started = not mongo.status()["mongo"]
    mongo.up(log=lambda m: None, which=("mongo",))
    yield mongo.mongodb_uri
    # On a developer machine the shared server stays up for the next run (and parallel ones).
    if started and os.environ.get("CI"):
        mongo.down(log=lambda m: None, which=("mongo",))


@pytest.fixture
def redis_url(redis_base: str) -> str:
    return f"{redis_base}/{TEST_REDIS_DB}"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def mongo_db_name(mongo_uri: str) -> Iterator[str]:
    name = f"cl3_test_{uuid.uuid4().hex[:10]}"
    yield name
    client: MongoClient = MongoClient(mongo_uri, serverSelectionTimeoutMS=3000)
    client.drop_database(name)
    client.close()


@pytest.fixture
def mongo_db(mongo_uri: str, mongo_db_name: str) -> Iterator[Any]:
    """Raw access to a test's MongoDB database, for checking stored documents as they are."""
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=3000)
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
    tmp_path: Path,
    exchange: SandboxExchange,
    redis_client: redis.Redis,
) -> dict[str, str]:
    """The configuration environment for one test: its own Redis db content and store file."""
    return {
        "REDIS_URL": redis_url,
        "STORE_BACKEND": "sqlite",
        "SQLITE_PATH": str(tmp_path / "store" / "cl3.sqlite3"),
        "BINANCE_BASE_URL": exchange.url,
        "BINANCE_USDM_BASE_URL": exchange.url,
        "BINANCE_COINM_BASE_URL": exchange.url,
        "BINANCE_ARCHIVE_URL": exchange.url,
        "SUPABASE_JWT_SECRET": TEST_SECRET,
        "FETCH_CONCURRENCY": "4",
        # Every fetch the tests run writes through the child process a long fetch uses
        # (cl3_worker/writer_process.py); the pager's own tests cover the in-process writer.
        "FETCH_WRITER_PROCESS_MIN_CANDLES": "0",
    }


@pytest.fixture
def mongo_env(env: dict[str, str], mongo_uri: str, mongo_db_name: str) -> dict[str, str]:
    """`env` on the `mongodb` backend (a database of its own on the wire server)."""
    return {**env, "STORE_BACKEND": "mongodb", "MONGODB_URI": mongo_uri,
            "MONGODB_DB": mongo_db_name}  # fmt: skip


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def stores(settings: Settings) -> Iterator[Stores]:
    """The stores of the test's backend, opened as a worker opens them."""
    opened = open_stores(settings)
    yield opened
    opened.close()


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
    rt.stores.close()


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
