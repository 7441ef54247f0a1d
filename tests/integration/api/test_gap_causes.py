"""Gaps with their cause, over HTTP: fetches through the API run by `cl3 worker` processes
against the sandbox exchange, then the fetch results and `GET /api/market-data/coverage`.

Causes: an exchange outage (the sandbox's 2023-03-24 12:40-14:00 gap), a range nobody fetched,
a fetch that failed for good, pages rejected as implausible, and candles of unknown origin."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cl3_common.store import SeriesKey, kline_to_row
from cl3_sandbox.exchange import PageCorruption, expected_klines

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
MAR_24_2023 = 1_679_616_000_000
OUTAGE = (1_679_661_600_000, 1_679_666_400_000)  # 12:40 .. 14:00 UTC
JAN_2024 = 1_704_067_200_000
REJECTED = {"code": -1100, "msg": "Illegal characters found in parameter 'symbol'."}


@pytest.fixture
def fetch(api, auth_headers, run_worker_burst):
    """Submits a fetch, runs a worker process until the queue is empty, returns the task."""

    def run(symbol: str, interval: str, start: int, end: int) -> dict[str, Any]:
        body = {"symbol": symbol, "interval": interval, "start": start, "end": end}
        answer = api.http.post("/api/market-data/fetch", headers=auth_headers(),
                               body=json.dumps(body))  # fmt: skip
        assert answer.status_code == 202, answer.body
        task_id = json.loads(answer.body)["task_id"]
        worker = run_worker_burst("cl3-ingest")
        assert worker.returncode == 0, worker.stderr[-3000:]
        progress = _get(api, auth_headers, f"/api/task/{task_id}/progress")
        if progress["status"] != "finished":
            return progress
        return {**progress, "result": _get(api, auth_headers, f"/api/task/{task_id}/result")}

    return run


def _get(api: Any, auth_headers: Any, path: str, status: int = 200) -> dict[str, Any]:
    response = api.http.get(path, headers=auth_headers())
    assert response.status_code == status, response.body
    return dict(json.loads(response.body))


def _coverage(api: Any, auth_headers: Any, query: str) -> list[dict[str, Any]]:
    return list(_get(api, auth_headers, f"/api/market-data/coverage?{query}")["series"])


def test_an_exchange_outage_in_the_fetch_result_and_in_coverage(api, auth_headers, fetch):
    start, end = MAR_24_2023 + 10 * HOUR, MAR_24_2023 + 16 * HOUR
    task = fetch("BTCUSDT", "1m", start, end)
    outage = {"start": OUTAGE[0], "end": OUTAGE[1], "missing": 80, "cause": "exchange_outage"}
    assert task["result"]["gaps"] == [outage]
    assert task["result"]["candles_in_range"] == 360 - 80
    assert task["result"]["no_data"] == [] and task["result"]["rejected_pages"] == []
    (series,) = _coverage(api, auth_headers, "symbol=BTCUSDT&interval=1m")
    assert (series["count"], series["missing"]) == (280, 80)
    assert series["gaps"] == [outage]


def test_a_range_never_fetched_then_a_fetch_that_failed_for_good(
    api, auth_headers, fetch, exchange
):
    a, b = JAN_2024 + 2 * DAY + 5 * HOUR, JAN_2024 + 2 * DAY + 20 * HOUR  # one REST page
    assert fetch("ETHUSDT", "1h", JAN_2024, a)["status"] == "finished"
    assert fetch("ETHUSDT", "1h", b, JAN_2024 + 5 * DAY)["status"] == "finished"
    (series,) = _coverage(api, auth_headers, "symbol=ETHUSDT&interval=1h")
    assert series["gaps"] == [{"start": a, "end": b, "missing": 15, "cause": "not_fetched"}]

    exchange.inject(400, body=json.dumps(REJECTED).encode())
    try:
        failed = fetch("ETHUSDT", "1h", a, b)
    finally:
        exchange.clear_faults()
    assert failed["status"] == "failed" and failed["error"]["code"] == "exchange_rejected"
    (series,) = _coverage(api, auth_headers, "symbol=ETHUSDT&interval=1h")
    (gap,) = series["gaps"]
    assert (gap["start"], gap["end"], gap["missing"], gap["cause"]) == (a, b, 15, "failed")
    assert gap["error"] == failed["error"]  # the task's own error, code and message

    # A later fetch that succeeds wins: the series is whole, nothing is left to explain.
    assert fetch("ETHUSDT", "1h", a, b)["status"] == "finished"
    (series,) = _coverage(api, auth_headers, "symbol=ETHUSDT&interval=1h")
    assert series["missing"] == 0 and series["gaps"] == []


def test_a_rejected_page_is_a_failed_gap_with_the_reason(api, auth_headers, fetch, exchange):
    # Three full REST pages from 00:30 (1000, 1000 and 430 minutes; no whole archive day);
    # one candle at 20:00 of the first day, in the second page, is corrupt.
    start, end = JAN_2024 + 30 * MIN, JAN_2024 + DAY + 17 * HOUR
    bad = JAN_2024 + 20 * HOUR
    exchange.corrupt_klines(PageCorruption("BTCUSDT", "1m", bad, bad, "negative_volume"))
    try:
        task = fetch("BTCUSDT", "1m", start, end)
    finally:
        exchange.clear_quality_fixtures()
    result = task["result"]
    page = (start + 1000 * MIN, start + 2000 * MIN)
    (rejected,) = result["rejected_pages"]
    assert (rejected["start"], rejected["end"], rejected["source"]) == (*page, "rest")
    assert any("negative volume" in p for p in rejected["problems"])
    (gap,) = result["gaps"]
    assert (gap["start"], gap["end"], gap["missing"], gap["cause"]) == (*page, 1000, "failed")
    assert gap["error"]["code"] == "implausible_data"
    assert "negative volume" in gap["error"]["message"]
    assert any("implausible" in w for w in result["warnings"])
    assert result["candles_in_range"] == 1000 + 430
    (series,) = _coverage(api, auth_headers, "symbol=BTCUSDT&interval=1m")
    assert series["gaps"] == [gap]


def test_candles_of_unknown_origin_make_their_gaps_unverified(api, auth_headers, stores):
    rows = expected_klines("BNBUSDT", "1h", JAN_2024, JAN_2024 + DAY - 1, now_ms=JAN_2024 + 2 * DAY)
    kept = [kline_to_row(r) for r in rows if not 5 <= (r[0] - JAN_2024) // HOUR < 8]
    stores.candles.insert(SeriesKey("BNBUSDT", "1h"), kept)  # e.g. copied from another store
    (series,) = _coverage(api, auth_headers, "symbol=BNBUSDT&interval=1h")
    assert series["gaps"] == [{"start": JAN_2024 + 5 * HOUR, "end": JAN_2024 + 8 * HOUR,
                               "missing": 3, "cause": "unverified"}]  # fmt: skip


def test_before_listing_is_no_data_not_a_gap(api, auth_headers, fetch):
    listed = 1_597_125_600_000  # SOLUSDT's first candle, 2020-08-11 06:00 UTC
    day = listed - 6 * HOUR
    result = fetch("SOLUSDT", "1h", day - DAY, day + 3 * DAY)["result"]
    assert result["gaps"] == []
    assert result["no_data"] == [{"start": day - DAY, "end": listed, "missing": 30}]
    (series,) = _coverage(api, auth_headers, "symbol=SOLUSDT&interval=1h")
    assert series["first_open_time"] == listed and series["gaps"] == []


def test_gaps_are_listed_for_one_series_or_on_request(api, auth_headers, stores):
    for symbol in ("BTCUSDT", "ETHUSDT"):
        rows = expected_klines(symbol, "1h", JAN_2024, JAN_2024 + DAY - 1,
                               now_ms=JAN_2024 + 2 * DAY)  # fmt: skip
        stores.candles.insert(SeriesKey(symbol, "1h"),
                              [kline_to_row(r) for i, r in enumerate(rows) if i != 3])  # fmt: skip
    listing = _coverage(api, auth_headers, "interval=1h")
    assert len(listing) == 2 and all("gaps" not in s for s in listing)  # the cheap listing
    with_gaps = _coverage(api, auth_headers, "interval=1h&gaps=true")
    assert [len(s["gaps"]) for s in with_gaps] == [1, 1]
    (one,) = _coverage(api, auth_headers, "symbol=BTCUSDT&interval=1h&gaps=false")
    assert "gaps" not in one and one["missing"] == 1


@pytest.mark.parametrize("value", ["yes", "2", "", "TRUE!"])
def test_a_gaps_flag_that_is_not_a_boolean_is_refused(api, auth_headers, value):
    response = api.http.get(f"/api/market-data/coverage?gaps={value}", headers=auth_headers())
    assert response.status_code == 400, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == "invalid_request" and "gaps" in error["message"]
