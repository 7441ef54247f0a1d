"""The Binance client and the shared weight gate against the sandbox exchange over HTTP."""

from __future__ import annotations

import pytest
import requests

from cl3_common.exchange import (
    BinanceClient,
    ExchangeBanned,
    ExchangeRejected,
    ExchangeUnavailable,
    RedisWeightGate,
    WeightBudget,
)
from tests.helpers import FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def gate(redis_client, fake_time) -> RedisWeightGate:
    return RedisWeightGate(
        redis_client,
        WeightBudget(limit=100, window_s=60),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        max_ban_wait_s=300,
    )


@pytest.fixture
def client(exchange, gate, fake_time) -> BinanceClient:
    exchange.clear_faults()
    return BinanceClient(
        exchange.url,
        requests.Session(),
        gate=gate,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        max_attempts=4,
    )


def test_klines_and_budget_from_exchange_info(client):
    info = client.exchange_info()
    assert info.symbols["BTCUSDT"].status == "TRADING"
    assert (info.budget.limit, info.budget.window_s) == (6000, 60)
    rows = client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=3)
    assert [r[0] for r in rows] == [1_704_067_200_000 + i * 3_600_000 for i in range(3)]


def test_server_errors_are_retried_with_backoff(client, exchange, fake_time):
    exchange.inject(503, count=2)
    assert len(client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=2)) == 2
    assert len(fake_time.slept) == 2 and all(0 <= s <= 20 for s in fake_time.slept)


def test_server_errors_give_up_after_bounded_attempts(client, exchange):
    exchange.inject(500, count=10)
    with pytest.raises(ExchangeUnavailable):
        client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=2)


def test_429_pauses_every_user_of_the_gate_for_retry_after(
    client, exchange, fake_time, redis_client
):
    exchange.inject(429, retry_after=7)
    before = fake_time.now
    client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=2)
    assert fake_time.now - before >= 7
    assert redis_client.get("cl3:binance:pause_until") is not None


def test_418_sets_the_ban_breaker_and_nothing_is_sent_until_it_lifts(
    client, exchange, fake_time, gate
):
    exchange.inject(418, retry_after=120)
    sent_before = exchange.stats()["klines_requests"]
    client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=2)
    assert sum(fake_time.slept) >= 120  # waited the ban out before sending again
    assert exchange.stats()["klines_requests"] == sent_before + 2


def test_a_ban_longer_than_the_patience_is_raised(client, exchange, gate, fake_time):
    gate.ban(fake_time.now + 3600)
    with pytest.raises(ExchangeBanned):
        client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=2)


@pytest.mark.parametrize(
    ("symbol", "interval", "code"), [("NOPE", "1h", -1121), ("BTCUSDT", "7m", -1120)]
)
def test_binance_error_codes_are_permanent(client, symbol, interval, code):
    with pytest.raises(ExchangeRejected) as info:
        client.klines(symbol, interval, 1_704_067_200_000, limit=2)
    assert info.value.binance_code == code and info.value.status == 400
    assert info.value.code == {-1121: "invalid_symbol", -1120: "invalid_interval"}[code]


def test_the_gate_waits_for_the_next_window_when_the_budget_is_spent(gate, fake_time):
    fake_time.now = 1_700_000_040.0  # 20 s before a window boundary
    for _ in range(47):  # 95% of 100 is 95 weight: 47 klines calls
        gate.acquire(2)
    assert fake_time.slept == []
    gate.acquire(2)
    assert fake_time.slept and fake_time.now >= 1_700_000_100.0


def test_the_exchanges_own_count_raises_ours_only_when_it_is_higher(gate, fake_time,
                                                                   redis_client):  # fmt: skip
    fake_time.now = 1_700_000_040.0
    gate.acquire(2)
    gate.acquire(2)
    window = [k for k in redis_client.keys("*weight*")]
    assert len(window) == 1 and int(redis_client.get(window[0])) == 4
    gate.observe_used_weight(3)  # the exchange counts less than we do: nothing changes
    assert int(redis_client.get(window[0])) == 4
    gate.observe_used_weight(40)  # other traffic on the same IP: our count follows it
    assert int(redis_client.get(window[0])) == 40
    for _ in range(27):  # 95 usable: 27 more calls of 2 fit after 40, the 28th waits
        gate.acquire(2)
    assert fake_time.slept == []
    gate.acquire(2)
    assert fake_time.slept
