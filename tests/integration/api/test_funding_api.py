"""Funding rates through the API, a real worker process and the sandbox over HTTP."""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests
from rq import Queue

from cl3_sandbox.exchange import DELISTED_USDM_SYMBOL, FUNDING_SWITCH_MS

HOUR, DAY = 3_600_000, 86_400_000
START, END = FUNDING_SWITCH_MS - 182 * DAY, FUNDING_SWITCH_MS + 183 * DAY  # a year


def _post(api, headers, path, body):
    return api.http.post(path, headers=headers, body=json.dumps(body))


def _get(api, headers, path):
    response = api.http.get(path, headers=headers)
    return response.status_code, response


def served(url: str, prefix: str, symbol: str, start: int, end: int) -> list[dict]:
    rows, cursor = [], start
    while True:
        page = requests.get(
            f"{url}{prefix}/fundingRate",
            timeout=30,
            params={"symbol": symbol, "startTime": cursor, "endTime": end - 1, "limit": 1000},
        ).json()
        rows += page
        if len(page) < 1000:
            return rows
        cursor = page[-1]["fundingTime"] + 1


def read_all(api, headers, market: str, symbol: str, start: int, end: int) -> list[dict]:
    events, cursor = [], None
    while True:
        query = f"start={start}&end={end}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        status, response = _get(api, headers, f"/api/funding/{market}/{symbol}?{query}")
        assert status == 200, response.body
        page = json.loads(response.body)
        assert (page["market"], page["symbol"]) == (market, symbol)
        events += page["events"]
        cursor = page["next_cursor"]
        if cursor is None:
            return events


def test_a_year_of_8h_then_4h_funding_round_trips_exactly(
    api, auth_headers, run_worker_burst, exchange
):
    headers = auth_headers()
    body = {"market": "usdm", "symbol": "ETHUSDT", "start": START, "end": END}
    response = _post(api, headers, "/api/funding/fetch", body)
    assert response.status_code == 202, response.body
    task = json.loads(response.body)["task_id"]
    again = _post(api, headers, "/api/funding/fetch", body)  # the same pending request
    assert json.loads(again.body)["task_id"] == task
    done = run_worker_burst("cl3-ingest")
    assert done.returncode == 0, done.stderr[-3000:]

    _, response = _get(api, headers, f"/api/task/{task}/result")
    result = json.loads(response.body)
    expected = served(exchange.url, "/fapi/v1", "ETHUSDT", START, END)
    assert result["type"] == "funding" and result["source"] == "rest"
    assert result["events_in_range"] == result["events_written"] == len(expected) > 1600
    assert result["interval_hours"] == [4, 8]
    events = read_all(api, headers, "usdm", "ETHUSDT", START, END)
    assert [(e["funding_time"], e["rate"], e["mark_price"]) for e in events] == [
        (r["fundingTime"], float(r["fundingRate"]), float(r["markPrice"])) for r in expected
    ]
    at_switch = next(i for i, e in enumerate(events)
                     if e["funding_time"] // HOUR * HOUR == FUNDING_SWITCH_MS)  # fmt: skip
    assert {e["interval_hours"] for e in events[: at_switch + 1]} == {8}  # the switch closes 8 h
    assert {e["interval_hours"] for e in events[at_switch + 1 :]} == {4}

    _, response = _get(api, headers, f"/api/funding/usdm/ethusdt?start={START}&end={END}"
                        "&limit=5000&format=csv")  # fmt: skip
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == ["funding_time", "rate", "mark_price", "interval_hours"]
    assert [(int(r[0]), float(r[1]), float(r[2]), int(r[3])) for r in rows[1:]] == [
        (e["funding_time"], e["rate"], e["mark_price"], e["interval_hours"]) for e in events
    ]

    _, response = _get(api, headers, "/api/funding/coverage?market=usdm")
    (series,) = json.loads(response.body)["series"]
    assert series == {"market": "usdm", "symbol": "ETHUSDT", "count": len(events),
                      "first_time": events[0]["funding_time"],
                      "last_time": events[-1]["funding_time"]}  # fmt: skip


def test_coinm_and_delisted_funding_have_no_mark_price(api, auth_headers, run_worker_burst):
    headers = auth_headers()
    start = 1_640_995_200_000  # 2022-01-01
    for body in ({"market": "coinm", "symbol": "BTCUSD_PERP", "start": start,
                  "end": start + 10 * DAY},
                 {"market": "usdm", "symbol": DELISTED_USDM_SYMBOL, "start": start,
                  "end": start + 40 * DAY}):  # fmt: skip
        response = _post(api, headers, "/api/funding/fetch", body)
        assert response.status_code == 202, response.body
    done = run_worker_burst("cl3-ingest")
    assert done.returncode == 0, done.stderr[-3000:]
    coinm = read_all(api, headers, "coinm", "BTCUSD_PERP", start, start + 10 * DAY)
    delisted = read_all(api, headers, "usdm", DELISTED_USDM_SYMBOL, start, start + 40 * DAY)
    assert len(coinm) == 30 and len(delisted) == 120
    assert all(e["mark_price"] is None and e["interval_hours"] == 8 for e in coinm + delisted)
    _, response = _get(api, headers, f"/api/funding/coinm/BTCUSD_PERP?start={start}&format=csv")
    assert response.body.decode().splitlines()[1].split(",")[2] == ""  # no mark price


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"market": "usdm", "symbol": "NOPEUSDT"}, "invalid_symbol"),
        ({"market": "coinm", "symbol": "NOPEUSD_PERP"}, "invalid_symbol"),
        ({"market": "spot", "symbol": "BTCUSDT"}, "invalid_request"),
        ({"market": "usdm"}, "invalid_symbol"),
        ({"symbol": "BTCUSDT"}, "invalid_request"),
        ({"market": "usdm", "symbol": "BTCUSDT", "start": "2020-01-01T00:00:00Z",
          "end": "2022-01-01T00:00:00Z"}, "invalid_range"),  # pro: 366 days at most
        ({"market": "usdm", "symbol": "BTCUSDT", "interval": "1h"}, "invalid_request"),
    ],
)  # fmt: skip
def test_bad_funding_fetches_are_400_before_anything_is_enqueued(
    api, auth_headers, redis_client, body, code
):
    request = {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"} | body
    response = _post(api, auth_headers(), "/api/funding/fetch", request)
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["code"] == code
    assert Queue("cl3-ingest", connection=redis_client).count == 0


def test_free_plans_cannot_fetch_funding_but_can_read_it(api, auth_headers, redis_client):
    body = {"market": "usdm", "symbol": "BTCUSDT", "start": "2024-01-01T00:00:00Z"}
    response = _post(api, auth_headers(tier="free"), "/api/funding/fetch", body)
    assert response.status_code == 403
    assert json.loads(response.body)["error"]["code"] == "subscription_required"
    assert Queue("cl3-ingest", connection=redis_client).count == 0
    status, response = _get(api, auth_headers(tier="free"), "/api/funding/usdm/BTCUSDT")
    assert status == 200 and json.loads(response.body)["events"] == []
    for path, code in (("/api/funding/spot/BTCUSDT", "invalid_request"),
                       ("/api/funding/usdm/BTC-USDT", "invalid_symbol"),
                       ("/api/funding/usdm/BTCUSDT?cursor=nope", "invalid_request"),
                       ("/api/funding/usdm/BTCUSDT?format=xml", "invalid_request")):  # fmt: skip
        status, response = _get(api, auth_headers(tier="free"), path)
        assert status == 400 and json.loads(response.body)["error"]["code"] == code, path
