"""2,400 malformed requests over every route of `cl3 api` (a process): no 5xx, one error shape
(Binance's `{"code", "msg"}` under /binance, the mirror's protocol).

The requests come from a seeded generator, so a failure replays exactly. They cover every
operation of /openapi.json plus unknown paths and methods, with broken path segments, query
values (NaN, Infinity, 1e400, "²", 5,000 digits, cursors of 1e300 and 10^20, repeats), bodies
(NaN literals, 100,000 levels of nesting, 1 MB, not UTF-8, 2^63 params, wrong types, unknown
fields), media types and tokens (garbage, a string `exp`, an integer `sub`, wrong secret).
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from cl3_cli.processes import ProcessGroup, free_port
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.e2e

REQUESTS = 2400
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
UNLIMITED = json.dumps({t: {"requests_per_minute": 10**9} for t in ("free", "pro", "enterprise")})


@dataclass
class Probe:
    operation: tuple[str, str]  # the documented (method, path) it was made from
    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        body = repr(self.body[:80]) if self.body else ""
        return f"{self.method} {self.path[:80]} {self.params[:3]} {body} {self.headers}"[:400]


@pytest.fixture
def api_base(env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup({**os.environ, **env, "TIER_LIMITS": UNLIMITED}, tmp_path / "logs") as procs:
        proc = procs.start("api", "api", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", proc)
        yield base


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "fuzz", "aud": "authenticated", "role": "authenticated", "exp": now + 3600,
            "app_metadata": {"subscription_tier": "enterprise"}, **over}  # fmt: skip


BAD_VALUES = [
    "NaN", "Infinity", "-Infinity", "1e400", "²", "٣", "1" * 5000, "-1", "0", "1e3",
    "99999999999999999999999", "2024-13-45", "0001-01-01T00:00:00+01:00", "null", "true",
    "", " ", "%", "\u0000", "\ud7ff", "x" * 300, "2024-01-01T00:00:00Z", "1704067200000",
    _b64(b'{"from":1e300}'), _b64(b'{"from":100000000000000000000}'), _b64(b"[]"), "%FF",
]  # fmt: skip
BAD_SEGMENTS = ["BTCUSDT", "btc-usdt", "9h", "1h", "²", "x" * 500, "%00", "..", "%2e%2e",
                "BTC%20USDT", "🙂", "1M", "abc", "0" * 40]  # fmt: skip
QUERY_NAMES = ["start", "end", "limit", "cursor", "format", "market", "kind", "symbol",
               "interval", "verbose", "x" * 200]  # fmt: skip
JSON_VALUES: list[Any] = [
    None, True, 1, -1, 2**63, 2**64 - 1, 10**20, 1e300, 0.5, "", "x" * 2000, "²", [], {},
    [1, 2], {"a": 1}, "2024-01-01T00:00:00Z", 1_704_067_200_000, "BTCUSDT", "1h", "csv",
    "abc", "LUNAUSDT", "parquet", "usdm", "mark",
]  # fmt: skip
CONTENT_TYPES = [
    None, None, "application/json", "text/plain", "application/xml", "image/png",
    "multipart/form-data; boundary=z", "application/x-www-form-urlencoded",
    "application/json; charset=latin-1",
]  # fmt: skip
BODY_FIELDS = ["symbol", "interval", "start", "end", "format", "market", "kind", "params",
               "colour"]  # fmt: skip


def raw_bodies() -> list[bytes]:
    deep = b"[" * 100_000 + b"]" * 100_000
    return [
        b"", b"null", b"[1,2]", b'"text"', b"not json", b"\xff\xfe\x00",
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": NaN}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": Infinity}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": 1e400}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "params": {"slow": 9223372036854775808}}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "params": {"slow": 1e300, "fast": -5}}',
        deep, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"{" + b" " * 1_000_000 + b"}",
        json.dumps({"symbol": "BTCUSDT", "pad": "x" * 70_000}).encode(),
    ]  # fmt: skip


class Generator:
    def __init__(self, seed: int, operations: list[tuple[str, str]]) -> None:
        self.rng = random.Random(seed)
        self.operations = operations
        good = jwt.encode(_claims(), TEST_SECRET, algorithm="HS256")
        self.tokens = [
            good, good, good, good, good, good,
            jwt.encode(_claims(app_metadata={"subscription_tier": "free"}), TEST_SECRET),
            jwt.encode(_claims(exp="9999999999"), TEST_SECRET),
            jwt.encode(_claims(sub=42), TEST_SECRET),
            jwt.encode(_claims(), "another-secret-of-at-least-32-bytes!!"),
            "not.a.jwt", "x" * 9000, "",
        ]  # fmt: skip
        self.raw = raw_bodies()

    def probe(self) -> Probe:
        rng = self.rng
        operation = rng.choice(self.operations)
        method, template = operation
        roll = rng.random()
        if roll < 0.05:
            method = rng.choice(["PUT", "PATCH", "DELETE", "POST", "GET"])
        if roll > 0.97:
            template = rng.choice(["/nope", "/api", "/api/market-data", "/api/task//progress",
                                   "/docs/../../etc/passwd", "/" + "a/" * 50])  # fmt: skip
        probe = Probe(
            operation, method, self._path(template), self._query(), headers=self._headers()
        )
        if method in ("POST", "PUT", "PATCH"):
            probe.body = self._body()
        return probe

    def _path(self, template: str) -> str:
        return re.sub(r"\{[^}]+\}", lambda _: self.rng.choice(BAD_SEGMENTS), template)

    def _query(self) -> list[tuple[str, str]]:
        count = self.rng.choice([0, 0, 1, 2, 3])
        return [(self.rng.choice(QUERY_NAMES), self.rng.choice(BAD_VALUES)) for _ in range(count)]

    def _headers(self) -> dict[str, str]:
        rng = self.rng
        headers = {"Authorization": f"Bearer {rng.choice(self.tokens)}"}
        if rng.random() < 0.1:
            headers["Authorization"] = rng.choice(["Basic dXNlcjpwYXNz", "Bearer", "bearer  x"])
        content_type = rng.choice(CONTENT_TYPES)
        if content_type:
            headers["Content-Type"] = content_type
        if rng.random() < 0.2:
            headers["Accept"] = rng.choice(["image/png", "*/*", "text/html", "application/json"])
        return headers

    def _body(self) -> bytes:
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(self.raw)
        body = {"symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z"}
        for _ in range(rng.choice([1, 2, 3])):
            body[rng.choice(BODY_FIELDS)] = rng.choice(JSON_VALUES)
        if rng.random() < 0.2:
            body["params"] = {rng.choice(["fast", "slow", "window", "entry_z", "alpha", "horizon",
                                          "bogus"]): rng.choice(JSON_VALUES)}  # fmt: skip
        return json.dumps(body).encode()


def send(base: str, session: requests.Session, probe: Probe) -> tuple[int, str | None]:
    """Sends one probe; returns its status and what is wrong with the answer, if anything."""
    response = session.request(
        probe.method, base + probe.path, params=probe.params, data=probe.body,
        headers=probe.headers, timeout=30,
    )  # fmt: skip
    status = response.status_code
    if status >= 500:
        return status, f"{status} {response.text[:200]}"
    if status < 400:
        return status, None
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return status, f"{status} with Content-Type {response.headers.get('Content-Type')}"
    try:
        body = response.json()
        if probe.path.startswith("/binance/"):  # the Binance mirror speaks Binance's shape
            assert set(body) == {"code", "msg"} and isinstance(body["code"], int)
            assert body["code"] < 0 and isinstance(body["msg"], str)
            return status, None
        error = body["error"]
        assert set(body) == {"error"} and set(error) == {"code", "message"}
        assert SNAKE.match(error["code"]) and isinstance(error["message"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        return status, f"{status} not in our shape: {response.text[:200]}"
    return status, None


def test_malformed_requests_never_get_a_5xx_and_errors_keep_one_shape(api_base):
    document = requests.get(f"{api_base}/openapi.json", timeout=5).json()
    operations = [(m.upper(), p) for p, item in document["paths"].items() for m in item]
    generator = Generator(seed=20_261_130, operations=operations)
    probes = [generator.probe() for _ in range(REQUESTS)]
    sessions: dict[int, requests.Session] = {}

    def run(probe: Probe) -> tuple[Probe, int, str | None]:
        session = sessions.setdefault(threading.get_ident(), requests.Session())
        return probe, *send(api_base, session, probe)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(run, probes))

    statuses = Counter(status for _, status, _ in outcomes)
    print(f"\nmalformed-request fuzz: {len(outcomes)} requests, {dict(sorted(statuses.items()))}")
    problems = [f"{p.describe()} -> {why}" for p, _, why in outcomes if why]
    assert len(outcomes) == REQUESTS
    assert problems == [], f"{len(problems)} bad answers, e.g.:\n" + "\n".join(problems[:10])
    # The run reached every operation and every kind of refusal it is meant to provoke.
    assert set(operations) <= {p.operation for p in probes}
    assert {400, 401, 404, 405, 413, 415} <= set(statuses)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/docs/%3B", 400),  # ";" once made the gateway emulation serve /docs (HTML) here
        ("/docs/%3Fx", 400),
        ("/api/task/%3F/progress", 400),
        ("/api/task/%23/progress", 400),
        ("/api/market-data/BTC%3BUSDT/1h", 400),
        ("/api/market-data/BTCUSDT/1h%3Flimit=1", 400),
    ],
)
def test_encoded_separators_stay_inside_their_path_segment(api_base, token, path, status):
    response = requests.get(
        api_base + path, headers={"Authorization": f"Bearer {token()}"}, timeout=10
    )
    assert response.status_code == status, response.text[:200]
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}
