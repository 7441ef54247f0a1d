"""Pages a [start, end) range of klines from the exchange into MongoDB, several in flight.

Pages are planned on the interval grid (1000 candles each); pages already complete in the
store are skipped, so a re-run or a retry after a crash resumes instead of starting over.
Only closed candles are written. Progress is reported after every page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from cl3_common.exchange.client import KLINES_LIMIT, BinanceClient
from cl3_common.intervals import add_candles, align_up, count_candles
from cl3_common.store.candles import CandleStore, kline_to_doc


@dataclass(frozen=True)
class Page:
    start_ms: int
    end_ms: int  # exclusive
    expected: int


@dataclass
class PagerReport:
    pages_total: int
    pages_skipped: int = 0
    pages_done: int = 0
    candles_written: int = 0
    candles_received: int = 0
    per_page_written: list[int] = field(default_factory=list)


def plan_pages(start_ms: int, end_ms: int, interval: str) -> list[Page]:
    pages, cursor = [], align_up(start_ms, interval)
    while cursor < end_ms:
        page_end = min(add_candles(cursor, interval, KLINES_LIMIT), end_ms)
        pages.append(Page(cursor, page_end, count_candles(cursor, page_end, interval)))
        cursor = page_end
    return pages


def incomplete_pages(pages: list[Page], stored_open_times: Iterable[int]) -> list[Page]:
    """Pages with fewer stored candles than the grid holds (one ordered pass over the ids)."""
    counts = [0] * len(pages)
    i = 0
    for t in stored_open_times:
        while i < len(pages) and t >= pages[i].end_ms:
            i += 1
        if i == len(pages):
            break
        if t >= pages[i].start_ms:
            counts[i] += 1
    return [p for p, n in zip(pages, counts, strict=True) if n < p.expected]


ProgressCallback = Callable[[PagerReport], None]


class KlinePager:
    def __init__(
        self,
        exchange: BinanceClient,
        candles: CandleStore,
        *,
        concurrency: int,
        clock_ms: Callable[[], int],
    ) -> None:
        self._exchange = exchange
        self._candles = candles
        self._concurrency = max(1, concurrency)
        self._clock_ms = clock_ms

    def run(
        self,
        symbol: str,
        interval: str,
        start_ms: int,
        end_ms: int,
        on_progress: ProgressCallback,
    ) -> PagerReport:
        pages = plan_pages(start_ms, end_ms, interval)
        stored = self._candles.open_times(symbol, interval, start_ms, end_ms)
        todo = incomplete_pages(pages, stored)
        report = PagerReport(pages_total=len(pages), pages_skipped=len(pages) - len(todo))
        report.pages_done = report.pages_skipped
        on_progress(report)
        if not todo:
            return report
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="cl3-page") as pool:
            pending: set[Future[tuple[int, int]]] = set()
            queue = iter(todo)
            for page in queue:
                pending.add(pool.submit(self._fetch_page, symbol, interval, page))
                if len(pending) >= self._concurrency:
                    break
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        received, written = future.result()
                        report.pages_done += 1
                        report.candles_received += received
                        report.candles_written += written
                        on_progress(report)
                        nxt = next(queue, None)
                        if nxt is not None:
                            pending.add(pool.submit(self._fetch_page, symbol, interval, nxt))
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return report

    def _fetch_page(self, symbol: str, interval: str, page: Page) -> tuple[int, int]:
        now_ms = self._clock_ms()
        rows = self._exchange.klines(
            symbol, interval, page.start_ms, page.end_ms - 1, limit=KLINES_LIMIT
        )
        docs = [
            kline_to_doc(symbol, interval, _to_ms(row))
            for row in rows
            if page.start_ms <= _ms(row[0]) < page.end_ms and _ms(row[6]) < now_ms
        ]
        return len(docs), self._candles.insert(docs)


def _ms(value: Any) -> int:
    """Binance may serve microsecond timestamps (16 digits); everything here is ms."""
    t = int(value)
    return t // 1000 if t >= 10**15 else t


def _to_ms(row: list[Any]) -> list[Any]:
    if int(row[0]) < 10**15 and int(row[6]) < 10**15:
        return row
    return [_ms(row[0]), *row[1:6], _ms(row[6]), *row[7:]]
