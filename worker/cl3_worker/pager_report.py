"""What a pager run did: pages planned, skipped and stored, candles written, what it had to
do instead (archive files paged from REST, pages rejected) and the spans it stored.

A batch of units counts as stored only once the store has taken it (`count_stored`): with a
writer that stores behind the pager (cl3_worker.writer_process) that is after the pages
arrived, and the fetch ledger marks complete only the spans counted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cl3_worker.page_check import RejectedPage
from cl3_worker.plan import Unit


@dataclass(frozen=True)
class StoredBatch:
    """Units fetched together and written in one store call; `received`: their candles."""

    units: list[Unit]
    received: int


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

    def count_stored(self, batch: StoredBatch, written: int) -> list[str]:
        """Counts a batch the store has taken (`written`: its candles new to the store);
        the archive files it held, whose checksums are then recorded."""
        self.candles_written += written
        self.candles_received += batch.received
        self.pages_done += len(batch.units)
        self.stored_spans.extend((u.start_ms, u.end_ms) for u in batch.units)
        archived = [u.archive_path for u in batch.units if u.archive_path]
        self.archive_files += len(archived)
        self.rest_pages += len(batch.units) - len(archived)
        return archived


ProgressCallback = Callable[[PagerReport], None]
