"""`cl3 store copy --from URL --to URL`: everything in one store, copied into another.

For users who outgrow one machine (sqlite:///... to mongodb://...), or the way back. Candles
are copied series by series in ascending chunks; every write is duplicate-safe, so an
interrupted copy is simply run again: a series whose target already holds all of it is
skipped, a partly copied one continues from the target's newest candle. At the end every
series' count in the target (over the source's range) is compared with the source's count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cl3_common.store import FundingKey, SeriesBounds, SeriesKey, Stores

CHUNK = 50_000
FAR_FUTURE_MS = 2**62


@dataclass
class CopyReport:
    series: int = 0
    candles_copied: int = 0
    series_skipped: int = 0
    tasks: int = 0
    analyses: int = 0
    tracked: int = 0
    ledger_series: int = 0
    archive_files: int = 0
    funding_events: int = 0
    mismatches: list[str] = field(default_factory=list)


def key_of(bounds: SeriesBounds) -> SeriesKey:
    return SeriesKey(bounds.symbol, bounds.interval, bounds.market, bounds.kind)


def resume_from(source: SeriesBounds, target: SeriesBounds | None) -> int | None:
    """Where to start copying a series; None when the target already holds all of it."""
    if target is None or target.first_open_time > source.first_open_time:
        return source.first_open_time
    if target.last_open_time >= source.last_open_time and target.count >= source.count:
        return None
    return target.last_open_time  # ascending chunks: everything before it is there


def copy_series(
    source: Stores, target: Stores, bounds: SeriesBounds, start: int,
    advance: Callable[[int], None],
) -> int:  # fmt: skip
    key, cursor, written = key_of(bounds), start, 0
    while True:
        rows = source.candles.read(key, cursor, FAR_FUTURE_MS, CHUNK)
        if not rows:
            return written
        written += target.candles.insert(key, rows)
        advance(len(rows))
        if len(rows) < CHUNK:
            return written
        cursor = rows[-1][0] + 1


def copy_small_stores(source: Stores, target: Stores, report: CopyReport) -> None:
    after: str | None = None
    while page := source.tasks.page(after=after, limit=1000):
        for task in page:
            if target.tasks.get(task["task_id"]) is None:
                target.tasks.create(task["task_id"], owner=task["owner"],
                                    task_type=task["type"], params=task["params"])  # fmt: skip
            target.tasks.update(task["task_id"], status=task["status"], result=task["result"],
                                error=task["error"], started_at=task["started_at"],
                                ended_at=task["ended_at"])  # fmt: skip
            report.tasks += 1
        after = page[-1]["task_id"]
    for key in source.series.all():
        target.series.track(key)
        report.tracked += 1
    copy_funding(source, target, report)
    for key in source.analyses.series_keys():
        doc = source.analyses.get(key)
        if doc is not None:
            target.analyses.save(key, doc, source.analyses.heatmap(key))
            report.analyses += 1
    copy_provenance(source, target, report)


def copy_provenance(source: Stores, target: Stores, report: CopyReport) -> None:
    """The fetch ledger and the archive checksums: without them copied candles would have
    gaps of unknown cause and audits nothing to re-check (recording merges: rerun-safe)."""
    for bounds in source.candles.list_series():
        key = key_of(bounds)
        records = source.ledger.records(key, 0, FAR_FUTURE_MS)
        if records:
            target.ledger.record(key, *records)
            report.ledger_series += 1
    after: str | None = None
    while page := source.archive_files.page(after=after, limit=1000):
        for doc in page:
            target.archive_files.record(doc["path"], doc["sha256"], rows=doc["rows"],
                                        at_ms=doc["loaded_at"])  # fmt: skip
            report.archive_files += 1
        after = page[-1]["path"]


def copy_funding(source: Stores, target: Stores, report: CopyReport) -> None:
    """Funding events (three a day per symbol: each series is small), their ledger (what the
    Binance mirror may answer from the store) and tracked series."""
    for bounds in source.funding.list_series():
        key = FundingKey(bounds.market, bounds.symbol)
        cursor = bounds.first_time
        while rows := source.funding.read(key, cursor, bounds.last_time + 1, CHUNK):
            report.funding_events += target.funding.insert(key, rows)
            cursor = rows[-1][0] + 1
        records = source.funding_ledger.records(key, 0, FAR_FUTURE_MS)
        if records:
            target.funding_ledger.record(key, *records)
    for key in source.funding.tracked():
        target.funding.track(key)


def verify(source: Stores, target: Stores, report: CopyReport) -> None:
    for bounds in source.candles.list_series():
        key = key_of(bounds)
        got = target.candles.count(key, bounds.first_open_time, bounds.last_open_time + 1)
        if got != bounds.count:
            report.mismatches.append(f"{key.label()}: source {bounds.count}, target {got}")
    for funding in source.funding.list_series():
        fkey = FundingKey(funding.market, funding.symbol)
        copied = target.funding.bounds(fkey)
        if copied is None or copied.count != funding.count:
            got = copied.count if copied else 0
            report.mismatches.append(f"{fkey.label()}: source {funding.count}, target {got}")


def copy_stores(source: Stores, target: Stores, console: Console | None = None) -> CopyReport:
    console = console or Console()
    report = CopyReport()
    all_series = source.candles.list_series()
    total = sum(b.count for b in all_series)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console) as bar:
        row = bar.add_task("candles", total=total)
        for bounds in all_series:
            report.series += 1
            start = resume_from(bounds, target.candles.bounds(key_of(bounds)))
            if start is None:
                report.series_skipped += 1
                bar.advance(row, bounds.count)
                continue
            bar.update(row, description=key_of(bounds).label())
            report.candles_copied += copy_series(source, target, bounds, start,
                                                 lambda n: bar.advance(row, n))  # fmt: skip
        bar.update(row, description="candles", completed=total)
    copy_small_stores(source, target, report)
    verify(source, target, report)
    return report
