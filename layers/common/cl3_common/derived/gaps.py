"""Gaps with their cause: holes in a stored series, labelled from the fetch ledger.

See docs/data-model.md ("Derived data"; the ledger's tables and collections).

The ledger is what workers record per series: FetchRecord(start, end, outcome, error, at)
for each range a fetch covered ("complete") or gave up on ("failed"). A candle with open time
t is covered by a record when start <= t < end (Binance serves a kline when its open time is in
the requested range). Where records overlap, the latest (`at_ms`; then the later in the list)
wins, so a successful re-fetch clears an earlier failure and the reverse.

A hole's piece gets, from the record that wins there:
- `exchange_outage`: a completed fetch covered it and stored candles exist on both sides of
  the hole. Binance serves zero-volume candles when nothing trades, so the exchange itself has
  no candles there.
- `no_data`: a completed fetch covered it but there is no stored candle on one side: before a
  symbol's first or after its last candle (listing, delisting, not yet closed). Not an outage.
- `failed`: the latest fetch covering it failed; carries that fetch's `error`.
- `unverified`: no fetch on record covers it, yet it lies between stored candles and at least
  one of its two neighbours has no fetch on record either. Those candles came from somewhere
  the ledger does not know (copied from another store, stored before the ledger existed), so
  whether the exchange had the missing candles is unknown.
- `not_fetched`: no fetch on record covers it, and the candles around it (if any) do: nothing
  ever asked for it.

Labels keep the old gap shape {"start", "end", "missing"} (end exclusive, the open time after
the last missing candle) and add "cause", and "error" for `failed`.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from cl3_common.errors import InvalidRequest
from cl3_common.intervals import (
    align_down,
    align_up,
    count_candles,
    next_open,
    validate_interval,
)

EXCHANGE_OUTAGE, NO_DATA, FAILED = "exchange_outage", "no_data", "failed"
UNVERIFIED, NOT_FETCHED = "unverified", "not_fetched"
CAUSES = (EXCHANGE_OUTAGE, NO_DATA, FAILED, UNVERIFIED, NOT_FETCHED)
Outcome = Literal["complete", "failed"]
_UNKNOWN_ERROR = {"code": "internal", "message": "the fetch failed without a recorded error"}


@dataclass(frozen=True)
class Hole:
    """Missing candles: open times in [start, end) on the grid, `missing` of them."""

    start: int
    end: int
    missing: int
    # Stored candles exist before and after the hole (not just inside the range looked at).
    before: bool = True
    after: bool = True

    def as_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end, "missing": self.missing}


@dataclass(frozen=True)
class FetchRecord:
    start_ms: int
    end_ms: int
    outcome: Outcome
    error: dict[str, str] | None = None
    at_ms: int = 0

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise InvalidRequest(f"fetch record [{self.start_ms}, {self.end_ms}) is empty")
        if self.outcome not in ("complete", "failed"):
            raise InvalidRequest(f"fetch outcome must be complete or failed, not {self.outcome!r}")

    def as_doc(self) -> dict[str, Any]:
        return {
            "start": self.start_ms,
            "end": self.end_ms,
            "outcome": self.outcome,
            "error": self.error,
            "at": self.at_ms,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> FetchRecord:
        return cls(doc["start"], doc["end"], doc["outcome"], doc.get("error"), doc.get("at", 0))


def find_holes(
    open_times: Iterable[int],
    interval: str,
    start_ms: int,
    end_ms: int,
    *,
    stored_before: bool = False,
    stored_after: bool = False,
) -> list[Hole]:
    """Missing open times in [start_ms, end_ms) given the sorted stored ones.

    Open times outside the range only tell whether stored candles exist before or after it;
    so do `stored_before` / `stored_after` when the caller read just the range.
    """
    validate_interval(interval)
    step = None if interval == "1M" else next_open(0, interval)
    holes: list[Hole] = []
    expected = align_up(start_ms, interval)
    seen_before = stored_before
    for t in open_times:
        if t < expected:  # before the range (or a repeat): a stored candle before what follows
            seen_before = True
            continue
        if t >= end_ms:
            stored_after = True
            break
        if t > expected:
            missing = (t - expected) // step if step else count_candles(expected, t, interval)
            holes.append(Hole(expected, t, missing, seen_before, True))
        seen_before = True
        expected = t + step if step else next_open(t, interval)
    if expected < end_ms:
        end = align_up(end_ms, interval)
        holes.append(
            Hole(expected, end, count_candles(expected, end, interval), seen_before, stored_after)
        )
    return holes


def normalise_ledger(records: Iterable[FetchRecord]) -> list[FetchRecord]:
    """Disjoint, sorted records where the latest record wins; adjacent equal ones coalesced.

    Coalescing keeps the ledger small (a series fetched page by page is one record). A merged
    record carries the latest `at_ms` of its parts, so merge records in the order they happened.
    """
    painted = _paint(list(records))
    merged: list[FetchRecord] = []
    for start, end, rec in painted:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end_ms == start
            and last.outcome == rec.outcome
            and last.error == rec.error
        ):
            merged[-1] = FetchRecord(
                last.start_ms, end, rec.outcome, rec.error, max(last.at_ms, rec.at_ms)
            )
        else:
            merged.append(FetchRecord(start, end, rec.outcome, rec.error, rec.at_ms))
    return merged


def merge_ledger(ledger: Iterable[FetchRecord], *new: FetchRecord) -> list[FetchRecord]:
    """The ledger after recording `new` fetches (which win where they overlap)."""
    return normalise_ledger([*ledger, *new])


def _paint(records: list[FetchRecord]) -> list[tuple[int, int, FetchRecord]]:
    """Elementary spans between record boundaries, each with the record that wins there."""
    edges = sorted({r.start_ms for r in records} | {r.end_ms for r in records})
    order = sorted(range(len(records)), key=lambda k: records[k].start_ms)
    heap: list[tuple[int, int]] = []  # (-at_ms, -index): the winner is on top
    out: list[tuple[int, int, FetchRecord]] = []
    nxt = 0
    for a, b in pairwise(edges):
        while nxt < len(order) and records[order[nxt]].start_ms <= a:
            k = order[nxt]
            heapq.heappush(heap, (-records[k].at_ms, -k))
            nxt += 1
        # Lazy removal: records that ended are dropped only when they reach the top.
        while heap and records[-heap[0][1]].end_ms <= a:
            heapq.heappop(heap)
        if heap:
            out.append((a, b, records[-heap[0][1]]))
    return out


_Segment = tuple[int, int, FetchRecord]


def _on_grid(ledger: Iterable[FetchRecord], interval: str) -> list[_Segment]:
    """Normalised records as the grid open times they cover: [align_up(start), align_up(end))."""
    segments = [
        (align_up(r.start_ms, interval), align_up(r.end_ms, interval), r)
        for r in normalise_ledger(ledger)
    ]
    return [seg for seg in segments if seg[0] < seg[1]]


def _covering(segments: list[_Segment], starts: list[int], t: int) -> FetchRecord | None:
    k = bisect_right(starts, t) - 1
    return segments[k][2] if k >= 0 and t < segments[k][1] else None


def label_gaps(
    holes: Iterable[Hole], ledger: Iterable[FetchRecord], interval: str
) -> list[dict[str, Any]]:
    """Each hole split where the ledger changes, every piece labelled with its cause."""
    validate_interval(interval)
    segments = _on_grid(ledger, interval)
    starts = [seg[0] for seg in segments]
    out: list[dict[str, Any]] = []
    for hole in holes:
        bounded = hole.before and hole.after
        # Unverified needs a neighbour whose own provenance is unknown.
        before = align_down(hole.start - 1, interval)
        unknown_side = (
            _covering(segments, starts, before) is None
            or _covering(segments, starts, hole.end) is None
        )
        for start, stop, rec in _pieces(hole, segments, starts):
            piece: dict[str, Any] = {
                "start": start,
                "end": stop,
                "missing": count_candles(start, stop, interval),
                "cause": _cause(rec, bounded, unknown_side),
            }
            if rec is not None and rec.outcome == "failed":
                piece["error"] = rec.error or dict(_UNKNOWN_ERROR)
            _append_merged(out, piece)
    return out


def _pieces(
    hole: Hole, segments: list[_Segment], starts: list[int]
) -> Iterator[tuple[int, int, FetchRecord | None]]:
    """The hole cut at segment edges: (start, stop, winning record or None if uncovered)."""
    t, k = hole.start, max(bisect_right(starts, hole.start) - 1, 0)
    while t < hole.end:
        while k < len(segments) and segments[k][1] <= t:
            k += 1
        if k < len(segments) and segments[k][0] <= t:  # inside segment k
            stop, rec = min(segments[k][1], hole.end), segments[k][2]
        else:  # before segment k (or past the last one): uncovered up to its start
            stop = min(segments[k][0], hole.end) if k < len(segments) else hole.end
            rec = None
        yield t, stop, rec
        t = stop


def _cause(rec: FetchRecord | None, bounded: bool, unknown_side: bool) -> str:
    if rec is None:
        return UNVERIFIED if bounded and unknown_side else NOT_FETCHED
    if rec.outcome == "failed":
        return FAILED
    return EXCHANGE_OUTAGE if bounded else NO_DATA


def _append_merged(out: list[dict[str, Any]], piece: dict[str, Any]) -> None:
    last = out[-1] if out else None
    if (
        last is not None
        and last["end"] == piece["start"]
        and last["cause"] == piece["cause"]
        and last.get("error") == piece.get("error")
    ):
        last["end"], last["missing"] = piece["end"], last["missing"] + piece["missing"]
    else:
        out.append(piece)


def uncovered(
    start_ms: int, end_ms: int, ledger: Iterable[FetchRecord], interval: str
) -> list[tuple[int, int]]:
    """Grid spans of [start_ms, end_ms) that no fetch on record covers.

    Stored candles in these spans are unverified: for coverage reports.
    """
    out: list[tuple[int, int]] = []
    t, end = align_up(start_ms, interval), align_up(end_ms, interval)
    for a, b, _ in _on_grid(ledger, interval):
        if b <= t:
            continue
        if a >= end:
            break
        if a > t:
            out.append((t, a))
        t = max(t, b)
    if t < end:
        out.append((t, end))
    return out
