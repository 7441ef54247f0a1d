"""Funding-rate history from the sandbox over HTTP into the store (REST, archive, budgets)."""

from __future__ import annotations

import itertools

import pytest
import requests

from cl3_common.exchange import BinanceClient, RedisWeightGate, WeightBudget
from cl3_common.exchange.markets import COINM_MARKET, USDM_MARKET
from cl3_common.store import FundingKey
from cl3_sandbox.exchange import (
    DELISTED_USDM_SYMBOL,
    FUNDING_SWITCH_MS,
    FamilyConfig,
    SandboxConfig,
    SandboxExchange,
)
from cl3_worker.archive import ArchiveClient
from cl3_worker.funding import FundingFetcher

HOUR, DAY = 3_600_000, 86_400_000
YEAR = 365 * DAY
ETH = FundingKey("usdm", "ETHUSDT")


def fetcher(url: str, stores, market=USDM_MARKET, **client_kw) -> FundingFetcher:
    session = requests.Session()
    client = BinanceClient(url, session, market=market, sleep=lambda s: None, **client_kw)
    archive = ArchiveClient(url, session, sleep=lambda s: None)
    return FundingFetcher(client, archive, stores.funding, clock_ms=lambda: 1_760_000_000_000)


def rest_events(url: str, prefix: str, symbol: str, start: int, end: int) -> list[dict]:
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


def test_a_year_of_8h_then_4h_funding_round_trips_exactly(exchange, stores):
    start, end = FUNDING_SWITCH_MS - YEAR // 2, FUNDING_SWITCH_MS + YEAR // 2
    progress = []
    report = fetcher(exchange.url, stores).run(
        ETH, start, end, lambda r: progress.append(r.pages_done)
    )
    served = rest_events(exchange.url, "/fapi/v1", "ETHUSDT", start, end)
    stored = stores.funding.read(ETH, start, end)
    assert report.events_written == len(stored) == len(served) > 1500
    assert [(t, rate, mark) for t, rate, mark, _ in stored] == [
        (r["fundingTime"], float(r["fundingRate"]), float(r["markPrice"])) for r in served
    ]
    hours = {t: h for t, _, _, h in stored}
    switch = next(t for t in hours if t // HOUR * HOUR == FUNDING_SWITCH_MS)
    assert {h for t, h in hours.items() if t <= switch} == {8}  # the event at the switch too
    assert {h for t, h in hours.items() if t > switch} == {4}
    assert stored[0][3] == 8  # its predecessor, before the range, was fetched to measure it
    # 1,642 events (and 3 before the range) in two requests of up to 1,000.
    assert report.requests == 2 and report.pages_total == report.pages_done == 2
    assert progress == [0, 1, 2]
    # Again: nothing new, nothing changed.
    again = fetcher(exchange.url, stores).run(ETH, start, end, lambda r: None)
    assert again.events_written == 0 and stores.funding.read(ETH, start, end) == stored
    assert stores.funding.bounds(ETH).count == len(stored)


def test_a_later_range_measures_its_first_interval_from_the_stored_event(exchange, stores):
    key = FundingKey("usdm", "BTCUSDT")
    start = FUNDING_SWITCH_MS
    fetcher(exchange.url, stores).run(key, start, start + 3 * DAY, lambda r: None)
    fetcher(exchange.url, stores).run(key, start + 3 * DAY, start + 6 * DAY, lambda r: None)
    stored = stores.funding.read(key, start, start + 6 * DAY)
    assert len(stored) == 18 and {r[3] for r in stored} == {8}
    times = [r[0] // HOUR for r in stored]
    assert all(b - a == 8 for a, b in itertools.pairwise(times))


def test_a_delisted_perpetual_comes_from_the_archive_without_mark_prices(exchange, stores):
    key = FundingKey("usdm", DELISTED_USDM_SYMBOL)
    start, end = 1_640_995_200_000, 1_640_995_200_000 + 59 * DAY  # 2022-01-01 .. 03-01
    report = fetcher(exchange.url, stores).run(key, start, end, lambda r: None, on_rest=False)
    stored = stores.funding.read(key, start, end)
    assert report.archive_files == 3 and report.requests == 0  # Dec (lookback), Jan, Feb
    assert len(stored) == 59 * 3 and all(r[2] is None for r in stored)
    assert {r[3] for r in stored} == {8}
    assert all(0 <= r[0] % (8 * HOUR) < 20 for r in stored)


def test_coinm_funding_has_no_mark_price(exchange, stores):
    key = FundingKey("coinm", "BTCUSD_PERP")
    start = 1_704_067_200_000
    fetcher(exchange.url, stores, COINM_MARKET).run(key, start, start + 2 * DAY, lambda r: None)
    stored = stores.funding.read(key, start, start + 2 * DAY)
    served = rest_events(exchange.url, "/dapi/v1", "BTCUSD_PERP", start, start + 2 * DAY)
    assert [(r[0], r[1], r[2]) for r in stored] == [
        (e["fundingTime"], float(e["fundingRate"]), None) for e in served
    ]
    assert len(stored) == 6


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime(1_742_042_000.0)


@pytest.fixture
def tight_funding_limit(fake_time):
    # The sandbox counts fundingRate requests per IP in 10 s windows of its (fake) clock.
    config = SandboxConfig(clock=fake_time.clock,
                           fapi=FamilyConfig(funding_limit=5, funding_window_s=10))  # fmt: skip
    with SandboxExchange(config) as ex:
        yield ex


def test_funding_requests_keep_to_their_own_budget(tight_funding_limit, redis_client, fake_time):
    ex = tight_funding_limit
    gates = {
        name: RedisWeightGate(redis_client, budget, clock=fake_time.clock, sleep=fake_time.sleep,
                              namespace=f"test:{name}")
        for name, budget in (("host", WeightBudget(2400, 60)),
                             ("funding", WeightBudget(5, 10)))
    }  # fmt: skip
    client = BinanceClient(ex.url, requests.Session(), market=USDM_MARKET, gate=gates["host"],
                           funding_gate=gates["funding"], clock=fake_time.clock,
                           sleep=fake_time.sleep)  # fmt: skip
    began = fake_time.now
    for i in range(12):
        assert len(client.funding_rates("BTCUSDT", 1_704_067_200_000 + i * DAY, limit=3)) == 3
    stats = ex.stats()["families"]["fapi"]
    assert stats["funding_requests"] == 12 and stats["responses_429"] == 0
    # 4 a window (5 less the safety margin): 12 requests need three windows.
    assert fake_time.now - began >= 20
    # A klines request is not held back by the funding budget.
    before = fake_time.now
    client.klines("BTCUSDT", "1h", 1_704_067_200_000, limit=10)
    assert fake_time.now == before


def test_a_429_on_funding_pauses_funding_requests_only(exchange, redis_client, fake_time):
    exchange.clear_faults()
    gates = {
        name: RedisWeightGate(redis_client, WeightBudget(2400, 60), clock=fake_time.clock,
                              sleep=fake_time.sleep, namespace=f"test:{name}")
        for name in ("host", "funding")
    }  # fmt: skip
    client = BinanceClient(exchange.url, requests.Session(), market=USDM_MARKET, gate=gates["host"],
                           funding_gate=gates["funding"], clock=fake_time.clock,
                           sleep=fake_time.sleep)  # fmt: skip
    exchange.inject(429, retry_after=7, path="/fapi/v1/fundingRate")
    began = fake_time.now
    assert len(client.funding_rates("BTCUSDT", 1_704_067_200_000, limit=3)) == 3
    assert fake_time.now - began >= 7  # waited Retry-After before asking again
    assert redis_client.get("cl3:test:funding:pause_until") is not None
    assert redis_client.get("cl3:test:host:pause_until") is None  # klines were never paused
