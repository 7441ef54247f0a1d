"""Resampling on read, checked against the candles the sandbox exchange itself serves for the
coarser interval (and, with `timeZone`, for that zone) from the same 1m trades."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import pytest
import requests

from cl3_common.store import SeriesKey, kline_to_row

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
FEB_26 = 1_708_905_600_000  # 2024-02-26T00:00Z, a Monday
MAR_1 = 1_709_251_200_000
APR_2 = 1_712_016_000_000  # the last day stored ends here
MAR_10_NY = 1_710_046_800_000  # 2024-03-10T05:00Z: New York's 23-hour day starts
NOW = APR_2 + 400 * DAY  # everything stored is long closed


def _store(stores: Any, exchange: Any, interval: str, start: int, end: int) -> None:
    rows: list[list[Any]] = []
    cursor = start
    while cursor < end:
        page = requests.get(f"{exchange.url}/api/v3/klines", timeout=30, params={
            "symbol": "BTCUSDT", "interval": interval, "startTime": cursor,
            "endTime": end - 1, "limit": 1000}).json()  # fmt: skip
        if not page:
            break
        rows.extend(page)
        cursor = page[-1][0] + 1
    stores.candles.insert(SeriesKey("BTCUSDT", interval), [kline_to_row(r) for r in rows])


@pytest.fixture
def stored(stores, exchange):
    _store(stores, exchange, "1m", FEB_26, APR_2)
    _store(stores, exchange, "1h", FEB_26, APR_2)
    _store(stores, exchange, "30m", FEB_26, APR_2)
    return stores


def _sandbox(exchange: Any, interval: str, start: int, end: int, tz: str | None = None) -> list:
    params = {"symbol": "BTCUSDT", "interval": interval, "startTime": start,
              "endTime": end - 1, "limit": 1000}  # fmt: skip
    if tz is not None:
        params["timeZone"] = tz
    return requests.get(f"{exchange.url}/api/v3/klines", params=params, timeout=30).json()


def _read(api: Any, headers: dict[str, str], source: str, **query: Any) -> dict[str, Any]:
    query.setdefault("limit", 1000)
    qs = "&".join(f"{k}={requests.utils.quote(str(v))}" for k, v in query.items())
    response = api.http.get(f"/api/market-data/BTCUSDT/{source}?{qs}", headers=headers)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def _same(ours: dict[str, Any], theirs: list[Any]) -> None:
    """Field by field: prices exactly, sums of floats to 1e-9 relative, trades exactly."""
    assert (ours["open_time"], ours["close_time"]) == (theirs[0], theirs[6])
    for name, i in (("open", 1), ("high", 2), ("low", 3), ("close", 4)):
        assert ours[name] == float(theirs[i]), (name, ours["open_time"])
    for name, i in (("volume", 5), ("quote_volume", 7), ("taker_buy_base", 9),
                    ("taker_buy_quote", 10)):  # fmt: skip
        assert math.isclose(ours[name], float(theirs[i]), rel_tol=1e-9, abs_tol=1e-9), name
    assert ours["trades"] == theirs[8]
    assert ours["complete"] is True
    assert math.isclose(ours["vwap"], ours["quote_volume"] / ours["volume"], rel_tol=1e-12)


@pytest.mark.parametrize(
    ("target", "start", "end"),
    [("3m", FEB_26, FEB_26 + DAY), ("1h", FEB_26, FEB_26 + 3 * DAY),
     ("4h", FEB_26, APR_2), ("1d", FEB_26, APR_2), ("1w", FEB_26, APR_2),
     ("1M", MAR_1, APR_2)],
)  # fmt: skip
def test_1m_resamples_to_what_the_exchange_serves(api, auth_headers, exchange, stored,
                                                  target, start, end):  # fmt: skip
    page = _read(api, auth_headers(), "1m", resample=target, start=start, end=end)
    assert (page["interval"], page["source_interval"], page["tz"]) == (target, "1m", "UTC")
    complete = [c for c in page["candles"] if c["complete"]]
    expected = {row[0]: row for row in _sandbox(exchange, target, start, end)}
    assert complete and len(complete) >= len(page["candles"]) - 1
    for candle in complete:
        _same(candle, expected[candle["open_time"]])
    if target == "1M":  # April is stored up to the 2nd only: a partial bucket, flagged
        april = page["candles"][-1]
        assert april["complete"] is False and april["sources"] == 1440


@pytest.mark.parametrize(("source", "tz", "binance_tz"),
                         [("1h", "+08:00", "8"), ("30m", "Asia/Kolkata", "5:30")])  # fmt: skip
def test_days_in_a_time_zone_equal_the_exchanges_time_zone_days(
    api, auth_headers, exchange, stored, source, tz, binance_tz
):
    page = _read(api, auth_headers(), source, resample="1d", tz=tz, start=FEB_26 + DAY,
                 end=MAR_1 + 20 * DAY)  # fmt: skip
    expected = {r[0]: r for r in _sandbox(exchange, "1d", FEB_26, APR_2, binance_tz)}
    complete = [c for c in page["candles"] if c["complete"]]
    assert len(complete) >= 20
    for candle in complete:
        _same(candle, expected[candle["open_time"]])


def test_new_york_days_have_23_hours_across_the_dst_change(api, auth_headers, exchange,
                                                            stored):  # fmt: skip
    page = _read(api, auth_headers(), "1h", resample="1d", tz="America/New_York",
                 start=MAR_1, end=MAR_1 + 15 * DAY)  # fmt: skip
    days = {c["open_time"]: c for c in page["candles"]}
    assert min(days) >= MAR_1  # buckets open at or after `start`, like the exchange's startTime
    dst_day = days[MAR_10_NY]
    assert dst_day["close_time"] - dst_day["open_time"] + 1 == 23 * HOUR
    assert dst_day["sources"] == 23 and dst_day["complete"] is True
    hours = _sandbox(exchange, "1h", MAR_10_NY, MAR_10_NY + 23 * HOUR)
    assert len(hours) == 23
    assert dst_day["open"] == float(hours[0][1]) and dst_day["close"] == float(hours[-1][4])
    assert dst_day["high"] == max(float(h[2]) for h in hours)
    assert math.isclose(dst_day["volume"], sum(float(h[5]) for h in hours), rel_tol=1e-9)
    # Days before the change are UTC-5, after it UTC-4, as the exchange's fixed zones say.
    before = {r[0]: r for r in _sandbox(exchange, "1d", FEB_26, MAR_10_NY, "-5")}
    after = {r[0]: r for r in _sandbox(exchange, "1d", MAR_10_NY + 23 * HOUR,
                                       MAR_1 + 15 * DAY, "-4")}  # fmt: skip
    for opened, candle in days.items():
        if candle["complete"] and opened != MAR_10_NY:
            _same(candle, (before | after)[opened])


def test_pages_walk_every_bucket_once(api, auth_headers, stored):
    seen, cursor = [], None
    while True:
        query: dict[str, Any] = {"resample": "1h", "start": FEB_26, "end": FEB_26 + 5 * DAY,
                                 "limit": 7}  # fmt: skip
        if cursor:
            query["cursor"] = cursor
        page = _read(api, auth_headers(), "1m", **query)
        assert len(page["candles"]) <= 7
        seen += [c["open_time"] for c in page["candles"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [FEB_26 + i * HOUR for i in range(5 * 24)]


def test_csv_carries_the_resampled_columns(api, auth_headers, stored):
    response = api.http.get(
        f"/api/market-data/BTCUSDT/1m?resample=1h&start={FEB_26}&limit=3&format=csv",
        headers=auth_headers(),
    )
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0][-3:] == ["vwap", "complete", "sources"] and len(rows) == 4
    assert rows[1][-2:] == ["true", "60"] and response.headers["X-Next-Cursor"]


@pytest.mark.parametrize(
    ("query", "words"),
    [("resample=3m", "possible targets"),  # 1h candles cannot make 3m ones
     ("resample=1d&tz=Asia/Kolkata", "30m"),  # midnight falls between two 1h candles
     ("tz=%2B08:00", "use it with resample"),
     ("resample=1d&tz=Mars/Olympus", "tz"),
     ("resample=9h", "interval")],
)  # fmt: skip
def test_impossible_resamples_are_400s_that_say_why(api, auth_headers, stored, query, words):
    response = api.http.get(f"/api/market-data/BTCUSDT/1h?{query}", headers=auth_headers())
    assert response.status_code == 400, response.body
    assert words in json.loads(response.body)["error"]["message"]


def test_a_page_that_would_read_too_much_is_refused_with_advice(api, auth_headers, stored):
    response = api.http.get(
        f"/api/market-data/BTCUSDT/1m?resample=1d&start={FEB_26}&limit=1000",
        headers=auth_headers(),
    )
    assert response.status_code == 400
    message = json.loads(response.body)["error"]["message"]
    assert "limit=" in message and "export" in message and "coarser" in message
