"""The pager with the archive path against the sandbox over HTTP and the real store."""

from __future__ import annotations

import time

import pytest
import requests

from cl3_common.exchange import BinanceClient
from cl3_common.store import SeriesKey
from cl3_common.store.protocols import CandleStore
from cl3_sandbox.exchange import expected_klines
from cl3_worker.archive import ArchiveClient, CorruptArchive
from cl3_worker.pager import KlinePager

DAY_MS = 86_400_000
MAR_24_2023 = 1_679_616_000_000
FEB_3_2025 = 1_738_540_800_000  # archives from 2025 on carry microsecond timestamps


BTC_1M = SeriesKey("BTCUSDT", "1m")


@pytest.fixture
def store(stores) -> CandleStore:
    return stores.candles


@pytest.fixture
def pager(exchange, store) -> KlinePager:
    exchange.clear_faults()
    session = requests.Session()
    return KlinePager(
        BinanceClient(exchange.url, session, sleep=lambda s: None),
        store,
        concurrency=4,
        clock_ms=lambda: int(time.time() * 1000),
        archive=ArchiveClient(exchange.url, session, sleep=lambda s: None),
    )


def _stored(store: CandleStore, start: int, end: int) -> list[tuple[int, float]]:
    return [(r[0], r[5]) for r in store.read(BTC_1M, start, end)]


def _expected(start: int, end: int) -> list[tuple[int, float]]:
    rows = expected_klines("BTCUSDT", "1m", start, end - 1, now_ms=end + DAY_MS)
    return [(r[0], float(r[4])) for r in rows]


def test_microsecond_archives_load_as_milliseconds(pager, store, exchange):
    before = exchange.stats()["archive_downloads"]
    report = pager.run(BTC_1M, FEB_3_2025, FEB_3_2025 + DAY_MS, lambda r: None)
    assert (report.archive_files, report.rest_pages) == (1, 0)
    assert exchange.stats()["archive_downloads"] > before
    assert _stored(store, FEB_3_2025, FEB_3_2025 + DAY_MS) == _expected(
        FEB_3_2025, FEB_3_2025 + DAY_MS
    )
    first = store.read(BTC_1M, FEB_3_2025, FEB_3_2025 + DAY_MS, limit=1)[0]
    assert (first[0], first[1]) == (FEB_3_2025, FEB_3_2025 + 59_999)


def test_a_corrupt_archive_is_never_stored_and_rest_fills_the_day(pager, store, exchange):
    exchange.corrupt_archive("BTCUSDT-1m-2023-03-24.zip")
    try:
        report = pager.run(BTC_1M, MAR_24_2023, MAR_24_2023 + DAY_MS, lambda r: None)
    finally:
        exchange.corrupt_archive("BTCUSDT-1m-2023-03-24.zip", False)
    assert report.archive_fallbacks == 1 and report.archive_files == 0 and report.rest_pages == 2
    # What is stored is what the REST API served (the day has the exchange's 80-minute gap).
    assert _stored(store, MAR_24_2023, MAR_24_2023 + DAY_MS) == _expected(
        MAR_24_2023, MAR_24_2023 + DAY_MS
    )
    assert len(_stored(store, MAR_24_2023, MAR_24_2023 + DAY_MS)) == 1440 - 80


def test_the_archive_client_refuses_a_checksum_mismatch(exchange):
    client = ArchiveClient(exchange.url, requests.Session(), sleep=lambda s: None)
    path = "/data/spot/daily/klines/ETHUSDT/1h/ETHUSDT-1h-2024-01-05.zip"
    assert len(client.rows(path) or []) == 24
    exchange.corrupt_archive("ETHUSDT-1h-2024-01-05.zip")
    try:
        with pytest.raises(CorruptArchive):
            client.rows(path)
    finally:
        exchange.corrupt_archive("ETHUSDT-1h-2024-01-05.zip", False)


def test_a_missing_archive_falls_back_to_rest(pager, store):
    # Today's archive does not exist yet; a whole day of an unlisted-yet range neither.
    now = int(time.time() * 1000)
    day = now // DAY_MS * DAY_MS - 2 * DAY_MS
    report = pager.run(BTC_1M, day, day + DAY_MS, lambda r: None)
    assert report.archive_files + report.archive_fallbacks == 1
    assert len(_stored(store, day, day + DAY_MS)) == 1440


def test_a_rerun_fetches_nothing_new(pager, store):
    end = MAR_24_2023 + DAY_MS + 90 * 60_000
    first = pager.run(BTC_1M, MAR_24_2023 - 30 * 60_000, end, lambda r: None)
    again = pager.run(BTC_1M, MAR_24_2023 - 30 * 60_000, end, lambda r: None)
    assert first.candles_written == 1440 - 80 + 30 + 90
    assert again.candles_written == 0
    # Only the unit holding the exchange's own gap is looked at again (it can never be full).
    assert again.pages_skipped == again.pages_total - 1
