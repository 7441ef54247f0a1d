"""The plausibility check on every ingested page, and the archive checksums the pager records:
the pager against a sandbox exchange of its own over HTTP, on the real store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from cl3_common.exchange import BinanceClient
from cl3_common.store import SeriesKey, Stores
from cl3_sandbox.exchange import PageCorruption, SandboxConfig, SandboxExchange, expected_klines
from cl3_worker.archive import ArchiveClient
from cl3_worker.fetch_ledger import fetch_records
from cl3_worker.page_check import RejectedPage
from cl3_worker.pager import KlinePager
from cl3_worker.pager_report import PagerReport

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
JAN_2024 = 1_704_067_200_000
BTC_1M = SeriesKey("BTCUSDT", "1m")


@pytest.fixture
def sandbox() -> Iterator[SandboxExchange]:
    """A private exchange: corruptions and re-uploads stay out of other tests."""
    with SandboxExchange(SandboxConfig()) as ex:
        yield ex


def _pager(ex: SandboxExchange, stores: Stores, *, archive: bool = False) -> KlinePager:
    session = requests.Session()
    return KlinePager(
        BinanceClient(ex.url, session, sleep=lambda s: None),
        stores.candles,
        concurrency=4,
        clock_ms=lambda: int(time.time() * 1000),
        archive=ArchiveClient(ex.url, session, sleep=lambda s: None) if archive else None,
        archive_files=stores.archive_files,
    )


def _stored_times(stores: Stores, start: int, end: int) -> list[int]:
    return stores.candles.open_times(BTC_1M, start, end)


@pytest.mark.parametrize("fault", ["high_below_low", "negative_volume", "off_grid",
                                   "bad_time_unit"])  # fmt: skip
def test_a_corrupt_rest_page_is_asked_twice_and_none_of_it_is_stored(sandbox, stores, fault):
    # Three REST pages of 1000 minutes; three candles in the middle page are corrupt.
    start, end = JAN_2024, JAN_2024 + 3000 * MIN
    bad = JAN_2024 + 1500 * MIN
    sandbox.corrupt_klines(PageCorruption("BTCUSDT", "1m", bad, bad + 2 * MIN, fault))
    before = sandbox.stats()["klines_requests"]
    report = _pager(sandbox, stores).run(BTC_1M, start, end, lambda r: None)
    assert sandbox.stats()["klines_requests"] - before == 4  # the middle page twice
    (rejected,) = report.rejected_pages
    assert (rejected.start_ms, rejected.end_ms, rejected.source) == (
        JAN_2024 + 1000 * MIN,
        JAN_2024 + 2000 * MIN,
        "rest",
    )
    assert rejected.problems and all(isinstance(p, str) for p in rejected.problems)
    assert rejected.error["code"] == "implausible_data"
    # Not one candle of the rejected page is stored, the pages around it are whole.
    stored = _stored_times(stores, start, end)
    assert stored == [t for t in range(start, end, MIN)
                      if not JAN_2024 + 1000 * MIN <= t < JAN_2024 + 2000 * MIN]  # fmt: skip
    assert report.candles_written == 2000 and report.pages_done == report.pages_total == 3
    assert sorted(report.stored_spans) == [(start, start + 1000 * MIN), (start + 2000 * MIN, end)]


def test_what_each_fault_is_called(sandbox, stores):
    start = JAN_2024
    problems = {}
    for fault in ("high_below_low", "negative_volume", "off_grid", "bad_time_unit"):
        sandbox.clear_quality_fixtures()
        sandbox.corrupt_klines(PageCorruption("BTCUSDT", "1m", start, start, fault))
        report = _pager(sandbox, stores).run(BTC_1M, start, start + 10 * MIN, lambda r: None)
        problems[fault] = " ".join(report.rejected_pages[0].problems)
    assert "high below open or close" in problems["high_below_low"]
    assert "negative volume" in problems["negative_volume"]
    assert "not on the 1m grid" in problems["off_grid"]
    assert "in seconds instead of milliseconds" in problems["bad_time_unit"]
    assert _stored_times(stores, start, start + 10 * MIN) == []


def test_a_page_corrupt_once_is_stored_from_the_second_answer(sandbox, stores):
    start, end = JAN_2024, JAN_2024 + 100 * MIN
    good = expected_klines("BTCUSDT", "1m", start, end - 1, now_ms=end + DAY)
    broken = [list(k) for k in good]
    broken[5][2] = str(float(broken[5][3]) - 1)  # high below low, once (an edge server's fault)
    sandbox.inject(200, body=json.dumps(broken).encode())
    report = _pager(sandbox, stores).run(BTC_1M, start, end, lambda r: None)
    assert sandbox.stats()["faults_injected"] == 1  # the broken answer was served, then
    assert report.rejected_pages == []
    assert report.candles_written == 100
    stored = stores.candles.read(BTC_1M, start, end)
    assert [r[3] for r in stored] == [float(k[2]) for k in good]  # the sound highs


def test_an_implausible_archive_file_is_paged_from_rest(sandbox, stores):
    day = JAN_2024 + 9 * DAY
    name = "BTCUSDT-1m-2024-01-10.zip"
    rows = expected_klines("BTCUSDT", "1m", day, day + DAY - 1, now_ms=day + 2 * DAY)
    sandbox.reupload_archive(name, {day + 60 * MIN: {"volume": -5.0}})  # checksum still matches
    report = _pager(sandbox, stores, archive=True).run(BTC_1M, day, day + DAY, lambda r: None)
    assert report.archive_files == 0 and report.archive_fallbacks == 1
    assert report.rest_pages == 2 and report.rejected_pages == []
    assert report.warnings == ["1 archive file could not be used (implausible candles); "
                               "paged from the REST API instead"]  # fmt: skip
    stored = stores.candles.read(BTC_1M, day, day + DAY)
    assert [r[6] for r in stored] == [float(k[5]) for k in rows]  # REST's sound volumes
    assert stores.archive_files.get(f"/data/spot/daily/klines/BTCUSDT/1m/{name}") is None


def test_the_checksum_of_every_stored_archive_file_is_recorded(sandbox, stores):
    start = JAN_2024 + 3 * DAY
    before = int(time.time() * 1000)
    report = _pager(sandbox, stores, archive=True).run(BTC_1M, start, start + 2 * DAY,
                                                       lambda r: None)  # fmt: skip
    assert report.archive_files == 2
    for day in ("04", "05"):
        path = f"/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-{day}.zip"
        recorded = stores.archive_files.get(path)
        published = requests.get(f"{sandbox.url}{path}.CHECKSUM", timeout=10).text.split()[0]
        assert recorded is not None and recorded["sha256"] == published
        assert recorded["rows"] == 1440 and recorded["loaded_at"] >= before


def test_the_ledger_records_of_a_fetch():
    report = PagerReport(
        pages_total=3,
        stored_spans=[(0, 10), (20, 30)],
        rejected_pages=[RejectedPage(10, 20, "rest", ("negative volume",))],
    )
    ok = fetch_records(0, 40, report, at_ms=5)
    assert [(r.start_ms, r.end_ms, r.outcome) for r in ok] == [
        (0, 40, "complete"),
        (10, 20, "failed"),
    ]
    error = {"code": "exchange_rejected", "message": "no"}
    failed = fetch_records(0, 40, report, at_ms=5, error=error)
    assert [(r.start_ms, r.end_ms, r.outcome) for r in failed] == [
        (0, 40, "failed"),
        (0, 10, "complete"),
        (20, 30, "complete"),
        (10, 20, "failed"),
    ]
    assert failed[0].error == error and failed[-1].error is not None
    assert failed[-1].error["code"] == "implausible_data"
    assert "negative volume" in failed[-1].error["message"]
    assert [r.outcome for r in fetch_records(0, 40, None, at_ms=5, error=error)] == ["failed"]
    assert fetch_records(5, 5, None, at_ms=5) == []
