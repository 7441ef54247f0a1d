"""USDⓈ-M (/fapi/v1) and COIN-M (/dapi/v1) market data over HTTP, as Binance serves them."""

from __future__ import annotations

import pytest

from cl3_sandbox.exchange import (
    DELISTED_USDM_SYMBOL,
    SETTLED_COINM_SYMBOL,
    expected_klines,
)
from tests.integration.sandbox.support import DAY, HOUR, MIN, NOW_MS, get

JAN_2024 = 1_704_067_200_000
DELIVERY_230331 = 1_680_249_600_000  # 2023-03-31 08:00 UTC


@pytest.mark.parametrize("prefix", ["/fapi/v1", "/dapi/v1"])
def test_ping_and_time(http, ex, prefix):
    assert get(http, ex, f"{prefix}/ping").json() == {}
    assert get(http, ex, f"{prefix}/time").json() == {"serverTime": NOW_MS}
    assert get(http, ex, f"{prefix}/ping").headers["X-MBX-USED-WEIGHT-1M"] == "3"  # 1 each


def test_usdm_exchange_info(http, ex):
    info = get(http, ex, "/fapi/v1/exchangeInfo").json()
    assert info["futuresType"] == "U_MARGINED" and info["timezone"] == "UTC"
    assert info["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                     "intervalNum": 1, "limit": 2400}  # fmt: skip
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert set(symbols) == {"BTCUSDT", "ETHUSDT"}  # the delisted perpetual is not listed
    btc = symbols["BTCUSDT"]
    assert (btc["pair"], btc["contractType"], btc["status"]) == ("BTCUSDT", "PERPETUAL", "TRADING")
    assert (btc["deliveryDate"], btc["onboardDate"]) == (4_133_404_800_000, 1_569_398_400_000)
    assert (btc["baseAsset"], btc["quoteAsset"], btc["marginAsset"]) == ("BTC", "USDT", "USDT")
    assert (btc["pricePrecision"], btc["quantityPrecision"]) == (2, 3)
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}


def test_coinm_exchange_info_lists_perpetual_quarters_and_the_settled_contract(http, ex):
    info = get(http, ex, "/dapi/v1/exchangeInfo").json()
    assert info["rateLimits"][0]["limit"] == 2400 and "futuresType" not in info
    rows = {s["symbol"]: s for s in info["symbols"]}
    assert set(rows) == {"BTCUSD_PERP", SETTLED_COINM_SYMBOL, "BTCUSD_250328", "BTCUSD_250627"}
    assert [rows[s]["contractType"] for s in ("BTCUSD_PERP", "BTCUSD_250328", "BTCUSD_250627")] \
        == ["PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER"]  # fmt: skip
    settled = rows[SETTLED_COINM_SYMBOL]
    assert settled["contractStatus"] == "DELIVERED" and settled["deliveryDate"] == DELIVERY_230331
    assert rows["BTCUSD_PERP"]["contractSize"] == 100 and rows["BTCUSD_PERP"]["pair"] == "BTCUSD"
    assert rows["BTCUSD_PERP"]["marginAsset"] == "BTC" and "status" not in rows["BTCUSD_PERP"]


@pytest.mark.parametrize(("path", "params", "market", "kind", "name"), [
    ("/fapi/v1/klines", {"symbol": "BTCUSDT"}, "usdm", "trade", "BTCUSDT"),
    ("/fapi/v1/markPriceKlines", {"symbol": "ETHUSDT"}, "usdm", "mark", "ETHUSDT"),
    ("/fapi/v1/indexPriceKlines", {"pair": "BTCUSDT"}, "usdm", "index", "BTCUSDT"),
    ("/fapi/v1/premiumIndexKlines", {"symbol": "BTCUSDT"}, "usdm", "premium", "BTCUSDT"),
    ("/dapi/v1/klines", {"symbol": "BTCUSD_PERP"}, "coinm", "trade", "BTCUSD_PERP"),
    ("/dapi/v1/markPriceKlines", {"symbol": "BTCUSD_PERP"}, "coinm", "mark", "BTCUSD_PERP"),
    ("/dapi/v1/indexPriceKlines", {"pair": "BTCUSD"}, "coinm", "index", "BTCUSD"),
    ("/dapi/v1/premiumIndexKlines", {"symbol": "BTCUSD_PERP"}, "coinm", "premium",
     "BTCUSD_PERP"),
])  # fmt: skip
def test_every_kind_serves_expected_rows(http, ex, path, params, market, kind, name):
    start, end = JAN_2024, JAN_2024 + 99 * MIN
    r = get(http, ex, path, interval="1m", startTime=start, endTime=end, limit=100, **params)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.json() == expected_klines(name, "1m", start, end, NOW_MS, market=market, kind=kind)
    assert len(r.json()) == 100 and r.headers["X-MBX-USED-WEIGHT-1M"] == "2"


def test_default_limit_is_500_and_latest_rows_include_the_open_candle(http, ex):
    rows = get(http, ex, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m").json()
    assert len(rows) == 500 and rows[-1][0] == NOW_MS // MIN * MIN
    assert rows == expected_klines("BTCUSDT", "1m", rows[0][0], NOW_MS, NOW_MS, market="usdm")
    assert len(get(http, ex, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m",
                   limit=1500, startTime=JAN_2024).json()) == 1500  # fmt: skip


@pytest.mark.parametrize(
    ("limit", "weight"),
    [(1, 1), (99, 1), (100, 2), (499, 2), (500, 5), (1000, 5), (1001, 10), (1500, 10), (None, 5)],
)
def test_weight_depends_on_limit(http, ex, limit, weight):
    params = {"symbol": "BTCUSDT", "interval": "1h"} | ({"limit": limit} if limit else {})
    for path in ("/fapi/v1/klines", "/fapi/v1/markPriceKlines", "/dapi/v1/premiumIndexKlines"):
        if path.startswith("/dapi"):
            params["symbol"] = "BTCUSD_PERP"
        r = get(http, ex, path, **params)
        assert r.status_code == 200
        assert r.headers["X-MBX-USED-WEIGHT-1M"] == str(weight)
        ex.reset_limits()


@pytest.mark.parametrize(("path", "params", "code", "msg"), [
    ("/fapi/v1/klines", {"interval": "1m"}, -1102,
     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    ("/fapi/v1/indexPriceKlines", {"symbol": "BTCUSDT", "interval": "1m"}, -1102,
     "Mandatory parameter 'pair' was not sent, was empty/null, or malformed."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT"}, -1102,
     "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."),
    ("/fapi/v1/klines", {"symbol": "btcusdt", "interval": "1m"}, -1100,
     "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": "x"}, -1100,
     "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1s"}, -1120, "Invalid interval."),
    ("/dapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m"}, -1121, "Invalid symbol."),
    ("/fapi/v1/klines", {"symbol": DELISTED_USDM_SYMBOL, "interval": "1m"}, -1121,
     "Invalid symbol."),
    ("/fapi/v1/markPriceKlines", {"symbol": "BTCUSD_PERP", "interval": "1m"}, -1121,
     "Invalid symbol."),
    ("/dapi/v1/klines", {"symbol": "BTCUSD_240628", "interval": "1m"}, -1121, "Invalid symbol."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 1501}, -1130,
     "Data sent for parameter 'limit' is not valid."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 0}, -1130,
     "Data sent for parameter 'limit' is not valid."),
    ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": 2, "endTime": 1},
     -1023, "Start time is greater than end time."),
    ("/dapi/v1/klines", {"symbol": "BTCUSD_PERP", "interval": "1d", "startTime": 0,
                         "endTime": 201 * DAY}, -1127,
     "More than 4800 hours between startTime and endTime."),
])  # fmt: skip
def test_errors_have_binance_codes(http, ex, path, params, code, msg):
    r = get(http, ex, path, **params)
    assert r.status_code == 400
    assert r.json() == {"code": code, "msg": msg}
    assert "X-MBX-USED-WEIGHT-1M" in r.headers  # weight is charged before validation


def test_coinm_returns_the_most_recent_limit_rows_of_its_window(http, ex):
    start = JAN_2024
    both = get(http, ex, "/dapi/v1/klines", symbol="BTCUSD_PERP", interval="1h",
               startTime=start, endTime=start + 10 * DAY, limit=5).json()  # fmt: skip
    assert [r[0] for r in both] == [start + 10 * DAY - h * HOUR for h in range(4, -1, -1)]
    only_start = get(http, ex, "/dapi/v1/klines", symbol="BTCUSD_PERP", interval="1d",
                     startTime=start, limit=3).json()  # fmt: skip
    assert [r[0] for r in only_start] == [start + d * DAY for d in (198, 199, 200)]
    only_end = get(http, ex, "/dapi/v1/indexPriceKlines", pair="BTCUSD", interval="1d",
                   endTime=start, limit=1000).json()  # fmt: skip
    assert only_end[0][0] == start - 200 * DAY and only_end[-1][0] == start
    # premium index klines have no such window (documented for klines, mark and index only)
    premium = get(http, ex, "/dapi/v1/premiumIndexKlines", symbol="BTCUSD_PERP", interval="1h",
                  startTime=start, limit=2).json()  # fmt: skip
    assert [r[0] for r in premium] == [start, start + HOUR]
    usdm = get(http, ex, "/fapi/v1/klines", symbol="BTCUSDT", interval="1d", startTime=start,
               limit=2).json()  # fmt: skip
    assert [r[0] for r in usdm] == [start, start + DAY]


def test_settled_contract_serves_candles_up_to_delivery(http, ex):
    rows = get(
        http,
        ex,
        "/dapi/v1/klines",
        symbol=SETTLED_COINM_SYMBOL,
        interval="1h",
        startTime=DELIVERY_230331 - 3 * HOUR,
        endTime=DELIVERY_230331 + DAY,
    ).json()
    assert [r[0] for r in rows] == [DELIVERY_230331 - h * HOUR for h in (3, 2, 1)]
    latest = get(http, ex, "/dapi/v1/markPriceKlines", symbol=SETTLED_COINM_SYMBOL,
                 interval="1m", limit=1).json()  # fmt: skip
    assert latest[0][0] == DELIVERY_230331 - MIN  # nothing after delivery


def test_quarterlies_follow_the_clock(http, ex, clock):
    clock.now = 1_750_000_000.0  # 2025-06-15: the March contract has delivered
    info = get(http, ex, "/dapi/v1/exchangeInfo").json()
    assert "BTCUSD_250328" not in {s["symbol"] for s in info["symbols"]}
    assert get(http, ex, "/dapi/v1/klines", symbol="BTCUSD_250328", interval="1d").json() == {
        "code": -1121, "msg": "Invalid symbol."}  # fmt: skip
    assert get(http, ex, "/dapi/v1/klines", symbol="BTCUSD_250926", interval="1d").ok
