"""The client labels what it records by host family: a futures host's requests, 429s and bans
are counted and logged as `usdm`, never as spot (each host has its own budget and breaker)."""

from __future__ import annotations

import logging

import pytest
import requests

from cl3_common.exchange import BinanceClient, ExchangeBanned, RedisWeightGate, WeightBudget
from cl3_common.exchange.markets import MARKETS
from cl3_common.observability.metrics import in_process_registry
from tests.helpers import FakeTime

JAN_2024 = 1_704_067_200_000


def _sample(name: str, **labels: str) -> float:
    return in_process_registry().get_sample_value(name, labels) or 0.0


@pytest.fixture
def usdm(exchange, redis_client) -> BinanceClient:
    exchange.clear_faults()
    time = FakeTime()
    gate = RedisWeightGate(redis_client, WeightBudget(limit=2400, window_s=60),
                           clock=time.clock, sleep=time.sleep, max_ban_wait_s=0,
                           namespace="test:usdm")  # fmt: skip
    return BinanceClient(exchange.url, requests.Session(), market=MARKETS["usdm"], gate=gate,
                         clock=time.clock, sleep=time.sleep, max_attempts=3)  # fmt: skip


def test_futures_requests_are_counted_under_their_host(usdm):
    ok = dict(host="usdm", endpoint="klines", status="200")
    before = (_sample("cl3_exchange_requests_total", **ok),
              _sample("cl3_candles_fetched_total", source="usdm"),
              _sample("cl3_exchange_weight_spent_total", host="usdm"),
              _sample("cl3_exchange_requests_total", host="spot", endpoint="klines",
                      status="200"))  # fmt: skip
    rows = usdm.klines("BTCUSDT", "1h", JAN_2024, limit=10)
    assert len(rows) == 10
    assert _sample("cl3_exchange_requests_total", **ok) - before[0] == 1
    assert _sample("cl3_candles_fetched_total", source="usdm") - before[1] == 10
    assert _sample("cl3_exchange_weight_spent_total", host="usdm") - before[2] == 1  # limit<100
    assert _sample("cl3_exchange_requests_total", host="spot", endpoint="klines",
                   status="200") == before[3]  # fmt: skip
    assert _sample("cl3_exchange_weight_limit", host="usdm") == 2400
    assert _sample("cl3_exchange_weight_used", host="usdm") >= 1


def test_a_futures_ban_is_counted_and_logged_with_its_host(usdm, exchange, caplog):
    before = _sample("cl3_exchange_banned_total", host="usdm")
    exchange.inject(418, count=1, retry_after=90, path="/fapi/v1/klines")
    with caplog.at_level(logging.WARNING, logger="cl3.exchange"), pytest.raises(ExchangeBanned):
        usdm.klines("BTCUSDT", "1h", JAN_2024, limit=10)  # the ban outlasts max_ban_wait_s
    assert _sample("cl3_exchange_banned_total", host="usdm") - before == 1
    (line,) = [r for r in caplog.records if getattr(r, "event", "") == "exchange.banned"]
    assert line.levelno == logging.WARNING
    assert (line.host, line.retry_after_s, line.path) == ("usdm", 90.0, "/fapi/v1/klines")
