"""fundingRate through the mirror equals the exchange's and comes from the funding store once
asked: USDⓈ-M through its own request budget, COIN-M by weight."""

from __future__ import annotations

import json

import pytest

from cl3_common.settings import Settings
from cl3_common.store import FundingKey, open_stores
from cl3_sandbox.exchange import FUNDING_SWITCH_MS, FUNDING_SWITCH_SYMBOL

HOUR, DAY = 3_600_000, 86_400_000
MARCH_2024 = 1_709_251_200_000


def funding_requests(exchange, family: str) -> int:
    return int(exchange.stats()["families"][family]["funding_requests"])


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("fapi", {"symbol": FUNDING_SWITCH_SYMBOL, "startTime": FUNDING_SWITCH_MS - 20 * DAY,
                  "endTime": FUNDING_SWITCH_MS + 20 * DAY, "limit": 1000}),  # 8 h, then 4 h
        ("fapi", {"symbol": "BTCUSDT", "startTime": MARCH_2024}),  # limit 100 by default
        ("fapi", {"symbol": "BTCUSDT", "startTime": 0, "limit": 5}),  # from the listing
        ("fapi", {"symbol": "ETHUSDT", "endTime": MARCH_2024, "limit": 500}),  # the last 500
        ("fapi", {"symbol": "ETHUSDT", "limit": 7}),  # the latest
        ("dapi", {"symbol": "BTCUSD_PERP", "startTime": MARCH_2024, "limit": 1000}),
        ("dapi", {"symbol": "BTCUSD_PERP", "endTime": MARCH_2024 - 1}),
    ],
)  # fmt: skip
def test_funding_history_matches_the_exchange_then_comes_from_the_store(
    futures, futures_direct, exchange, family, params
):
    expected = futures_direct(family, "fundingRate", params).json()
    assert isinstance(expected, list) and expected
    exchange.reset_stats()
    first = futures(family, "fundingRate", params)
    assert first.status_code == 200
    assert json.loads(first.body) == expected  # every field, strings as the exchange's
    assert 1 <= funding_requests(exchange, family) <= 4
    assert exchange.stats()["klines_requests"] == 0
    exchange.reset_stats()
    assert json.loads(futures(family, "fundingRate", params).body) == expected
    assert funding_requests(exchange, family) == 0


def test_stored_events_carry_their_funding_interval(futures, env):
    params = {"symbol": FUNDING_SWITCH_SYMBOL, "startTime": FUNDING_SWITCH_MS - 2 * DAY,
              "endTime": FUNDING_SWITCH_MS + 2 * DAY}  # fmt: skip
    answered = json.loads(futures("fapi", "fundingRate", params).body)
    stores = open_stores(Settings.from_env(env))
    try:
        stored = stores.funding.read(FundingKey("usdm", FUNDING_SWITCH_SYMBOL),
                                     params["startTime"], params["endTime"] + 1)  # fmt: skip
    finally:
        stores.close()
    assert [row[0] for row in stored] == [e["fundingTime"] for e in answered]
    hours = [row[3] for row in stored]
    switch = next(i for i, row in enumerate(stored) if row[0] >= FUNDING_SWITCH_MS)
    # 8 h up to and including the event at the switch, 4 h after it.
    assert set(hours[: switch + 1]) == {8} and set(hours[switch + 1 :]) == {4}
    assert all(row[2] is not None for row in stored)  # REST's mark price


def test_quarterlies_have_no_funding_and_all_symbols_pass_through(
    futures, futures_direct, exchange
):
    info = json.loads(futures("dapi", "exchangeInfo").body)
    quarterly = next(s["symbol"] for s in info["symbols"] if s["contractType"] != "PERPETUAL")
    params = {"symbol": quarterly, "startTime": MARCH_2024}
    assert json.loads(futures("dapi", "fundingRate", params).body) == []
    exchange.reset_stats()
    assert json.loads(futures("dapi", "fundingRate", params).body) == []
    assert funding_requests(exchange, "dapi") == 0
    # USDⓈ-M without a symbol: every perpetual, as the exchange answers it.
    every = {"startTime": MARCH_2024, "limit": 10}
    assert (
        json.loads(futures("fapi", "fundingRate", every).body)
        == futures_direct("fapi", "fundingRate", every).json()
    )
