"""Contract fuzzing: schemathesis, driven by /openapi.json, against `cl3 api` (a process).

Every operation gets examples that follow its schema and examples that break it, sent with a
valid token. Each answer must not be a 5xx, must use a documented status code and media type,
and its body and headers must match the documented schemas. At least 1,000 requests.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cl3_cli.processes import ProcessGroup, free_port
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, kline_to_row, open_stores
from cl3_sandbox.exchange import expected_klines

pytestmark = pytest.mark.e2e

EXAMPLES_PER_MODE = 50
MIN_REQUESTS = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
UNLIMITED = json.dumps({t: {"requests_per_minute": 10**9} for t in ("free", "pro", "enterprise")})
START_MS, HOUR_MS = 1_704_067_200_000, 3_600_000


@pytest.fixture
def api_base(env, tmp_path: Path) -> Iterator[str]:
    stores = open_stores(Settings.from_env(env))  # some candles, so reads have pages to serve
    rows = expected_klines("BTCUSDT", "1h", START_MS, START_MS + 48 * HOUR_MS - 1,
                           now_ms=START_MS + 10**10)  # fmt: skip
    stores.candles.insert(SeriesKey("BTCUSDT", "1h"), [kline_to_row(r) for r in rows])
    stores.close()
    port = free_port()
    with ProcessGroup({**os.environ, **env, "TIER_LIMITS": UNLIMITED}, tmp_path / "logs") as procs:
        proc = procs.start("api", "api", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", proc)
        yield base


def test_every_operation_honours_its_documented_contract(api_base, token):
    schema = schemathesis.openapi.from_url(f"{api_base}/openapi.json")
    session = requests.Session()
    auth = {"Authorization": f"Bearer {token('contract', 'enterprise')}"}
    sent: Counter[tuple[str, int]] = Counter()

    def exercise(operation, mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def one(case) -> None:
            # The token authenticates every case: schemathesis fills the API-key schemes'
            # headers with made-up keys, which would win over it (a key header is preferred).
            for name in ("X-API-Key", "X-MBX-APIKEY"):
                (case.headers or {}).pop(name, None)
            response = case.call(base_url=api_base, session=session, headers=auth)
            sent[(operation.label, response.status_code)] += 1
            case.validate_response(response, checks=CHECKS)

        with contextlib.suppress(Unsatisfiable):  # e.g. nothing to break in an input-less route
            one()

    operations = [result.ok() for result in schema.get_all_operations()]
    documented = requests.get(f"{api_base}/openapi.json", timeout=5).json()["paths"]
    # schemathesis leaves out the document it was loaded from; every other route is tested.
    assert {op.label for op in operations} == {
        f"{method.upper()} {path}" for path, item in documented.items() for method in item
    } - {"GET /openapi.json"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation, mode)

    total = sum(sent.values())
    by_status = Counter()
    for (_, status), n in sent.items():
        by_status[status] += n
    print(f"\ncontract fuzz: {total} requests over {len(operations)} operations, "
          f"{dict(sorted(by_status.items()))}")  # fmt: skip
    assert total >= MIN_REQUESTS
    assert {label for label, _ in sent} == {op.label for op in operations}
    assert not [s for s in by_status if s >= 500]
