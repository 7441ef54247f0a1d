"""Funding-rate history of one futures symbol, from REST (or the archive) into the store.

REST (`fundingRate`, up to 1,000 events a request, a year of 8-hourly funding in two) is the
source for listed symbols: it has the mark price. A symbol REST no longer serves (delisted)
comes from the archive's monthly files, which carry no mark price. Every event stores
`interval_hours`, the hours since the symbol's previous event: the fetch starts a day before
the range (longer than any funding interval) so the first event in range has its predecessor,
and falls back to the stored event before it.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cl3_common.errors import InvalidSymbol
from cl3_common.exchange.archive_paths import funding_file
from cl3_common.exchange.client import FUNDING_LIMIT, BinanceClient
from cl3_common.intervals import HOUR_MS, align_down, next_open
from cl3_common.store import FundingKey
from cl3_common.store.funding_rows import (
    FUNDING_LOOKBACK_MS,
    USUAL_FUNDING_HOURS,
    FundingEvent,
    rest_funding_event,
    with_intervals,
)
from cl3_common.store.protocols import FundingStore
from cl3_worker.archive import ArchiveClient

log = logging.getLogger("cl3.worker.funding")


@dataclass
class FundingReport:
    pages_total: int
    pages_done: int = 0
    requests: int = 0
    archive_files: int = 0
    events_received: int = 0
    events_written: int = 0


ProgressCallback = Callable[[FundingReport], None]


class FundingFetcher:
    def __init__(
        self,
        client: BinanceClient,
        archive: ArchiveClient,
        store: FundingStore,
        *,
        clock_ms: Callable[[], int],
    ) -> None:
        self._client = client
        self._archive = archive
        self._store = store
        self._clock_ms = clock_ms

    def run(
        self,
        key: FundingKey,
        start_ms: int,
        end_ms: int,
        on_progress: ProgressCallback,
        *,
        on_rest: bool = True,
    ) -> FundingReport:
        end_ms = min(end_ms, self._clock_ms())
        first = start_ms - FUNDING_LOOKBACK_MS
        if on_rest:
            # Sized for the usual schedule; a faster one only adds pages as they come.
            usual_ms = USUAL_FUNDING_HOURS * HOUR_MS
            pages = max(1, -(-(end_ms - first) // (usual_ms * FUNDING_LIMIT)))
            report = FundingReport(pages_total=pages)
            batches = self._rest(key.symbol, first, end_ms, report)
        else:
            months = _months(first, end_ms, self._clock_ms())
            report = FundingReport(pages_total=len(months))
            batches = self._archived(key, months, report)
        on_progress(report)
        previous = self._store.previous(key, first)
        last_time = previous[0] if previous else None
        for batch in batches:
            if batch is None:  # a month the archive lacks: the next event's interval is unknown
                last_time = None
                report.pages_done += 1
                continue
            rows, last_time = with_intervals(batch, last_time)
            kept = [r for r in rows if start_ms <= r[0] < end_ms]
            report.events_received += len(kept)
            report.events_written += self._store.insert(key, kept)
            report.pages_done += 1
            report.pages_total = max(report.pages_total, report.pages_done)
            on_progress(report)
        report.pages_total = report.pages_done  # the estimate becomes the count
        if not on_rest and not report.archive_files:
            raise InvalidSymbol(f"{key.label()}: the exchange does not list {key.symbol} and "
                                "the archive has no funding file of it in the range")  # fmt: skip
        return report

    def _rest(
        self, symbol: str, start: int, end: int, report: FundingReport
    ) -> Iterator[list[FundingEvent] | None]:
        cursor = start
        while cursor < end:
            raw = self._client.funding_rates(symbol, cursor, end - 1, FUNDING_LIMIT)
            report.requests += 1
            events = sorted(rest_funding_event(r) for r in raw)
            if events:
                yield events
            if len(raw) < FUNDING_LIMIT or not events:
                return
            cursor = events[-1][0] + 1
            report.pages_total = max(report.pages_total, report.pages_done + 2)

    def _archived(
        self, key: FundingKey, months: list[int], report: FundingReport
    ) -> Iterator[list[FundingEvent] | None]:
        for month in months:
            content = self._archive.csv(funding_file(key.symbol, month, market=key.market))
            report.archive_files += content is not None
            yield None if content is None else parse_funding_csv(content)


def parse_funding_csv(content: bytes) -> list[FundingEvent]:
    """`calc_time,funding_interval_hours,last_funding_rate` rows (header tolerated)."""
    events: list[FundingEvent] = []
    for rec in csv.reader(io.StringIO(content.decode())):
        if len(rec) < 3 or not rec[0].strip().isdigit():
            continue
        hours = int(rec[1]) if rec[1].strip().isdigit() else None
        events.append((int(rec[0]), float(rec[2]), None, hours))
    return sorted(events)


def _months(start_ms: int, end_ms: int, now_ms: int) -> list[int]:
    """Starts of the months overlapping [start_ms, end_ms) whose file exists (month over)."""
    found, cursor = [], align_down(start_ms, "1M")
    while cursor < end_ms:
        if next_open(cursor, "1M") <= now_ms:
            found.append(cursor)
        cursor = next_open(cursor, "1M")
    return found
