"""The pager with the archive path against the sandbox over HTTP and the real store."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from cl3_cli.processes import free_port
from cl3_common.exchange import BinanceClient
from cl3_common.store import SeriesKey
from cl3_common.store.protocols import CandleStore
from cl3_sandbox.exchange import expected_klines
from cl3_worker.archive import ArchiveClient, ArchiveUnavailable, CorruptArchive
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
    assert report.warnings == [
        "1 archive file could not be used (archive checksum mismatch); "
        "paged from the REST API instead"
    ]
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
    assert report.warnings == []  # a file not published yet is expected, not a problem
    assert len(_stored(store, day, day + DAY_MS)) == 1440


def test_a_rerun_fetches_nothing_new(pager, store):
    end = MAR_24_2023 + DAY_MS + 90 * 60_000
    first = pager.run(BTC_1M, MAR_24_2023 - 30 * 60_000, end, lambda r: None)
    again = pager.run(BTC_1M, MAR_24_2023 - 30 * 60_000, end, lambda r: None)
    assert first.candles_written == 1440 - 80 + 30 + 90
    assert again.candles_written == 0
    # Only the unit holding the exchange's own gap is looked at again (it can never be full).
    assert again.pages_skipped == again.pages_total - 1


class _Overloaded(BaseHTTPRequestHandler):
    """An archive CDN that answers every request with 503."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def overloaded_host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Overloaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def silent_host() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize(
    ("host", "reason"),
    [("closed", "ConnectionError"), ("overloaded", "HTTP 503"), ("silent", "ReadTimeout")],
)
def test_an_unusable_archive_host_is_paged_from_rest_with_a_warning(
    exchange, store, host, reason, request
):
    url = {"closed": lambda: f"http://127.0.0.1:{free_port()}",
           "overloaded": lambda: request.getfixturevalue("overloaded_host"),
           "silent": lambda: request.getfixturevalue("silent_host")}[host]()  # fmt: skip
    session = requests.Session()
    archive = ArchiveClient(url, session, sleep=lambda s: None, timeout_s=(1.0, 0.5))
    pager = KlinePager(BinanceClient(exchange.url, session, sleep=lambda s: None), store,
                       concurrency=4, clock_ms=lambda: int(time.time() * 1000),
                       archive=archive)  # fmt: skip
    start, end = MAR_24_2023 - 2 * DAY_MS, MAR_24_2023 + DAY_MS  # three whole archive days
    report = pager.run(BTC_1M, start, end, lambda r: None)
    # The three days are paged as one stretch in full pages: 4,320 minutes in 5, not 2 a day.
    assert report.archive_files == 0 and report.archive_fallbacks == 3 and report.rest_pages == 5
    assert report.warnings == [
        f"3 archive files could not be used (archive unreachable: {reason}); "
        "paged from the REST API instead"
    ]
    assert _stored(store, start, end) == _expected(start, end)


def test_the_archive_client_says_why_a_host_is_unusable(overloaded_host):
    client = ArchiveClient(overloaded_host, requests.Session(), sleep=lambda s: None)
    with pytest.raises(ArchiveUnavailable) as info:
        client.rows("/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-03-24.zip")
    assert info.value.reason == "HTTP 503" and info.value.code == "unavailable"
