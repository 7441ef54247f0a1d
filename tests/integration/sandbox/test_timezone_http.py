"""Spot ``timeZone`` over HTTP: local bucket boundaries over the very same 1m candles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines_in_zone
from cl3_sandbox.exchange.intervals import floor_open
from cl3_sandbox.exchange.timezones import parse_time_zone
from tests.integration.sandbox.support import DAY, HOUR, MIN, NOW_MS, NOW_S, Clock, get
from tests.unit.sandbox.resample import mismatches, resample

JAN_2024 = 1_704_067_200_000


@pytest.fixture(scope="module")
def ex() -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig(clock=Clock(NOW_S))) as server:
        yield server


def pages(http, ex, interval, start, end, **params) -> list[list]:
    rows, cursor = [], start
    while cursor <= end:
        page = get(http, ex, "/api/v3/klines", symbol="ETHUSDT", interval=interval,
                   startTime=cursor, endTime=end, limit=1000, **params).json()  # fmt: skip
        if not page:
            break
        rows += page
        cursor = page[-1][0] + 1
    return rows


@pytest.fixture(scope="module")
def minutes(ex) -> list[list]:
    with requests.Session() as http:
        return pages(http, ex, "1m", JAN_2024 - 2 * DAY, JAN_2024 + 12 * DAY)


@pytest.mark.parametrize(("interval", "zone"), [("1d", "8"), ("1d", "-1:00"), ("4h", "05:45"),
                                                ("12h", "8"), ("1h", "05:45"), ("3d", "+14:00"),
                                                ("1d", "0")])  # fmt: skip
def test_zoned_candles_are_the_resampled_utc_minutes(http, ex, minutes, interval, zone):
    served = pages(http, ex, interval, JAN_2024, JAN_2024 + 9 * DAY, timeZone=zone)
    assert served
    tz = parse_time_zone(zone)
    assert mismatches(served, resample(minutes, lambda t: floor_open(interval, t, tz))) == []
    assert served == expected_klines_in_zone("ETHUSDT", interval, zone, JAN_2024,
                                             JAN_2024 + 9 * DAY, NOW_MS)  # fmt: skip


def test_start_and_end_stay_utc(http, ex):
    east = get(http, ex, "/api/v3/klines", symbol="ETHUSDT", interval="1d", timeZone="8",
               startTime=JAN_2024, endTime=JAN_2024 + 2 * DAY).json()  # fmt: skip
    assert [r[0] for r in east] == [JAN_2024 + 16 * HOUR, JAN_2024 + DAY + 16 * HOUR]
    assert east[0][6] == JAN_2024 + DAY + 16 * HOUR - 1
    ui = get(http, ex, "/api/v3/uiKlines", symbol="ETHUSDT", interval="1d", timeZone="8",
             startTime=JAN_2024, endTime=JAN_2024 + 2 * DAY).json()  # fmt: skip
    assert ui == east
    latest = get(http, ex, "/api/v3/klines", symbol="ETHUSDT", interval="1d", timeZone="-05:30",
                 limit=1).json()  # fmt: skip
    assert latest[0][0] == floor_open("1d", NOW_MS, parse_time_zone("-05:30"))
    assert latest[0][0] % DAY == 5 * HOUR + 30 * MIN


@pytest.mark.parametrize("zone", ["15", "-12:30", "8:5", "UTC", "+08:00:00"])
def test_invalid_zones_are_rejected(http, ex, zone):
    r = get(http, ex, "/api/v3/klines", symbol="ETHUSDT", interval="1d", timeZone=zone)
    assert r.status_code == 400
    assert r.json() == {"code": -1130, "msg": "Data sent for parameter 'timeZone' is not valid."}
