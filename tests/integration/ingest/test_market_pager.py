"""The pager on every market and kind against the sandbox over HTTP, into the real store."""

from __future__ import annotations

import time

import pytest
import requests

from cl3_common.exchange import BinanceClient
from cl3_common.exchange.markets import MARKETS
from cl3_common.store import SeriesKey, kline_to_row
from cl3_sandbox.exchange import (
    DELISTED_SPOT_SYMBOL,
    DELISTED_USDM_SYMBOL,
    SETTLED_COINM_SYMBOL,
    expected_klines,
)
from cl3_worker.archive import ArchiveClient
from cl3_worker.pager import KlinePager

MIN, DAY = 60_000, 86_400_000
JAN_2024 = 1_704_067_200_000
# 2024-01-01 22:00 .. 2024-01-04 03:00: REST for the partial days, archive for the whole ones.
START, END = JAN_2024 + 22 * 60 * MIN, JAN_2024 + 3 * DAY + 3 * 60 * MIN


def pager(url: str, stores, market: str, *, archive: bool = True) -> KlinePager:
    session = requests.Session()
    client = BinanceClient(url, session, market=MARKETS[market], sleep=lambda s: None)
    return KlinePager(
        client,
        stores.candles,
        concurrency=4,
        clock_ms=lambda: int(time.time() * 1000),
        archive=ArchiveClient(url, session, sleep=lambda s: None) if archive else None,
    )


def expected_rows(key: SeriesKey, start: int, end: int) -> list[tuple]:
    rows = expected_klines(key.symbol, key.interval, start, end - 1, now_ms=end + 400 * DAY,
                           market=key.market, kind=key.kind)  # fmt: skip
    return [kline_to_row(r) for r in rows]


SERIES = [
    SeriesKey("BTCUSDT", "1m", "usdm", "trade"),
    SeriesKey("ETHUSDT", "1m", "usdm", "mark"),
    SeriesKey("BTCUSDT", "1m", "usdm", "index"),
    SeriesKey("BTCUSDT", "1m", "usdm", "premium"),
    SeriesKey("BTCUSD_PERP", "1m", "coinm", "trade"),
    SeriesKey("BTCUSD_PERP", "1m", "coinm", "mark"),
    SeriesKey("BTCUSD", "1m", "coinm", "index"),
    SeriesKey("BTCUSD_PERP", "1m", "coinm", "premium"),
]


@pytest.mark.parametrize("key", SERIES, ids=lambda k: f"{k.market}-{k.kind}")
def test_every_market_and_kind_stores_what_the_exchange_served(exchange, stores, key):
    before = exchange.stats()
    report = pager(exchange.url, stores, key.market).run(key, START, END, lambda r: None)
    stats = exchange.stats()
    family = MARKETS[key.market].family
    assert stores.candles.read(key, START, END) == expected_rows(key, START, END)
    # Two whole days from the archive; 120 + 180 minutes at the ends, one REST page each.
    assert (report.archive_files, report.rest_pages) == (2, 2)
    sent = (
        stats["families"][family]["klines_requests"] - before["families"][family]["klines_requests"]
    )
    assert sent == 2
    # Futures pages of 499 weigh 2 each.
    assert stats["families"][family]["weight_used"] - before["families"][family]["weight_used"] == 4
    assert stores.candles.bounds(key).count == (END - START) // MIN


def test_coinm_daily_candles_are_paged_within_200_days(exchange, stores):
    key = SeriesKey("BTCUSD_PERP", "1d", "coinm", "trade")
    start, end = JAN_2024 - 500 * DAY, JAN_2024
    before = exchange.stats()["families"]["dapi"]["klines_requests"]
    report = pager(exchange.url, stores, "coinm").run(key, start, end, lambda r: None)
    assert stores.candles.read(key, start, end) == expected_rows(key, start, end)
    assert (
        report.rest_pages == 3 == exchange.stats()["families"]["dapi"]["klines_requests"] - before
    )


def test_a_settled_delivery_contract_is_fetched_up_to_its_delivery(exchange, stores):
    key = SeriesKey(SETTLED_COINM_SYMBOL, "1h", "coinm", "trade")
    start, end = 1_680_000_000_000 - 10 * DAY, 1_680_249_600_000 + 5 * DAY  # past delivery
    pager(exchange.url, stores, "coinm").run(key, start, end, lambda r: None)
    stored = stores.candles.read(key, start, end)
    assert stored == expected_rows(key, start, end)
    assert stored[-1][0] < 1_680_249_600_000 <= stored[-1][1] + 1


@pytest.mark.parametrize(
    "key",
    [SeriesKey(DELISTED_USDM_SYMBOL, "1m", "usdm", "trade"),
     SeriesKey(DELISTED_USDM_SYMBOL, "15m", "usdm", "mark"),
     SeriesKey(DELISTED_SPOT_SYMBOL, "1h", "spot", "trade"),
     SeriesKey(DELISTED_SPOT_SYMBOL, "1d", "spot", "trade")],
    ids=lambda k: f"{k.market}-{k.kind}-{k.interval}",
)  # fmt: skip
def test_a_delisted_symbol_is_read_from_the_archive_alone(exchange, stores, key):
    start = 1_514_764_800_000 if key.market == "spot" else 1_640_995_200_000  # 2018 / 2022
    start, end = start + 5 * 60 * MIN, start + 40 * DAY + 7 * 60 * MIN
    before = exchange.stats()["klines_requests"]
    report = pager(exchange.url, stores, key.market, archive=True).run(
        key, start, end, lambda r: None, use_rest=False
    )
    assert exchange.stats()["klines_requests"] == before  # REST does not know it
    assert stores.candles.read(key, start, end) == expected_rows(key, start, end)
    assert report.rest_pages == 0 and report.archive_files > 0 and report.archive_missing == 0


def test_rest_pages_are_full_when_the_archive_has_no_files(exchange, stores):
    # Every archive file is missing (an archive host without them): 50,000 minutes are paged
    # in 50 full pages, not 1,000 + 440 a day.
    session = requests.Session()
    key = SeriesKey("XRPUSDT", "1m")
    paged = KlinePager(
        BinanceClient(exchange.url, session, sleep=lambda s: None), stores.candles,
        concurrency=4, clock_ms=lambda: int(time.time() * 1000),
        archive=ArchiveClient(exchange.url + "/nowhere", session, sleep=lambda s: None),
    )  # fmt: skip
    start = JAN_2024 + 7 * 60 * MIN
    before = exchange.stats()["families"]["spot"]["klines_requests"]
    report = paged.run(key, start, start + 50_000 * MIN, lambda r: None)
    assert exchange.stats()["families"]["spot"]["klines_requests"] - before == 50
    assert report.archive_fallbacks == 34 and report.rest_pages == 50
    assert report.pages_total == report.pages_done == 50
    assert stores.candles.bounds(key).count == 50_000
