"""The fetch job's writer process: the candles it is handed land in the store exactly once,
on either backend, and its failures come back as our own errors."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import numpy as np
import pytest
import requests

from cl3_common.errors import PermanentError, Unavailable
from cl3_common.exchange import BinanceClient
from cl3_common.observability.tally import begin_tally, end_tally
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, Stores, kline_to_row, open_stores
from cl3_sandbox.exchange import expected_klines
from cl3_worker.archive import ArchiveClient
from cl3_worker.page_check import rest_columns
from cl3_worker.pager import KlinePager
from cl3_worker.writer_process import WriterProcess, as_arrays

START = 1_704_067_200_000
MINUTE = 60_000
DAY = 1440 * MINUTE
KEY = SeriesKey("BTCUSDT", "1m")


def _pages(n_pages: int, size: int = 1000) -> list[tuple]:
    end = START + n_pages * size * MINUTE
    klines = expected_klines("BTCUSDT", "1m", START, end - 1, now_ms=end + MINUTE)
    return [as_arrays(rest_columns(klines[i : i + size])[0]) for i in range(0, len(klines), size)]


def _rows(n_pages: int, size: int = 1000) -> list[tuple]:
    end = START + n_pages * size * MINUTE
    return [kline_to_row(k) for k in expected_klines("BTCUSDT", "1m", START, end - 1,
                                                     now_ms=end + MINUTE)]  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "mongodb"])
def test_columns_are_stored_once_exactly(backend: str, env: dict, mongo_env: dict) -> None:
    settings = Settings.from_env(mongo_env if backend == "mongodb" else env)
    stores: Stores = open_stores(settings)
    try:
        pages = _pages(3)
        with WriterProcess(settings, stores.candles) as writer:
            assert writer.insert_columns(KEY, pages[:2]) == 2000
            assert writer.insert_columns(KEY, pages) == 1000  # the first two are there
            assert list(writer.open_times(KEY, START, START + 3 * MINUTE)) == [
                START, START + MINUTE, START + 2 * MINUTE,
            ]  # fmt: skip
        assert stores.candles.read(KEY, START, START + 3000 * MINUTE) == _rows(3)
    finally:
        stores.close()


def test_writes_are_pipelined_and_answered_in_order(settings: Settings, stores: Stores) -> None:
    pages = _pages(12)
    with WriterProcess(settings, stores.candles) as writer:
        # More batches than may be in flight: `submit` waits for the oldest answers itself.
        for i, page in enumerate(pages):
            writer.submit(KEY, [page], tag=f"batch-{i}")
        writer.submit(KEY, pages[:2], tag="again")  # stored already: nothing new
        done = writer.completed()
        done += writer.completed(wait=True)
        assert writer.completed(wait=True) == []
    assert done == [(f"batch-{i}", 1000) for i in range(12)] + [("again", 0)]
    assert stores.candles.bounds(KEY).count == 12_000


def test_a_refused_write_fails_with_its_own_error_and_the_rest_still_land(
    settings: Settings, stores: Stores
) -> None:
    pages = _pages(2)
    broken = tuple(np.array([]) if i == 3 else col for i, col in enumerate(pages[1]))
    with WriterProcess(settings, stores.candles) as writer:
        writer.submit(KEY, [pages[0]], tag="first")
        writer.submit(KEY, [broken], tag="broken")  # one column short: no row can be built
        writer.submit(KEY, [pages[1]], tag="third")
        with pytest.raises(PermanentError, match="ValueError"):
            writer.completed(wait=True)
        assert writer.completed(wait=True) == [("first", 1000), ("third", 1000)]
    assert stores.candles.bounds(KEY).count == 2000


def test_the_childs_writes_are_counted_in_this_process(settings: Settings, stores: Stores) -> None:
    counted = begin_tally()
    try:
        with WriterProcess(settings, stores.candles) as writer:
            writer.insert_columns(KEY, _pages(2))
            writer.insert_columns(KEY, _pages(1))  # nothing new
    finally:
        end_tally()
    assert (counted.candles_stored, counted.store_calls) == (2000, 2)
    assert counted.store_s > 0


@pytest.mark.parametrize("archive", [False, True], ids=["rest", "archive"])
def test_the_pager_through_a_writer_stores_what_the_exchange_served(
    exchange, settings: Settings, stores: Stores, archive: bool
) -> None:
    key = SeriesKey("BTCUSDT", "1m")
    start, end = START + 22 * 60 * MINUTE, START + 3 * DAY + 3 * 60 * MINUTE
    session = requests.Session()
    with WriterProcess(settings, stores.candles) as writer:
        pager = KlinePager(
            BinanceClient(exchange.url, session, sleep=lambda s: None), writer, concurrency=4,
            clock_ms=lambda: int(time.time() * 1000),
            archive=ArchiveClient(exchange.url, session, sleep=lambda s: None) if archive else None,
            archive_files=stores.archive_files,
        )  # fmt: skip
        seen: list[int] = []
        report = pager.run(key, start, end, lambda r: seen.append(r.pages_done))
    want = [kline_to_row(k) for k in expected_klines("BTCUSDT", "1m", start, end - 1,
                                                     now_ms=end + 400 * DAY)]  # fmt: skip
    assert stores.candles.read(key, start, end) == want
    assert (report.candles_written, report.candles_received) == (len(want), len(want))
    assert report.pages_done == report.pages_total and seen[-1] == report.pages_total
    covered = sum(b - a for a, b in report.stored_spans)
    assert covered == end - start
    if archive:  # two whole days from files, recorded with their checksums once stored
        assert (report.archive_files, report.rest_pages) == (2, 2)
        assert len(stores.archive_files.page()) == 2
    else:
        assert (report.archive_files, report.rest_pages) == (0, -(-len(want) // 1000))


def test_a_writer_that_died_is_an_outage(settings: Settings, stores: Stores) -> None:
    with WriterProcess(settings, stores.candles) as writer:
        os.kill(writer._process.pid, signal.SIGKILL)
        writer._process.join(timeout=10)
        with pytest.raises(Unavailable, match="writer process ended"):
            writer.insert_columns(KEY, _pages(1))


def _hold_a_writer(settings: Settings, report) -> None:
    stores = open_stores(settings)
    with WriterProcess(settings, stores.candles) as writer:
        writer.insert_columns(KEY, _pages(1))
        report.send(writer._process.pid)
        time.sleep(600)  # until killed


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # exited, unreaped
    except FileNotFoundError:
        return True


def test_the_writer_ends_when_the_jobs_process_is_killed(settings: Settings) -> None:
    """A work horse killed by SIGKILL (a lost worker, a job timeout) leaves no writer behind."""
    fork = multiprocessing.get_context("fork")
    receive, report = fork.Pipe(duplex=False)
    horse = fork.Process(target=_hold_a_writer, args=(settings, report))
    horse.start()
    try:
        assert receive.poll(30), "the writer did not start"
        writer_pid = receive.recv()
        assert not _ended(writer_pid)
    finally:
        os.kill(horse.pid, signal.SIGKILL)
        horse.join(10)
    deadline = time.monotonic() + 10
    while not _ended(writer_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(writer_pid)


def test_an_unreachable_store_is_retryable(settings: Settings, stores: Stores, tmp_path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the store's directory should be")
    broken = settings.model_copy(update={"SQLITE_PATH": str(blocked / "cl3.sqlite3")})
    with WriterProcess(broken, stores.candles) as writer:
        with pytest.raises(Unavailable):
            writer.insert_columns(KEY, _pages(1))
        with pytest.raises(Unavailable):  # asked again, it tries again
            writer.insert_columns(KEY, _pages(1))
