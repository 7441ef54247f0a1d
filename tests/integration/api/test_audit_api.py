"""POST /api/market-data/audit through the Chalice app: who may, what is enqueued, what is
refused, and one audit run by a `cl3 worker` process end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rq import Queue

START, END = "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"
JAN_1 = 1_704_067_200_000
DAY = 86_400_000
BODY = {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END}


def _post(api: Any, headers: dict[str, str], body: dict[str, Any], query: str = "") -> Any:
    return api.http.post(f"/api/market-data/audit{query}", headers=headers, body=json.dumps(body))


def _error(response: Any) -> dict[str, str]:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return dict(body["error"])


def _queued_params(redis_client: Any) -> list[dict[str, Any]]:
    queue = Queue("cl3-ingest", connection=redis_client)
    return [job.kwargs["params"] for job in queue.jobs]


def test_an_enterprise_audit_is_enqueued(api, auth_headers, redis_client):
    response = _post(api, auth_headers(tier="enterprise"), BODY)
    assert response.status_code == 202, response.body
    body = json.loads(response.body)
    assert body["status_url"] == f"/api/task/{body['task_id']}/progress"
    assert _queued_params(redis_client) == [{"symbol": "BTCUSDT", "interval": "1h",
                                             "start_ms": JAN_1, "end_ms": JAN_1 + 2 * DAY,
                                             "repair": False}]  # fmt: skip
    progress = json.loads(api.http.get(body["status_url"],
                                       headers=auth_headers(tier="enterprise")).body)  # fmt: skip
    assert (progress["type"], progress["status"]) == ("audit", "queued")


@pytest.mark.parametrize(("body", "query"), [({**BODY, "repair": True}, ""),
                                             (BODY, "?repair=true"),
                                             ({**BODY, "repair": True}, "?repair=1")])  # fmt: skip
def test_repair_is_a_body_field_or_a_query_parameter(api, auth_headers, redis_client, body,
                                                     query):  # fmt: skip
    response = _post(api, auth_headers(tier="enterprise"), body, query)
    assert response.status_code == 202, response.body
    assert [p["repair"] for p in _queued_params(redis_client)] == [True]


@pytest.mark.parametrize("tier", ["free", "pro"])
def test_only_enterprise_may_audit(api, auth_headers, redis_client, tier):
    response = _post(api, auth_headers(tier=tier), BODY)
    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "subscription_required" and "enterprise" in error["message"]
    assert _queued_params(redis_client) == []


@pytest.mark.parametrize(
    ("body", "query", "code"),
    [
        ({**BODY, "symbol": "NOPEUSDT"}, "", "invalid_symbol"),
        ({**BODY, "interval": "7m"}, "", "invalid_interval"),
        ({k: v for k, v in BODY.items() if k != "end"}, "", "invalid_request"),
        ({**BODY, "start": END, "end": START}, "", "invalid_range"),
        ({**BODY, "repair": "yes"}, "", "invalid_request"),
        ({**BODY, "repair": False}, "?repair=true", "invalid_request"),
        (BODY, "?repair=maybe", "invalid_request"),
        (BODY, "?fix=true", "invalid_request"),
        ({**BODY, "colour": "red"}, "", "invalid_request"),
        ({**BODY, "market": "usdm", "interval": "1s"}, "", "invalid_interval"),
        ({**BODY, "kind": "mark"}, "", "invalid_request"),
    ],
)
def test_bad_audits_are_refused_before_anything_is_enqueued(api, auth_headers, redis_client,
                                                            body, query, code):  # fmt: skip
    response = _post(api, auth_headers(tier="enterprise"), body, query)
    assert response.status_code == 400, response.body
    assert _error(response)["code"] == code
    assert _queued_params(redis_client) == []


def test_an_audit_runs_on_a_worker_and_finds_a_fetched_range_sound(api, auth_headers,
                                                                  run_worker_burst):  # fmt: skip
    headers = auth_headers(tier="enterprise")
    fetched = api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(BODY))
    assert fetched.status_code == 202
    audited = _post(api, headers, BODY)
    assert audited.status_code == 202
    worker = run_worker_burst("cl3-ingest")
    assert worker.returncode == 0, worker.stderr[-3000:]
    task_id = json.loads(audited.body)["task_id"]
    result = json.loads(api.http.get(f"/api/task/{task_id}/result", headers=headers).body)
    assert result["type"] == "audit" and result["differences"] == []
    assert result["candles"] == {"stored": 48, "rest": 48, "archive": 48}
    assert [f["status"] for f in result["files"]] == ["same", "same"]  # two archive days
    assert result["warnings"] == []
