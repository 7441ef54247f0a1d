"""The audit task: a stored range re-read from REST and the archive, compared field by field,
archive checksums re-checked, and with `repair` the stored candles replaced by the verified
source (docs/api.md, "Audit"; which source wins: `cl3_worker.audit.compare`).

It walks the range span by span (an archive day or month, or a stretch of REST pages), so
memory stays at one span whatever the range, and reports progress after each.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cl3_common.derived.gaps import FetchRecord
from cl3_common.errors import InvalidSymbol
from cl3_common.store import Row, SeriesKey
from cl3_worker.audit.compare import Chunk, repairs
from cl3_worker.audit.files import audit_units, file_entry, file_period
from cl3_worker.audit.report import AuditReport
from cl3_worker.audit.sources import ExchangeSources, FileRead, span_rows
from cl3_worker.context import WorkerContext
from cl3_worker.plan import Unit
from cl3_worker.results import range_result
from cl3_worker.runner import RunningTask


def run(
    task: RunningTask,
    symbol: str,
    interval: str,
    start_ms: int,
    end_ms: int,
    market: str = "spot",
    kind: str = "trade",
    repair: bool = False,
) -> dict[str, Any]:
    """Work function of `audit` tasks (cl3_common.tasks.contracts)."""
    ctx, key = task.ctx, SeriesKey(symbol, interval, market, kind)
    began = time.monotonic()
    exchange = ctx.exchange_for(key.market)
    on_rest = ctx.universe.listed(key.market, key.symbol, key.kind)
    units = audit_units(key, start_ms, end_ms, now_ms=ctx.now_ms(), market=exchange.market,
                        on_rest=on_rest, recorded=ctx.stores.archive_files.get)  # fmt: skip
    audit = _Audit(ctx, key, AuditReport(repair))
    with ThreadPoolExecutor(ctx.settings.FETCH_CONCURRENCY, thread_name_prefix="cl3-audit") as pool:
        sources = ExchangeSources(exchange, ctx.archive_source, key, pool, ctx.now_ms,
                                  use_rest=on_rest)  # fmt: skip
        task.report(0, pages_done=0, pages_total=len(units))
        for done, unit in enumerate(units, 1):
            audit.span(unit, sources)
            task.report(99 * done // len(units), pages_done=done, pages_total=len(units),
                        candles_written=sum(audit.report.repaired_from.values()))  # fmt: skip
    if not on_rest and all(f["status"] == "missing" for f in audit.report.files):
        raise InvalidSymbol(f"{key.label()}: the exchange does not list {key.symbol} and the "
                            "archive has none of its files in the range")  # fmt: skip
    if sources.rejected:
        task.warn(f"{len(sources.rejected)} implausible page(s) or file(s) from the exchange "
                  "were left out of the comparison (see rejected_pages)")  # fmt: skip
    return range_result(key, start_ms, end_ms, began=began, **audit.report.as_result(),
                        rejected_pages=[page.as_dict() for page in sources.rejected])  # fmt: skip


class _Audit:
    def __init__(self, ctx: WorkerContext, key: SeriesKey, report: AuditReport) -> None:
        self.ctx, self.key, self.report = ctx, key, report
        self._files_seen: set[str] = set()

    def span(self, unit: Unit, sources: ExchangeSources) -> None:
        stores = self.ctx.stores
        stored = {r[0]: r for r in stores.candles.read(self.key, unit.start_ms, unit.end_ms)}
        rest = sources.rest(unit.start_ms, unit.end_ms)
        read = sources.file(unit.archive_path, unit.start_ms) if unit.archive_path else None
        if read is not None and read.path not in self._files_seen:
            self._files_seen.add(read.path)
            current = read.file.sha256 if read.file else None
            record = stores.archive_files.get(read.path)
            self.report.files.append(file_entry(read.path, record, current, read.problem))
        archive = None if read is None else span_rows(read, unit.start_ms, unit.end_ms)
        chunk = Chunk(stored, rest, archive)
        self.report.compare(chunk)
        if self.report.repair:
            self._repair(unit, chunk, read)

    def _repair(self, unit: Unit, chunk: Chunk, read: FileRead | None) -> None:
        stores, now = self.ctx.stores, self.ctx.now_ms()
        fixes = repairs(chunk)
        if fixes:
            stores.candles.replace(self.key, [row for row, _ in fixes])
            self.report.repaired(fixes)
        if chunk.rest is not None:  # the store now holds all REST serves there
            stores.ledger.record(self.key, FetchRecord(unit.start_ms, unit.end_ms, "complete",
                                                       None, now))  # fmt: skip
        if read is not None and read.file is not None and chunk.archive is not None:
            final: dict[int, Row] = {**chunk.stored, **{row[0]: row for row, _ in fixes}}
            self._record_file(unit, read, chunk.archive, final, now)

    def _record_file(self, unit: Unit, read: FileRead, archive: Mapping[int, Row],
                     final: Mapping[int, Row], now: int) -> None:  # fmt: skip
        """A file whose every candle is now what the store holds: its checksum is the one to
        re-check next time (a file only partly adopted keeps its old record)."""
        assert read.file is not None
        whole = file_period(read.path, unit.start_ms) == (unit.start_ms, unit.end_ms)
        if whole and all(final.get(t) == row for t, row in archive.items()):
            self.ctx.stores.archive_files.record(read.path, read.file.sha256,
                                                 rows=len(read.file.rows), at_ms=now)  # fmt: skip
