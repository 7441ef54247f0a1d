"""Holes in a stored series: the exchange's own gaps (no trading), reported, never filled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cl3_common.intervals import count_candles, next_open


def find_gaps(open_times: Iterable[int], interval: str) -> tuple[list[dict[str, Any]], int]:
    """Gaps between consecutive stored candles, and how many candles were seen."""
    gaps: list[dict[str, Any]] = []
    previous: int | None = None
    seen = 0
    for t in open_times:
        seen += 1
        if previous is not None:
            expected = next_open(previous, interval)
            if t > expected:
                gaps.append(
                    {"start": expected, "end": t, "missing": count_candles(expected, t, interval)}
                )
        previous = t
    return gaps, seen
