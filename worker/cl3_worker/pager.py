"""Pages a [start, end) range of klines from the exchange into the store, several in flight.

Work is planned on the interval grid (see plan.py); units already complete in the store are
skipped, so a re-run or a retry after a crash resumes instead of starting over. Only closed
candles are written. Progress is reported after every unit. Pacing is the client's job: its
gate reserves request weight from the budget shared by every worker.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from cl3_common.exchange.client import KLINES_LIMIT, BinanceClient
from cl3_common.store import Row, SeriesKey, kline_to_row
from cl3_worker.archive import ArchiveClient, CorruptArchive
from cl3_worker.plan import Unit, incomplete_units, plan_units, rest_pages

log = logging.getLogger("cl3.worker.pager")


class CandleSink(Protocol):
    """The part of the candle store the pager writes to (a benchmark can discard instead)."""

    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int: ...
    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> Iterable[int]: ...


@dataclass
class PagerReport:
    pages_total: int
    pages_skipped: int = 0
    pages_done: int = 0
    rest_pages: int = 0
    archive_files: int = 0
    archive_fallbacks: int = 0
    candles_written: int = 0
    candles_received: int = 0


ProgressCallback = Callable[[PagerReport], None]


class KlinePager:
    def __init__(
        self,
        exchange: BinanceClient,
        candles: CandleSink,
        *,
        concurrency: int,
        clock_ms: Callable[[], int],
        archive: ArchiveClient | None = None,
    ) -> None:
        self._exchange = exchange
        self._candles = candles
        self._concurrency = max(1, concurrency)
        self._clock_ms = clock_ms
        self._archive = archive

    def run(
        self, key: SeriesKey, start_ms: int, end_ms: int, on_progress: ProgressCallback
    ) -> PagerReport:
        symbol, interval = key.symbol, key.interval
        units = plan_units(
            symbol, interval, start_ms, end_ms,
            now_ms=self._clock_ms(), use_archive=self._archive is not None,
        )  # fmt: skip
        todo = deque(incomplete_units(units, self._candles.open_times(key, start_ms, end_ms)))
        report = PagerReport(pages_total=len(units), pages_skipped=len(units) - len(todo))
        report.pages_done = report.pages_skipped
        on_progress(report)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="cl3-page") as pool:
            pending: dict[Future[list[Row]], Unit] = {}

            def keep_busy() -> None:
                while todo and len(pending) < self._concurrency:
                    unit = todo.popleft()
                    pending[pool.submit(self._fetch, key, unit)] = unit

            try:
                while todo or pending:
                    keep_busy()
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    units, rows = self._collect(done, pending, todo, report, interval)
                    # Fetchers stay busy while this thread writes. One writer: the database
                    # sees sequential bulk inserts, one per batch of pages that finished
                    # together, instead of competing ones.
                    keep_busy()
                    if units:
                        self._store(key, units, rows, report)
                        on_progress(report)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return report

    @staticmethod
    def _collect(
        done: set[Future[list[Row]]],
        pending: dict[Future[list[Row]], Unit],
        todo: deque[Unit],
        report: PagerReport,
        interval: str,
    ) -> tuple[list[Unit], list[Row]]:
        """The finished units and their rows; units the archive lacks go back as REST pages."""
        units: list[Unit] = []
        rows: list[Row] = []
        for future in done:
            unit = pending.pop(future)
            try:
                rows.extend(future.result())
            except _ArchiveMissing:
                # Not (yet) in the archive, or corrupt twice: page it from REST.
                fallback = rest_pages(unit.start_ms, unit.end_ms, interval)
                todo.extendleft(reversed(fallback))
                report.pages_total += len(fallback) - 1
                report.archive_fallbacks += 1
                continue
            units.append(unit)
        return units, rows

    def _store(
        self, key: SeriesKey, units: list[Unit], rows: list[Row], report: PagerReport
    ) -> None:
        report.candles_written += self._candles.insert(key, rows)
        report.candles_received += len(rows)
        report.pages_done += len(units)
        archived = sum(1 for u in units if u.archive_path)
        report.archive_files += archived
        report.rest_pages += len(units) - archived

    def _fetch(self, key: SeriesKey, unit: Unit) -> list[Row]:
        """The unit's closed candles as stored rows (converted here, in parallel)."""
        now_ms = self._clock_ms()
        if unit.archive_path:
            assert self._archive is not None
            try:
                stored = self._archive.rows(unit.archive_path)
            except CorruptArchive:
                log.warning("corrupt archive %s (twice); using the REST API", unit.archive_path)
                raise _ArchiveMissing() from None
            if stored is None:
                raise _ArchiveMissing()
        else:
            klines = self._exchange.klines(
                key.symbol, key.interval, unit.start_ms, unit.end_ms - 1, limit=KLINES_LIMIT
            )
            stored = [kline_to_row(k) for k in klines]
        return [row for row in stored if unit.start_ms <= row[0] < unit.end_ms and row[1] < now_ms]


class _ArchiveMissing(Exception):
    pass
