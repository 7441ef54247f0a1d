"""POST /api/market-data/fetch and the task endpoints, through chalice.test.Client."""

from __future__ import annotations

import json

import pytest
from rq import Queue

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.settings import Settings

DAY_MS = 86_400_000
START = "2024-01-01T00:00:00Z"
END = "2024-01-10T00:00:00Z"


def _post(api, headers, body):
    return api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(body))


def _error(response) -> dict:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return body["error"]


def test_fetch_is_enqueued_with_a_status_url(api, auth_headers, redis_client):
    response = _post(
        api,
        auth_headers(),
        {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": "2024-01-03T00:00:00Z"},
    )
    assert response.status_code == 202
    body = json.loads(response.body)
    assert body["status_url"] == f"/api/task/{body['task_id']}/progress"
    assert Queue("cl3-ingest", connection=redis_client).job_ids == [body["task_id"]]
    progress = json.loads(api.http.get(body["status_url"], headers=auth_headers()).body)
    assert progress["status"] == "queued" and progress["progress"] == 0
    assert progress["task_id"] == body["task_id"] and progress["type"] == "fetch"


def test_identical_pending_fetch_returns_the_same_task(api, auth_headers, redis_client):
    body = {"symbol": "ETHUSDT", "interval": "1h", "start": START, "end": "2024-01-02T00:00:00Z"}
    first = json.loads(_post(api, auth_headers(), body).body)["task_id"]
    second = json.loads(_post(api, auth_headers(), body).body)["task_id"]
    other_user = json.loads(_post(api, auth_headers("user-2"), body).body)["task_id"]
    assert first == second != other_user
    assert Queue("cl3-ingest", connection=redis_client).count == 2


def test_free_tier_is_refused_before_anything_is_enqueued(api, auth_headers, redis_client):
    queue = Queue("cl3-ingest", connection=redis_client)
    response = _post(
        api,
        auth_headers(tier="free"),
        {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END},
    )
    assert response.status_code == 403
    assert _error(response)["code"] == "subscription_required"
    assert queue.count == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"symbol": "NOPEUSDT", "interval": "1h", "start": START, "end": END}, "invalid_symbol"),
        ({"symbol": "btc/usdt", "interval": "1h", "start": START, "end": END}, "invalid_symbol"),
        ({"symbol": "BTCUSDT", "interval": "7m", "start": START, "end": END}, "invalid_interval"),
        (
            {
                "symbol": "BTCUSDT",
                "interval": "1h",
                "start": "2024-02-01T00:00:00Z",
                "end": "2024-01-01T00:00:00Z",
            },
            "invalid_range",
        ),
        ({"symbol": "BTCUSDT", "interval": "1h", "start": "yesterday"}, "invalid_request"),
        ({"symbol": "BTCUSDT", "interval": "1h"}, "invalid_request"),
        (
            {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END, "colour": "red"},
            "invalid_request",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "interval": "1h",
                "start": "2020-01-01T00:00:00Z",
                "end": "2022-01-01T00:00:00Z",
            },
            "invalid_range",
        ),  # pro: at most 366 days
    ],
)
def test_bad_fetch_requests_get_400(api, auth_headers, redis_client, body, code):
    response = _post(api, auth_headers(), body)
    assert response.status_code == 400, response.body
    assert _error(response)["code"] == code
    assert Queue("cl3-ingest", connection=redis_client).count == 0


def test_pro_cannot_fetch_one_second_candles(api, auth_headers):
    response = _post(
        api, auth_headers(), {"symbol": "BTCUSDT", "interval": "1s", "start": START, "end": END}
    )
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]"])
def test_body_must_be_a_json_object(api, auth_headers, raw):
    response = api.http.post("/api/market-data/fetch", headers=auth_headers(), body=raw)
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_request"


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda auth, token: {},
        lambda auth, token: {"Authorization": "Bearer " + token(secret="another-secret" * 3)},
        lambda auth, token: {"Authorization": "Bearer " + token(expires_in=-10)},
        lambda auth, token: {"Authorization": "Bearer " + token(audience="anon")},
        lambda auth, token: {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["no-token", "bad-signature", "expired", "wrong-audience", "not-bearer"],
)
def test_unauthenticated_requests_get_401(api, auth_headers, token, redis_client, make_headers):
    response = _post(
        api,
        make_headers(auth_headers, token),
        {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END},
    )
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"
    assert Queue("cl3-ingest", connection=redis_client).count == 0


def test_other_users_tasks_are_404(api, auth_headers):
    response = _post(
        api,
        auth_headers("owner"),
        {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END},
    )
    task_id = json.loads(response.body)["task_id"]
    for path in (f"/api/task/{task_id}/progress", f"/api/task/{task_id}/result"):
        stranger = api.http.get(path, headers=auth_headers("stranger"))
        assert stranger.status_code == 404
        assert _error(stranger)["code"] == "not_found"
    assert (
        api.http.delete(f"/api/task/{task_id}", headers=auth_headers("stranger")).status_code == 404
    )
    assert api.http.get("/api/task/nope/progress", headers=auth_headers("owner")).status_code == 404


def test_result_before_the_end_is_409_and_cancel_works(api, auth_headers, redis_client):
    response = _post(
        api, auth_headers(), {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END}
    )
    task_id = json.loads(response.body)["task_id"]
    early = api.http.get(f"/api/task/{task_id}/result", headers=auth_headers())
    assert early.status_code == 409
    assert _error(early)["code"] == "not_finished"
    cancelled = api.http.delete(f"/api/task/{task_id}", headers=auth_headers())
    assert json.loads(cancelled.body) == {"task_id": task_id, "status": "canceled"}
    assert Queue("cl3-ingest", connection=redis_client).count == 0
    progress = json.loads(
        api.http.get(f"/api/task/{task_id}/progress", headers=auth_headers()).body
    )
    assert progress["status"] == "canceled"
    assert progress["error"]["code"] == "canceled" and progress["ended_at"] is not None
    after = api.http.get(f"/api/task/{task_id}/result", headers=auth_headers())
    assert after.status_code == 409 and _error(after)["code"] == "task_canceled"


def test_redis_down_is_503_with_the_documented_body(env, token):
    settings = Settings.from_env({**env, "REDIS_URL": "redis://127.0.0.1:1/0"})
    runtime = Runtime.from_settings(settings)
    from chalice.test import Client

    with Client(create_app(lambda: runtime)) as client:
        headers = {"Authorization": f"Bearer {token()}"}
        response = client.http.get("/api/symbols", headers=headers)
        assert response.status_code == 503
        assert _error(response)["code"] == "unavailable"
        assert "Traceback" not in response.body.decode()
        health = client.http.get("/health")
        assert health.status_code == 503
        assert json.loads(health.body) == {
            "status": "degraded",
            "redis": False,
            "mongo": True,
            "store": {"backend": "sqlite", "ok": True},
        }


def test_symbols_lists_only_trading_symbols(api, auth_headers):
    body = json.loads(api.http.get("/api/symbols", headers=auth_headers(tier="free")).body)
    assert "BTCUSDT" in body["symbols"] and body["count"] == len(body["symbols"])
    assert "LUNAUSDT" not in body["symbols"]
