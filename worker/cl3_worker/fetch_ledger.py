"""What a fetch writes to the fetch ledger: the outcome of every range it covered.

The ledger (`LedgerStore`) is where gaps get their cause (`cl3_common.derived.gaps`):
- a fetch that finished records its whole range "complete": a hole left inside it is the
  exchange's own (an outage) or, at the series' edges, where the exchange has no candles;
- pages it rejected as implausible are recorded "failed" with that error;
- a fetch that raised records "failed" with its error over the range, except the units it did
  store ("complete"). A retry that succeeds records "complete" later, and the latest wins.
Records of one fetch share one timestamp; where they overlap, the later in the list wins.
"""

from __future__ import annotations

import logging

from cl3_common.derived.gaps import FetchRecord
from cl3_common.errors import CL3Error
from cl3_common.store import SeriesKey
from cl3_common.store.protocols import LedgerStore
from cl3_worker.pager_report import PagerReport

log = logging.getLogger("cl3.worker.ledger")


def fetch_records(
    start_ms: int,
    end_ms: int,
    report: PagerReport | None,
    *,
    at_ms: int,
    error: dict[str, str] | None = None,
) -> list[FetchRecord]:
    if end_ms <= start_ms:
        return []
    records = [FetchRecord(start_ms, end_ms, "failed" if error else "complete", error, at_ms)]
    if report is None:
        return records
    if error:
        records += [FetchRecord(a, b, "complete", None, at_ms) for a, b in report.stored_spans]
    records += [
        FetchRecord(p.start_ms, p.end_ms, "failed", p.error, at_ms) for p in report.rejected_pages
    ]
    return records


def record_fetch(ledger: LedgerStore, key: SeriesKey, records: list[FetchRecord]) -> None:
    """Writes the records; a failing fetch must still fail with its own error, so a store that
    cannot take them (it may be the very outage) is logged, not raised, on that path."""
    try:
        ledger.record(key, *records)
    except CL3Error as e:
        log.warning("%s: could not record the fetch in the ledger: %s", key.label(), e)
