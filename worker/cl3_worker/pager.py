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
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from cl3_common.errors import InvalidSymbol
from cl3_common.exchange.client import BinanceClient
from cl3_common.observability import record
from cl3_common.store import Row, SeriesKey
from cl3_common.store.protocols import ArchiveFileStore
from cl3_worker.archive import ArchiveClient, ArchiveFile, ArchiveUnavailable, CorruptArchive
from cl3_worker.page_check import ImplausiblePage, RejectedPage, checked_file, checked_rest_rows
from cl3_worker.plan import Unit, archive_units, incomplete_units, rest_units, uncovered

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
    archive_missing: int = 0  # files the archive lacks where it is the only source
    candles_written: int = 0
    candles_received: int = 0
    # Why archive files were paged from REST instead (missing files are not counted here).
    archive_problems: Counter[str] = field(default_factory=Counter)
    # Pages that failed the plausibility check twice: not stored.
    rejected_pages: list[RejectedPage] = field(default_factory=list)
    # [start, end) of the units stored by this run (rejected pages excluded).
    stored_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        notes = [
            f"{n} archive file{'s' if n > 1 else ''} could not be used ({reason}); "
            "paged from the REST API instead"
            for reason, n in self.archive_problems.items()
        ]
        if self.archive_missing:
            notes.append(
                f"{self.archive_missing} archive file(s) of this symbol do not exist; the REST "
                "API no longer serves it, so their candles are missing"
            )
        return notes


ProgressCallback = Callable[[PagerReport], None]


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
            missing = self._run_units(pool, key, plan.file_todo, report, on_progress)
            if missing and use_rest:
                self._page_instead(key, start_ms, end_ms, plan, missing, report)
            elif missing:
                self._archive_lacks(key, plan, missing, report)
            self._run_units(pool, key, plan.page_todo, report, on_progress)
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
    ) -> list[Unit]:
        """Fetch and store the units; returns the archive units the archive could not give."""
        todo, missing = deque(units), []
        pending: dict[Future[list[Row]], Unit] = {}

        def keep_busy() -> None:
            while todo and len(pending) < self._concurrency:
                unit = todo.popleft()
                pending[pool.submit(self._fetch, key, unit)] = unit

        try:
            while todo or pending:
                keep_busy()
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                finished: list[Unit] = []
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
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return sorted(missing, key=lambda u: u.start_ms)

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
                key.symbol, key.interval, unit.start_ms, unit.end_ms - 1,
                limit=self._exchange.market.page_limit, kind=key.kind,
            )  # fmt: skip

        return checked_rest_rows(fetch, key, unit.start_ms, unit.end_ms)

    def _archive_rows(self, key: SeriesKey, unit: Unit, path: str) -> list[Row]:
        try:
            loaded = checked_file(lambda: self._archive_file(path), key, path, unit.start_ms)
        except ImplausiblePage:
            if not self._use_rest:
                raise  # the only source: rejected, and recorded as failed
            raise ArchiveFallback("implausible candles") from None
        if loaded is None:
            log.info("archive has no %s", path)
            raise ArchiveFallback(None)
        self._loaded[path] = (loaded.sha256, len(loaded.rows))
        return loaded.rows

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
