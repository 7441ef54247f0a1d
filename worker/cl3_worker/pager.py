"""Pages a [start, end) range of klines from the exchange into the store, several in flight.

Work is planned on the interval grid (see plan.py); units already complete in the store are
skipped, so a re-run or a retry after a crash resumes instead of starting over. Only closed
candles are written. Progress is reported after every unit. Pacing is the client's job: its
gate reserves request weight from the budget shared by every worker.

The archive is a shortcut, never a requirement: a file that is missing, corrupt (checksum) or
cannot be downloaded (connection refused, timeout, 5xx) is paged from the REST API instead,
with a warning in the report. After a transport failure the archive is not tried again in this
run (one dead host costs one file's retries, not one per file). Only the exchange's own refusal
of a REST request (ExchangeRejected: -1121, -1120, ...) fails the fetch.

Every page passes a plausibility check before any of it is stored (page_check.py): a page
that fails is asked for once more; a REST page that fails again is rejected (reported, not
stored), an archive file that fails again is paged from REST. The checksum of every archive
file stored is recorded (`ArchiveFileStore`), so an audit can tell a re-uploaded file.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from cl3_common.exchange.client import KLINES_LIMIT, BinanceClient
from cl3_common.store import Row, SeriesKey
from cl3_common.store.protocols import ArchiveFileStore
from cl3_worker.archive import (
    ArchiveClient,
    ArchiveFile,
    ArchiveUnavailable,
    CorruptArchive,
)
from cl3_worker.page_check import ImplausiblePage, RejectedPage, checked_file, checked_rest_rows
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
    # Why archive files were paged from REST instead (missing files are not counted here).
    archive_problems: Counter[str] = field(default_factory=Counter)
    # REST pages that failed the plausibility check twice: not stored.
    rejected_pages: list[RejectedPage] = field(default_factory=list)
    # [start, end) of the units stored by this run (rejected pages excluded).
    stored_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"{n} archive file{'s' if n > 1 else ''} could not be used ({reason}); "
            "paged from the REST API instead"
            for reason, n in self.archive_problems.items()
        ]


ProgressCallback = Callable[[PagerReport], None]


class ArchiveFallback(Exception):
    """An archive unit to page from REST instead; `reason` is None for a missing file."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "not in the archive")
        self.reason = reason


class KlinePager:
    def __init__(
        self,
        exchange: BinanceClient,
        candles: CandleSink,
        *,
        concurrency: int,
        clock_ms: Callable[[], int],
        archive: ArchiveClient | None = None,
        archive_files: ArchiveFileStore | None = None,
    ) -> None:
        self._exchange = exchange
        self._candles = candles
        self._concurrency = max(1, concurrency)
        self._clock_ms = clock_ms
        self._archive = archive
        self._archive_files = archive_files
        self._archive_down: str | None = None  # why the archive host is not tried again
        self._loaded: dict[str, tuple[str, int]] = {}  # archive path -> (sha256, rows)
        self.report: PagerReport | None = None  # the last run's, also when it raised

    def run(
        self, key: SeriesKey, start_ms: int, end_ms: int, on_progress: ProgressCallback
    ) -> PagerReport:
        units = plan_units(
            key.symbol, key.interval, start_ms, end_ms,
            now_ms=self._clock_ms(), use_archive=self._archive is not None,
        )  # fmt: skip
        todo = deque(incomplete_units(units, self._candles.open_times(key, start_ms, end_ms)))
        report = PagerReport(pages_total=len(units), pages_skipped=len(units) - len(todo))
        self.report = report
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
                    units, rows = self._collect(done, pending, todo, report, key.interval)
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
        """The finished units and their rows; archive units that could not be used go back as
        REST pages."""
        units: list[Unit] = []
        rows: list[Row] = []
        for future in done:
            unit = pending.pop(future)
            try:
                rows.extend(future.result())
            except ImplausiblePage as rejected:
                report.rejected_pages.append(rejected.page)
                report.pages_done += 1
                continue
            except ArchiveFallback as fallback:
                # Not (yet) in the archive, corrupt twice, or unreachable: page it from REST.
                pages = rest_pages(unit.start_ms, unit.end_ms, interval)
                todo.extendleft(reversed(pages))
                report.pages_total += len(pages) - 1
                report.archive_fallbacks += 1
                if fallback.reason:
                    report.archive_problems[fallback.reason] += 1
                continue
            units.append(unit)
        return units, rows

    def _store(
        self, key: SeriesKey, units: list[Unit], rows: list[Row], report: PagerReport
    ) -> None:
        report.candles_written += self._candles.insert(key, rows)
        report.candles_received += len(rows)
        report.pages_done += len(units)
        report.stored_spans.extend((u.start_ms, u.end_ms) for u in units)
        archived = [u.archive_path for u in units if u.archive_path]
        report.archive_files += len(archived)
        report.rest_pages += len(units) - len(archived)
        self._record_files(archived)

    def _record_files(self, paths: list[str]) -> None:
        """The checksum of each stored archive file, as it was when loaded."""
        for path in paths:
            sha256, rows = self._loaded.pop(path)
            if self._archive_files is not None:
                self._archive_files.record(path, sha256, rows=rows, at_ms=self._clock_ms())

    def _fetch(self, key: SeriesKey, unit: Unit) -> list[Row]:
        """The unit's closed candles as stored rows (converted and checked here, in parallel)."""
        now_ms = self._clock_ms()
        if unit.archive_path:
            stored = self._archive_rows(key, unit, unit.archive_path)
        else:
            stored = self._rest_rows(key, unit)
        return [row for row in stored if unit.start_ms <= row[0] < unit.end_ms and row[1] < now_ms]

    def _rest_rows(self, key: SeriesKey, unit: Unit) -> list[Row]:
        def fetch() -> list[list[Any]]:
            return self._exchange.klines(
                key.symbol, key.interval, unit.start_ms, unit.end_ms - 1, limit=KLINES_LIMIT
            )

        return checked_rest_rows(fetch, key, unit.start_ms, unit.end_ms)

    def _archive_rows(self, key: SeriesKey, unit: Unit, path: str) -> list[Row]:
        try:
            loaded = checked_file(lambda: self._archive_file(path), key, path, unit.start_ms)
        except ImplausiblePage:
            raise ArchiveFallback("implausible candles") from None
        if loaded is None:
            raise ArchiveFallback(None)
        self._loaded[path] = (loaded.sha256, len(loaded.rows))
        return loaded.rows

    def _archive_file(self, path: str) -> ArchiveFile | None:
        if self._archive is None or self._archive_down:
            raise ArchiveFallback(self._archive_down or "no archive configured")
        try:
            loaded = self._archive.load(path)
        except CorruptArchive as e:
            log.warning("archive %s: %s (twice); using the REST API", path, e)
            raise ArchiveFallback(str(e)) from None
        except (ArchiveUnavailable, OSError, ValueError) as e:
            # Any failure to download or read it: the REST API has the same candles.
            reason = getattr(e, "reason", None) or type(e).__name__
            self._archive_down = f"archive unreachable: {reason}"
            log.warning("archive %s: %s; paging from the REST API instead", path, e)
            raise ArchiveFallback(self._archive_down) from None
        return loaded
