"""Hostile and sloppy input: always a 4xx in our error shape, never a 500, nothing enqueued."""

from __future__ import annotations

import base64
import json

import pytest
from rq import Queue

from cl3_common.tasks.contracts import ALL_QUEUES

START, END = "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"
FETCH = {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END}


def error(response) -> dict[str, str]:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert response.headers["Content-Type"] == "application/json"
    return body["error"]


def nothing_enqueued(redis_client) -> bool:
    return all(Queue(q, connection=redis_client).count == 0 for q in ALL_QUEUES)


def cursor_of(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("start=NaN", "invalid_request"),
        ("start=Infinity", "invalid_request"),
        ("start=1e400", "invalid_request"),
        ("start=%C2%B2", "invalid_request"),  # "²" passes str.isdigit()
        ("start=%D9%A3", "invalid_request"),  # Arabic-Indic three
        ("start=" + "1" * 5000, "invalid_request"),
        ("start=-1704067200000", "invalid_request"),
        ("start=1704067200", "invalid_range"),  # seconds, not milliseconds
        ("start=0001-01-01T00:00:00%2B01:00", "invalid_range"),
        ("end=9999-12-31T23:59:59-05:00", "invalid_range"),
        ("limit=%C2%B2", "invalid_request"),
        ("limit=1e3", "invalid_request"),
        ("limit=99999999999999999999999", "invalid_request"),
        ("limit=1&limit=2", "invalid_request"),
        ("cursor=" + cursor_of(b'{"from":1e300}'), "invalid_request"),
        ("cursor=" + cursor_of(b'{"from":100000000000000000000}'), "invalid_request"),
        ("cursor=" + cursor_of(b'{"from":true}'), "invalid_request"),
        ("cursor=" + cursor_of(b"[1]"), "invalid_request"),
        ("cursor=%FF%FE", "invalid_request"),
        ("market=moon", "invalid_request"),
        ("kind=mark", "invalid_request"),  # spot has trade candles only
        ("format=CSV%00", "invalid_request"),
    ],
)
def test_bad_query_values_are_400(api, auth_headers, query, code):
    response = api.http.get(f"/api/market-data/BTCUSDT/1h?{query}", headers=auth_headers())
    assert response.status_code == 400, response.body
    assert error(response)["code"] == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**FETCH, "start": 1e300}, "invalid_range"),
        ({**FETCH, "start": 10**20}, "invalid_range"),
        ({**FETCH, "start": 1704067200000.5}, "invalid_request"),
        ({**FETCH, "start": True}, "invalid_request"),
        ({**FETCH, "start": ["2024"]}, "invalid_request"),
        ({**FETCH, "symbol": 12}, "invalid_symbol"),
        ({**FETCH, "symbol": "B" * 5000}, "invalid_request"),
        ({**FETCH, "interval": None}, "invalid_request"),
        ({**FETCH, "market": "spot", "kind": "mark"}, "invalid_request"),  # futures only
        ({**FETCH, "market": "usdm", "interval": "1s"}, "invalid_interval"),  # spot only
        ({**FETCH, "x" * 10_000: 1}, "invalid_request"),
    ],
)
def test_bad_body_values_are_400_and_enqueue_nothing(api, auth_headers, redis_client, body, code):
    response = api.http.post(
        "/api/market-data/fetch", headers=auth_headers(), body=json.dumps(body)
    )
    assert response.status_code == 400, response.body
    assert error(response)["code"] == code
    assert len(error(response)["message"]) < 400  # nothing huge echoed back
    assert nothing_enqueued(redis_client)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": NaN}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": Infinity}',
        b'{"symbol": "BTCUSDT", "interval": "1h", "start": 1e400}',
        b"[" * 100_00 + b"]" * 100_00,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"\xff\xfe not utf-8",
        b'"just a string"',
    ],
    ids=["NaN", "Infinity", "1e400", "deep-list", "deep-object", "not-utf8", "string"],
)
def test_bodies_that_are_not_plain_json_objects_are_400(api, auth_headers, redis_client, raw):
    response = api.http.post("/api/market-data/fetch", headers=auth_headers(), body=raw)
    assert response.status_code == 400, response.body
    assert error(response)["code"] == "invalid_request"
    assert nothing_enqueued(redis_client)


def test_a_body_over_the_limit_is_413(api, auth_headers, redis_client):
    body = json.dumps({**FETCH, "pad": "x" * 70_000})
    response = api.http.post("/api/market-data/fetch", headers=auth_headers(), body=body)
    assert response.status_code == 413
    assert error(response)["code"] == "payload_too_large"
    assert nothing_enqueued(redis_client)


@pytest.mark.parametrize("slow", [2**63, 2**64, 10**30, 1e300])
def test_analysis_params_beyond_their_bounds_are_400(api, auth_headers, redis_client, slow):
    body = {"symbol": "BTCUSDT", "interval": "1h", "params": {"slow": slow}}
    response = api.http.post(
        "/api/seasonality/analyze", headers=auth_headers(), body=json.dumps(body)
    )
    assert response.status_code == 400, response.body
    assert "params.slow" in error(response)["message"]
    assert nothing_enqueued(redis_client)


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_json_is_read_whatever_a_client_forgot_to_say(api, auth_headers, content_type):
    headers = {k: v for k, v in auth_headers().items() if k != "Content-Type"}
    if content_type:
        headers["Content-Type"] = content_type  # curl -d sends form-urlencoded
    response = api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(FETCH))
    assert response.status_code == 202, response.body


@pytest.mark.parametrize("content_type", ["application/xml", "multipart/form-data; boundary=x"])
def test_bodies_declared_as_something_else_are_415(api, auth_headers, redis_client, content_type):
    headers = {**auth_headers(), "Content-Type": content_type}
    response = api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(FETCH))
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"
    assert nothing_enqueued(redis_client)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/symbols", "GET"),
        ("DELETE", "/health", "GET"),
        ("GET", "/api/market-data/fetch", "POST"),
        ("PATCH", "/api/task/abc", "DELETE"),
    ],
)
def test_unsupported_methods_are_405_in_our_shape(api, auth_headers, method, path, allowed):
    response = api.http.request(method, path, headers=auth_headers(), body=b"")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert response.headers["Allow"] == allowed


def test_progress_replies_say_they_are_json(api, auth_headers):
    task_id = json.loads(
        api.http.post("/api/market-data/fetch", headers=auth_headers(), body=json.dumps(FETCH)).body
    )["task_id"]
    for path in (f"/api/task/{task_id}/progress", "/api/symbols", "/api/usage"):
        response = api.http.get(path, headers=auth_headers())
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json", path


def test_export_refuses_symbols_the_exchange_does_not_list(api, auth_headers, redis_client):
    body = {**FETCH, "symbol": "abc", "format": "csv"}
    response = api.http.post(
        "/api/market-data/export", headers=auth_headers(tier="enterprise"), body=json.dumps(body)
    )
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_symbol"
    assert nothing_enqueued(redis_client)
    listed_but_not_trading = {**body, "symbol": "LUNAUSDT"}  # delisted data stays exportable
    response = api.http.post(
        "/api/market-data/export",
        headers=auth_headers(tier="enterprise"),
        body=json.dumps(listed_but_not_trading),
    )
    assert response.status_code == 202, response.body


def test_unknown_query_parameters_are_refused_everywhere(api, auth_headers):
    for path in ("/health?x=1", "/api/symbols?verbose=1", "/api/usage?a=b", "/openapi.json?v=2"):
        response = api.http.get(path, headers=auth_headers())
        assert response.status_code == 400, path
        assert "unknown query parameters" in error(response)["message"]
