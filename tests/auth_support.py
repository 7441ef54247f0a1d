"""Fixtures shared by the unit and integration auth suites: a Supabase project stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cl3_sandbox.supabase import SigningKeys, SupabaseStub
from tests.unit.auth.fakes import ANON, SERVICE, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture
def stub(keys: SigningKeys) -> Iterator[SupabaseStub]:
    with SupabaseStub(keys, anon_key=ANON, service_key=SERVICE) as running:
        yield running
