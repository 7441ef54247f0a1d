"""``/fapi/v1/fundingRate`` and ``/dapi/v1/fundingRate`` over HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from cl3_sandbox.exchange import (
    DELISTED_USDM_SYMBOL,
    FUNDING_SWITCH_MS,
    FUNDING_SWITCH_SYMBOL,
    FamilyConfig,
    SandboxConfig,
    SandboxExchange,
    expected_klines,
)
from tests.integration.sandbox.support import DAY, HOUR, NOW_MS, NOW_S, Clock, get

YEAR = 365 * DAY


@pytest.fixture(scope="module")
def ex() -> Iterator[SandboxExchange]:
    # The 500 / 5 min limit is tested in test_family_limits_http; paging here needs more.
    config = SandboxConfig(clock=Clock(NOW_S), fapi=FamilyConfig(funding_limit=0))
    with SandboxExchange(config) as server:
        yield server


def funding(http, ex, prefix="/fapi/v1", **params):
    r = get(http, ex, f"{prefix}/fundingRate", **params)
    assert r.status_code == 200, r.text
    return r.json()


def test_rows_have_binances_fields_and_defaults(http, ex):
    rows = funding(http, ex, symbol="BTCUSDT")
    assert len(rows) == 100  # default limit, the latest ones
    assert list(rows[0]) == ["symbol", "fundingRate", "fundingTime", "markPrice"]
    times = [r["fundingTime"] for r in rows]
    assert times == sorted(times) and times[-1] <= NOW_MS < times[-1] + 8 * HOUR + 20
    assert all(len(r["fundingRate"].split(".")[1]) == 8 for r in rows)
    assert all(0 <= r["fundingTime"] % (8 * HOUR) < 20 for r in rows)  # a few ms late
    assert any(r["fundingTime"] % (8 * HOUR) for r in rows)
    assert len(funding(http, ex, symbol="BTCUSDT", limit=1000)) == 1000


def test_mark_price_is_the_mark_klines_open_of_that_minute(http, ex):
    rows = funding(http, ex, symbol="BTCUSDT", limit=3)
    for row in rows:
        minute = row["fundingTime"] // 60_000 * 60_000
        (kline,) = expected_klines("BTCUSDT", "1m", minute, minute, NOW_MS, market="usdm",
                                   kind="mark")  # fmt: skip
        assert row["markPrice"] == kline[1]


def test_start_end_inclusive_and_limited_from_start(http, ex):
    everything = funding(http, ex, symbol="BTCUSDT", startTime=0, endTime=NOW_MS, limit=1000)
    assert everything[0]["fundingTime"] // HOUR * HOUR == 1_569_398_400_000 + 8 * HOUR
    exact = everything[10]["fundingTime"]
    picked = funding(http, ex, symbol="BTCUSDT", startTime=exact, endTime=exact)
    assert [r["fundingTime"] for r in picked] == [exact]
    assert funding(http, ex, symbol="BTCUSDT", startTime=exact + 1, endTime=exact + 1) == []
    after = funding(http, ex, symbol="BTCUSDT", startTime=exact + 1, limit=2)
    assert [r["fundingTime"] for r in after] == [e["fundingTime"] for e in everything[11:13]]


def test_a_year_across_the_switch_from_8_to_4_hours(http, ex):
    start, rows = FUNDING_SWITCH_MS - YEAR // 2, []
    cursor = start
    while cursor < FUNDING_SWITCH_MS + YEAR // 2:
        page = funding(http, ex, symbol=FUNDING_SWITCH_SYMBOL, startTime=cursor, limit=1000)
        rows += [r for r in page if r["fundingTime"] < FUNDING_SWITCH_MS + YEAR // 2]
        cursor = page[-1]["fundingTime"] + 1
    gaps = [
        (b["fundingTime"] // HOUR - a["fundingTime"] // HOUR, b["fundingTime"])
        for a, b in itertools.pairwise(rows)
    ]
    assert {g for g, t in gaps if t <= FUNDING_SWITCH_MS + 20} == {8}
    assert {g for g, t in gaps if t > FUNDING_SWITCH_MS + 20} == {4}
    first_8h = -(-start // (8 * HOUR)) * 8 * HOUR
    scheduled = list(range(first_8h, FUNDING_SWITCH_MS + 1, 8 * HOUR))
    scheduled += list(range(FUNDING_SWITCH_MS + 4 * HOUR, FUNDING_SWITCH_MS + YEAR // 2, 4 * HOUR))
    assert [r["fundingTime"] // HOUR * HOUR for r in rows] == scheduled


def test_no_symbol_lists_every_perpetual(http, ex):
    rows = funding(http, ex, limit=10)
    assert {r["symbol"] for r in rows} == {"BTCUSDT", "ETHUSDT"}
    times = [r["fundingTime"] for r in rows]
    assert times == sorted(times) and len(rows) == 10


def test_coinm_funding_needs_a_symbol_and_has_no_mark_price(http, ex):
    rows = funding(http, ex, "/dapi/v1", symbol="BTCUSD_PERP", limit=5)
    assert len(rows) == 5 and list(rows[0]) == ["symbol", "fundingTime", "fundingRate"]
    assert funding(http, ex, "/dapi/v1", symbol="BTCUSD_250328") == []  # delivery contracts
    missing = get(http, ex, "/dapi/v1/fundingRate")
    assert missing.status_code == 400 and missing.json()["code"] == -1102


@pytest.mark.parametrize(("params", "code"), [
    ({"symbol": DELISTED_USDM_SYMBOL}, -1121),
    ({"symbol": "NOPE"}, -1121),
    ({"symbol": "BTCUSDT", "limit": 1001}, -1130),
    ({"symbol": "BTCUSDT", "startTime": 5, "endTime": 4}, -1023),
    ({"symbol": "BTCUSDT", "startTime": "yesterday"}, -1100),
])  # fmt: skip
def test_errors(http, ex, params, code):
    r = get(http, ex, "/fapi/v1/fundingRate", **params)
    assert r.status_code == 400 and r.json()["code"] == code
