"""Concurrent requests through `cl3 api` never see each other's parameters, bodies or tokens.

Two users hammer the API at the same time from 16 threads with requests whose answers depend
on everything a request carries: its token (whose task ids it may see), its query string
(`limit`, `format`) and its body (which deduplicated task it maps to, or which 400 it gets).
Every answer is checked against what that very request should have produced.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import expected_klines
from tests.helpers import store_rows

pytestmark = pytest.mark.e2e

HOUR_MS = 3_600_000
START_MS = 1_704_067_200_000  # 2024-01-01
REQUESTS_PER_USER = 1000


@pytest.fixture
def api_base(env, tmp_path: Path):
    port = free_port()
    with ProcessGroup({**os.environ, **env}, tmp_path / "logs") as procs:
        proc = procs.start("api", "api", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", proc)
        yield base


def _user(base: str, token: str, symbol: str, limit: int, fmt: str) -> dict[str, Any]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    body = {"symbol": symbol, "interval": "1h", "start": START_MS, "end": START_MS + 48 * HOUR_MS}
    first = http.post(f"{base}/api/market-data/fetch", json=body)
    assert first.status_code == 202, first.text
    return {"token": token, "symbol": symbol, "limit": limit, "format": fmt,
            "fetch_body": body, "task_id": first.json()["task_id"]}  # fmt: skip


def _one(base: str, user: dict[str, Any], kind: str, session: requests.Session) -> str | None:
    """Sends one request of `kind` as `user`; returns a description of any cross-talk."""
    auth = {"Authorization": f"Bearer {user['token']}"}
    if kind == "read":
        r = session.get(
            f"{base}/api/market-data/{user['symbol']}/1h",
            params={"limit": user["limit"], "format": user["format"]},
            headers=auth,
        )
        if r.status_code != 200:
            return f"read {r.status_code} {r.text[:200]}"
        if user["format"] == "csv":
            rows = r.text.strip().splitlines()[1:]
            ok = r.headers["Content-Type"].startswith("text/csv") and len(rows) == user["limit"]
            return None if ok else f"csv read got {len(rows)} rows"
        candles = r.json()["candles"]
        return None if len(candles) == user["limit"] else f"json read got {len(candles)} candles"
    if kind == "progress":
        r = session.get(f"{base}/api/task/{user['task_id']}/progress", headers=auth)
        if r.status_code != 200 or r.json()["task_id"] != user["task_id"]:
            return f"progress {r.status_code} {r.text[:200]}"
        return None
    if kind == "fetch":  # the same body: the same pending task (dedupe per user and body)
        r = session.post(f"{base}/api/market-data/fetch", json=user["fetch_body"], headers=auth)
        if r.status_code != 202 or r.json()["task_id"] != user["task_id"]:
            return f"fetch {r.status_code} {r.text[:200]}"
        return None
    # A body that is not JSON: always this request's own 400, whatever runs next to it.
    bad = "{" + user["symbol"] + " is not json"
    r = session.post(f"{base}/api/market-data/fetch", data=bad, headers=auth)
    if r.status_code != 400 or r.json()["error"]["code"] != "invalid_request":
        return f"bad body {r.status_code} {r.text[:200]}"
    return None


def test_two_users_concurrently_never_get_each_others_answers(api_base, env, token):
    for symbol in ("BTCUSDT", "ETHUSDT"):
        rows = expected_klines(symbol, "1h", START_MS, START_MS + 24 * HOUR_MS - 1,
                               now_ms=START_MS + 10**10)  # fmt: skip
        store_rows(env, symbol, "1h", rows)
    alice = _user(api_base, token("alice", "enterprise"), "BTCUSDT", 1, "csv")
    bob = _user(api_base, token("bob", "enterprise"), "ETHUSDT", 7, "json")
    kinds = ("read", "progress", "fetch", "bad_body")
    work = [
        (user, kind)
        for _, kind in zip(range(REQUESTS_PER_USER), itertools.cycle(kinds))
        for user in (alice, bob)
    ]
    local = threading.local()  # one kept-alive connection per client thread

    def run(item: tuple[dict[str, Any], str]) -> tuple[str, str | None]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        user, kind = item
        try:
            return kind, _one(api_base, user, kind, local.session)
        except ValueError as e:  # e.g. CSV where this request asked for JSON
            return kind, f"{kind}: unparseable answer: {e}"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(run, work))

    assert len(outcomes) == 2 * REQUESTS_PER_USER
    assert Counter(kind for kind, _ in outcomes) == {k: 2 * REQUESTS_PER_USER // 4 for k in kinds}
    crossed = [(kind, problem) for kind, problem in outcomes if problem is not None]
    assert crossed == [], f"{len(crossed)} crossed answers: " + json.dumps(crossed[:10])
