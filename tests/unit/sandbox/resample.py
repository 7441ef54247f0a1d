"""A plain-Python resampler of kline rows, independent of the sandbox's vectorised one.

Tests use it to check that whatever the sandbox serves for an interval (in any time zone) is
exactly the aggregate of the 1m rows it serves: open of the first, max high, min low, close of
the last, summed volumes, quote volumes, trades and taker volumes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

Row = Sequence  # Binance's 12 fields: ints and decimal strings


def resample(rows: Iterable[Row], bucket_of: Callable[[int], int]) -> dict[int, tuple]:
    buckets: dict[int, list[Row]] = {}
    for row in rows:
        buckets.setdefault(bucket_of(int(row[0])), []).append(row)
    out = {}
    for start, group in buckets.items():

        def column(i: int, group: list[Row] = group) -> list[float]:
            return [float(r[i]) for r in group]

        out[start] = (
            float(group[0][1]),
            max(column(2)),
            min(column(3)),
            float(group[-1][4]),
            math.fsum(column(5)),
            math.fsum(column(7)),
            sum(int(r[8]) for r in group),
            math.fsum(column(9)),
            math.fsum(column(10)),
        )
    return out


def as_numbers(row: Row) -> tuple:
    return (float(row[1]), float(row[2]), float(row[3]), float(row[4]), float(row[5]),
            float(row[7]), int(row[8]), float(row[9]), float(row[10]))  # fmt: skip


def mismatches(served: Iterable[Row], expected: dict[int, tuple], rel: float = 1e-9) -> list:
    """(open_time, field index) of every served value that differs from the resampled one."""
    bad = []
    for row in served:
        want = expected.get(int(row[0]))
        if want is None:
            bad.append((row[0], "missing"))
            continue
        for i, (got, exp) in enumerate(zip(as_numbers(row), want, strict=True)):
            if not math.isclose(got, exp, rel_tol=rel, abs_tol=1e-12):
                bad.append((row[0], i, got, exp))
    return bad
