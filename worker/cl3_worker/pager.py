"""Pages a [start, end) range of klines from the exchange into the store, several in flight.

Work is planned on the interval grid (see plan.py) in two phases: first the archive files
(whole past days and months), then full REST pages over everything the archive did not
cover, including files it turned out not to have. Units already complete in the store are
skipped, so a re-run or a retry after a crash resumes instead of starting over. Only closed
candles are written. Progress is reported after every unit. Pacing is the client's job: its
gate reserves request weight from the budget its market's host shares with every worker.

The archive is a shortcut, never a requirement, while REST serves the symbol: a file that is
missing, corrupt (checksum) or cannot be downloaded (connection refused, timeout, 5xx) is paged
from the REST API instead, with a warning in the report. After a transport failure the
archive is not tried again in this run (one dead host costs one file's retries, not one per
file). Only the exchange's own refusal of a REST request (ExchangeRejected: -1121, -1120, ...)
fails the fetch. For a symbol REST no longer serves the archive is all there is: a file it
lacks is reported, and an archive host that cannot be reached is an outage (retried).

Every page passes a plausibility check before any of it is stored (page_check.py): a page
that fails is asked for once more; a REST page that fails again is rejected (reported, not
stored), an archive file that fails again is paged from REST (rejected when REST does not
serve the symbol). The checksum of every archive file stored is recorded
(`ArchiveFileStore`), so an audit can tell a re-uploaded file.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol, cast

from cl3_common.errors import CL3Error, InvalidSymbol
from cl3_common.exchange.client import BinanceClient
from cl3_common.observability import record
from cl3_common.store import Row, SeriesKey
from cl3_common.store.protocols import ArchiveFileStore
from cl3_worker.archive import ArchiveClient, ArchiveFile, ArchiveUnavailable, CorruptArchive
from cl3_worker.page_check import (
    ImplausiblePage,
    checked_file,
    checked_rest_columns,
    checked_rest_rows,
)
from cl3_worker.pager_report import PagerReport, ProgressCallback, StoredBatch
from cl3_worker.plan import Unit, archive_units, incomplete_units, rest_units, uncovered
from cl3_worker.writer_process import PageColumns, as_arrays

log = logging.getLogger("cl3.worker.pager")

# Archive files in flight at once. A file is mostly parsing (a month of 1m: ~0.1 s of pandas
# on the GIL), so more at once only makes every file finish later: with 12 in flight a year's
# first file reached the writer after ~1 s and the writes ran after the downloads instead of
# alongside them. Four still overlap the downloads' latency.
ARCHIVE_FILES_IN_FLIGHT = 4


class CandleSink(Protocol):
    """The part of the candle store the pager writes to (a benchmark can discard instead)."""

    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int: ...
    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> Iterable[int]: ...


class ColumnSink(CandleSink, Protocol):
    """A sink that takes pages as numpy columns and writes behind the pager
    (cl3_worker.writer_process): a batch counts as stored once `completed` hands it back."""

    def submit(self, key: SeriesKey, pages: Sequence[PageColumns], tag: object) -> None: ...
    def completed(self, *, wait: bool = False) -> list[tuple[object, int]]: ...


class ArchiveFallback(Exception):
    """An archive unit the archive could not give; `reason` is None for a missing file."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "not in the archive")
        self.reason = reason


@dataclass
class _Plan:
    """A run's units: archive files and REST pages, and those the store does not hold yet."""

    files: list[Unit]
    pages: list[Unit]
    stored: list[int]  # open times stored in the range when the run began
    file_todo: list[Unit]
    page_todo: list[Unit]

    @property
    def files_skipped(self) -> int:
        return len(self.files) - len(self.file_todo)


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
        # A sink that takes numpy columns (WriterProcess) gets them: no rows built here.
        self._columnar = hasattr(candles, "submit")
        self._concurrency = max(1, concurrency)
        self._clock_ms = clock_ms
        self._archive = archive
        self._archive_files = archive_files
        self._archive_down: str | None = None  # why the archive host is not tried again
        self._use_rest = True
        self._loaded: dict[str, tuple[str, int]] = {}  # archive path -> (sha256, rows)
        self.report: PagerReport | None = None  # the last run's, also when it raised

    def run(
        self,
        key: SeriesKey,
        start_ms: int,
        end_ms: int,
        on_progress: ProgressCallback,
        *,
        use_rest: bool = True,
    ) -> PagerReport:
        """`use_rest=False`: the REST API does not serve the symbol (delisted); the archive's
        files, partial ones at the ends included, are all there is."""
        self._use_rest, self._archive_down = use_rest, None
        plan = self._plan(key, start_ms, end_ms)
        report = self.report = PagerReport(pages_total=len(plan.files) + len(plan.pages))
        report.pages_skipped = plan.files_skipped + len(plan.pages) - len(plan.page_todo)
        report.pages_done = report.pages_skipped
        on_progress(report)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="cl3-page") as pool:
            missing = self._run_units(
                pool,
                key,
                plan.file_todo,
                report,
                on_progress,
                in_flight=min(self._concurrency, ARCHIVE_FILES_IN_FLIGHT),
            )
            if missing and use_rest:
                self._page_instead(key, start_ms, end_ms, plan, missing, report)
            elif missing:
                self._archive_lacks(key, plan, missing, report)
            self._run_units(
                pool, key, plan.page_todo, report, on_progress, in_flight=self._concurrency
            )
        return report

    def _plan(self, key: SeriesKey, start_ms: int, end_ms: int) -> _Plan:
        now_ms = self._clock_ms()
        files: list[Unit] = []
        if self._archive is not None:
            files = archive_units(key, start_ms, end_ms, now_ms=now_ms, edges=not self._use_rest)
        if not self._use_rest and not files:
            raise InvalidSymbol(f"{key.label()}: the exchange does not list {key.symbol} and "
                                "the archive has no complete day of it in the range")  # fmt: skip
        stored = list(self._candles.open_times(key, start_ms, end_ms))
        pages = self._rest_plan(key, start_ms, end_ms, files) if self._use_rest else []
        return _Plan(files, pages, stored, incomplete_units(files, stored),
                     incomplete_units(pages, stored))  # fmt: skip

    def _page_instead(
        self,
        key: SeriesKey,
        start_ms: int,
        end_ms: int,
        plan: _Plan,
        missing: list[Unit],
        report: PagerReport,
    ) -> None:
        """Files the archive lacks join the REST stretches around them, paged in full."""
        paths = [u.archive_path for u in missing]
        record.fallback(  # ops: a WARNING, and cl3_fallbacks_total per file
            "archive_to_rest",
            f"{key.label()}: {len(missing)} archive files missing or corrupt "
            f"({', '.join(str(p) for p in paths)}); paging them from REST",
            count=len(missing), paths=paths,
        )  # fmt: skip
        kept = [u for u in plan.files if u not in missing]
        pages = self._rest_plan(key, start_ms, end_ms, kept)
        plan.page_todo = incomplete_units(pages, plan.stored)
        report.archive_fallbacks += len(missing)
        report.pages_total = len(kept) + len(pages)
        report.pages_skipped = plan.files_skipped + len(pages) - len(plan.page_todo)
        report.pages_done = len(kept) + len(pages) - len(plan.page_todo)

    @staticmethod
    def _archive_lacks(
        key: SeriesKey, plan: _Plan, missing: list[Unit], report: PagerReport
    ) -> None:
        """Files lacking where the archive is the only source: reported, nothing more to get."""
        if len(missing) == len(plan.file_todo) and not plan.files_skipped:
            raise InvalidSymbol(f"{key.label()}: the exchange does not list {key.symbol} and "
                                "the archive has none of its files in the range")  # fmt: skip
        report.archive_missing += len(missing)
        report.pages_done += len(missing)

    def _rest_plan(self, key: SeriesKey, start: int, end: int, files: list[Unit]) -> list[Unit]:
        market = self._exchange.market
        return rest_units(key.interval, uncovered(start, end, files), limit=market.page_limit,
                          max_span_ms=market.max_span_ms)  # fmt: skip

    def _run_units(
        self,
        pool: ThreadPoolExecutor,
        key: SeriesKey,
        units: list[Unit],
        report: PagerReport,
        on_progress: ProgressCallback,
        *,
        in_flight: int,
    ) -> list[Unit]:
        """Fetch and store the units; returns the archive units the archive could not give."""
        todo, missing = deque(units), []
        pending: dict[Future[list[Any]], Unit] = {}

        def keep_busy() -> None:
            while todo and len(pending) < in_flight:
                unit = todo.popleft()
                pending[pool.submit(self._fetch, key, unit)] = unit

        try:
            while todo or pending:
                keep_busy()
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                finished: list[Unit] = []
                rows: list[Any] = []  # rows, or the pages' columns for a columnar sink
                for future in done:
                    unit = pending.pop(future)
                    try:
                        rows.extend(future.result())
                    except ImplausiblePage as rejected:
                        report.rejected_pages.append(rejected.page)
                        report.pages_done += 1
                        continue
                    except ArchiveFallback as fallback:
                        missing.append(unit)
                        if fallback.reason:
                            report.archive_problems[fallback.reason] += 1
                        continue
                    finished.append(unit)
                # Fetchers stay busy while this thread writes. One writer: the database sees
                # sequential bulk inserts, one per batch of pages that finished together,
                # instead of competing ones.
                keep_busy()
                if finished:
                    self._store(key, finished, rows, report)
                    on_progress(report)
            if self._columnar:
                self._account(cast(ColumnSink, self._candles).completed(wait=True), report)
                on_progress(report)
        except BaseException:
            for future in pending:
                future.cancel()
            self._account_stored(report)
            raise
        return sorted(missing, key=lambda u: u.start_ms)

    def _store(
        self, key: SeriesKey, units: list[Unit], rows: list[Any], report: PagerReport
    ) -> None:
        if self._columnar:  # written behind: counted when the writer says it is stored
            sink = cast(ColumnSink, self._candles)
            sink.submit(key, rows, StoredBatch(units, sum(len(page[0]) for page in rows)))
            self._account(sink.completed(), report)
        else:
            self._account(
                [(StoredBatch(units, len(rows)), self._candles.insert(key, rows))], report
            )

    def _account(self, writes: list[tuple[object, int]], report: PagerReport) -> None:
        for batch, written in writes:
            assert isinstance(batch, StoredBatch)
            self._record_files(report.count_stored(batch, written))

    def _account_stored(self, report: PagerReport) -> None:
        """On the way out of a failed run: the writes that did land are reported stored (the
        ledger marks them complete); the run's own error is the one raised."""
        if self._columnar:
            with suppress(CL3Error):
                self._account(cast(ColumnSink, self._candles).completed(wait=True), report)

    def _record_files(self, paths: list[str]) -> None:
        """The checksum of each stored archive file, as it was when loaded."""
        for path in paths:
            sha256, rows = self._loaded.pop(path)
            if self._archive_files is not None:
                self._archive_files.record(path, sha256, rows=rows, at_ms=self._clock_ms())

    def _fetch(self, key: SeriesKey, unit: Unit) -> list[Any]:
        """The unit's closed candles as stored rows, or as one page of columns for a columnar
        sink (converted and checked here, in parallel)."""
        now_ms = self._clock_ms()
        if self._columnar:
            columns = self._columns(key, unit)
            opens, closes = columns[0], columns[1]
            keep = (opens >= unit.start_ms) & (opens < unit.end_ms) & (closes < now_ms)
            return [tuple(column[keep] for column in columns)]
        if unit.archive_path:
            stored = self._archive_loaded(key, unit, unit.archive_path).rows
        else:
            stored = checked_rest_rows(self._page_fetch(key, unit), key, unit.start_ms,
                                       unit.end_ms)  # fmt: skip
        return [row for row in stored if unit.start_ms <= row[0] < unit.end_ms and row[1] < now_ms]

    def _columns(self, key: SeriesKey, unit: Unit) -> PageColumns:
        if not unit.archive_path:
            fetch = self._page_fetch(key, unit)
            return as_arrays(checked_rest_columns(fetch, key, unit.start_ms, unit.end_ms))
        return tuple(self._archive_loaded(key, unit, unit.archive_path).columns)

    def _page_fetch(self, key: SeriesKey, unit: Unit) -> Callable[[], list[list[Any]]]:
        def fetch() -> list[list[Any]]:
            return self._exchange.klines(
                key.symbol, key.interval, unit.start_ms, unit.end_ms - 1,
                limit=self._exchange.market.page_limit, kind=key.kind,
            )  # fmt: skip

        return fetch

    def _archive_loaded(self, key: SeriesKey, unit: Unit, path: str) -> ArchiveFile:
        try:
            loaded = checked_file(lambda: self._archive_file(path), key, path, unit.start_ms)
        except ImplausiblePage:
            if not self._use_rest:
                raise  # the only source: rejected, and recorded as failed
            raise ArchiveFallback("implausible candles") from None
        if loaded is None:
            log.info("archive has no %s", path)
            raise ArchiveFallback(None)
        self._loaded[path] = (loaded.sha256, len(loaded))
        return loaded

    def _archive_file(self, path: str) -> ArchiveFile | None:
        if self._archive is None or self._archive_down:
            raise ArchiveFallback(self._archive_down or "no archive configured")
        try:
            loaded = self._archive.load(path)
        except CorruptArchive as e:
            log.warning("archive %s: %s (twice); not stored", path, e)
            raise ArchiveFallback(str(e)) from None
        except (ArchiveUnavailable, OSError, ValueError) as e:
            if not self._use_rest:
                raise  # the only source is down: an outage, waited out by the job runner
            # Any failure to download or read it: the REST API has the same candles.
            reason = getattr(e, "reason", None) or type(e).__name__
            self._archive_down = f"archive unreachable: {reason}"
            log.warning("archive %s: %s; paging from the REST API instead", path, e)
            raise ArchiveFallback(self._archive_down) from None
        return loaded
