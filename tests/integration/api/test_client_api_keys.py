"""cl3.client manages API keys, and works with a key in place of a token."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cl3.client import Client, Forbidden, Unauthorized
from cl3_cli.processes import ProcessGroup, free_port


@pytest.fixture
def base(env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup({**os.environ, **env}, tmp_path / "logs") as procs:
        proc = procs.start("api", "api", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{url}/health", proc)
        yield url


def test_create_use_list_and_revoke(base, token):
    owner = Client(base, token("gina", "pro"), progress=False)
    created = owner.create_api_key("notebook")
    assert created["key"].startswith("cl3_") and created["tier"] == "pro"
    bot = Client(base, created["key"], progress=False, max_retries=0)
    assert bot.usage()["sub"] == "gina"  # the key acts as its owner
    assert [k["id"] for k in owner.api_keys()] == [created["id"]]
    with pytest.raises(Forbidden):
        bot.create_api_key("from a key")  # keys are managed with a token
    assert owner.revoke_api_key(created["id"])["id"] == created["id"]
    with pytest.raises(Unauthorized):
        bot.usage()
    assert owner.api_keys() == []
