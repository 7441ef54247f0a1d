"""An API with an API key of a pro user, and the sandbox exchange to compare against."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from chalice.test import Client

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.settings import Settings


@pytest.fixture
def api_key(api, auth_headers) -> str:
    response = api.http.post("/api/keys", headers=auth_headers("alice", "pro"),
                             body=json.dumps({"name": "mirror tests"}))  # fmt: skip
    assert response.status_code == 201, response.body
    return json.loads(response.body)["key"]


@pytest.fixture
def binance(api, api_key) -> Callable[..., Any]:
    """GET a mirror path with the key in X-MBX-APIKEY; returns the chalice response."""

    def get(path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        sent = {"X-MBX-APIKEY": api_key, **headers}
        return api.http.get(f"/binance/api/v3/{path}" + (f"?{query}" if query else ""),
                            headers=sent)  # fmt: skip

    return get


@pytest.fixture
def direct(exchange) -> Callable[..., Any]:
    """The same request straight to the sandbox exchange."""
    session = requests.Session()

    def get(path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return session.get(f"{exchange.url}/api/v3/{path}", params=params or {})

    return get


@pytest.fixture
def make_runtime(env) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(**overrides: str) -> Runtime:
        rt = Runtime.from_settings(Settings.from_env({**env, **overrides}))
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.stores.close()


@pytest.fixture
def second_api(make_runtime) -> Iterator[Client]:
    """Another API process sharing Redis and the store (single flight across processes)."""
    rt = make_runtime()
    with Client(create_app(lambda: rt)) as client:
        yield client
