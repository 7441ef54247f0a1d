"""What the exchange serves now for a span: REST pages and an archive file, each through the
same plausibility check as ingestion (an implausible page is read once more, then left out of
the comparison and reported). REST requests go through the exchange client, so they spend the
weight budget every worker shares; archive downloads cost no weight.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cl3_common.exchange.client import BinanceClient
from cl3_common.store import Row, SeriesKey
from cl3_worker.archive import ArchiveClient, ArchiveFile, ArchiveUnavailable, CorruptArchive
from cl3_worker.page_check import ImplausiblePage, RejectedPage, checked_file, checked_rest_rows
from cl3_worker.plan import Unit, rest_pages


@dataclass(frozen=True)
class FileRead:
    """An archive file as read now: its rows and checksum, or why it could not be used."""

    path: str
    file: ArchiveFile | None
    problem: str | None  # missing / corrupt / unavailable / implausible


@dataclass
class ExchangeSources:
    exchange: BinanceClient
    archive: ArchiveClient
    key: SeriesKey
    pool: ThreadPoolExecutor
    now_ms: Callable[[], int]
    use_rest: bool = True  # False: REST does not serve the symbol (delisted)
    rejected: list[RejectedPage] = field(default_factory=list)
    _last_file: FileRead | None = None  # a month file serves each of its days in turn

    def rest(self, start_ms: int, end_ms: int) -> dict[int, Row] | None:
        """REST's closed candles of [start_ms, end_ms) by open time; None when a page of it
        was implausible twice (the span is then compared without REST) or REST does not
        serve the symbol."""
        if not self.use_rest:
            return None
        market = self.exchange.market
        pages = rest_pages(start_ms, end_ms, self.key.interval, limit=market.page_limit,
                           max_span_ms=market.max_span_ms)  # fmt: skip
        results = list(self.pool.map(self._page, pages))
        if any(rows is None for rows in results):
            return None
        now = self.now_ms()
        return {r[0]: r for rows in results for r in rows or () if r[1] < now}

    def _page(self, unit: Unit) -> list[Row] | None:
        key = self.key

        def fetch() -> list[list[Any]]:
            return self.exchange.klines(
                key.symbol, key.interval, unit.start_ms, unit.end_ms - 1,
                limit=self.exchange.market.page_limit, kind=key.kind,
            )  # fmt: skip

        try:
            return checked_rest_rows(fetch, key, unit.start_ms, unit.end_ms)
        except ImplausiblePage as e:
            self.rejected.append(e.page)
            return None

    def file(self, path: str, start_ms: int) -> FileRead:
        """The archive file holding `start_ms`, read at most once in a row."""
        if self._last_file is None or self._last_file.path != path:
            self._last_file = self._read(path, start_ms)
        return self._last_file

    def _read(self, path: str, start_ms: int) -> FileRead:
        try:
            loaded = checked_file(lambda: self.archive.load(path), self.key, path, start_ms)
        except CorruptArchive:
            return FileRead(path, None, "corrupt")
        except (ArchiveUnavailable, OSError, ValueError):
            return FileRead(path, None, "unavailable")
        except ImplausiblePage as e:
            self.rejected.append(e.page)
            return FileRead(path, None, "implausible")
        return FileRead(path, loaded, None if loaded else "missing")


def span_rows(read: FileRead, start_ms: int, end_ms: int) -> dict[int, Row] | None:
    """The file's rows inside [start_ms, end_ms), or None when the file is not usable."""
    if read.file is None:
        return None
    return {r[0]: r for r in read.file.rows if start_ms <= r[0] < end_ms}
