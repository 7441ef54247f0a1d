"""Fixtures of the sandbox HTTP tests: one sandbox per module on a settable clock, reset for
each test, and a requests session (a module may define its own instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.integration.sandbox.support import NOW_S, Clock


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def server(clock: Clock) -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig(clock=clock)) as ex:
        yield ex


@pytest.fixture
def ex(server: SandboxExchange, clock: Clock) -> SandboxExchange:
    clock.now = NOW_S
    server.reset_limits()
    server.clear_faults()
    return server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
