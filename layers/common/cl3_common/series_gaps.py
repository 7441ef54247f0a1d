"""The gaps of a stored series with their cause: holes found in the store, labelled from the
fetch ledger (`cl3_common.derived.gaps` says how each cause is decided).

Gaps are holes *of the series*: missing candles with stored candles on both sides. Holes at a
series' edges, before its first stored candle or after its last, are where the exchange has
nothing yet or any more (before listing, after delisting); a fetch that covered them reports
them apart as `no_data`, never as gaps, and coverage does not list them (docs/api.md, "Gaps
and their causes"). A hole at an edge that a fetch failed to get stays a `failed` gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cl3_common.derived.gaps import NO_DATA, Hole, label_gaps
from cl3_common.intervals import align_down, next_open
from cl3_common.store import SeriesKey
from cl3_common.store.protocols import CandleStore, LedgerStore


@dataclass(frozen=True)
class SeriesGaps:
    gaps: list[dict[str, Any]]  # {"start", "end", "missing", "cause", "error"?}
    no_data: list[dict[str, Any]] = field(default_factory=list)  # {"start", "end", "missing"}
    stored: int = 0  # candles stored in the range


def series_gaps(
    candles: CandleStore,
    ledger: LedgerStore,
    key: SeriesKey,
    start_ms: int,
    end_ms: int,
    *,
    stored: int | None = None,
) -> SeriesGaps:
    """Gaps of `key` in [start_ms, end_ms), each with its cause; `stored` is the range's
    count when known (it saves one count of the range)."""
    if end_ms <= start_ms:
        return SeriesGaps([], [], 0)
    holes, in_range = candles.holes(key, start_ms, end_ms, stored=stored)
    if not holes:
        return SeriesGaps([], [], in_range)
    bounds = candles.bounds(key)
    if bounds is None:  # nothing stored at all: no series, so no gaps
        return SeriesGaps([], [], 0)
    # Edges of the whole series, not of the range asked about.
    holes = [
        Hole(h.start, h.end, h.missing, bounds.first_open_time < h.start,
             bounds.last_open_time >= h.end)
        for h in holes
    ]  # fmt: skip
    # Neighbours of the holes count too (a hole next to candles of unknown origin).
    lo = align_down(holes[0].start - 1, key.interval)
    records = ledger.records(key, lo, next_open(holes[-1].end, key.interval))
    gaps, no_data = [], []
    for gap in label_gaps(holes, records, key.interval):
        if gap["cause"] == NO_DATA:
            no_data.append({"start": gap["start"], "end": gap["end"], "missing": gap["missing"]})
        else:
            gaps.append(gap)
    return SeriesGaps(gaps, no_data, in_range)
