"""Which candles a klines query returns, exactly as Binance selects them.

* ``startTime`` given: the first ``limit`` candles with ``open_time >= startTime`` (and
  ``<= endTime`` if given), ascending.
* only ``endTime``: the last ``limit`` candles with ``open_time <= endTime``.
* neither: the latest ``limit`` candles.

Candles exist from the one containing the listing time up to the one containing ``now``
(the still-open candle is included, as on Binance), not after a halted symbol's halt, and not
inside exchange gaps. Gaps are skipped (a page holds ``limit`` existing candles when there are
that many), so the paging loops below jump over a gap instead of walking through it.
"""

from __future__ import annotations

import json

import numpy as np

from .config import SandboxConfig
from .intervals import ceil_open, floor_open, open_times, shift, steps_between
from .render import klines_json
from .series import candles
from .symbols import SymbolSpec, symbol_map

Gaps = tuple[tuple[int, int], ...]
# Internal page size when no limit applies (expected_klines over long ranges).
_CHUNK = 100_000


def _in_gaps(opens: np.ndarray, gaps: Gaps) -> np.ndarray:
    hit = np.zeros(len(opens), dtype=bool)
    for start, end in gaps:
        hit |= (opens >= start) & (opens < end)
    return hit


def _gap_containing(t: int, gaps: Gaps) -> tuple[int, int] | None:
    for start, end in gaps:
        if start <= t < end:
            return start, end
    return None


def bounds(spec: SymbolSpec, interval: str, now_ms: int) -> tuple[int, int]:
    """First and last open time that can exist for a symbol/interval at ``now_ms``."""
    first = floor_open(interval, spec.listed_ms)
    last_instant = now_ms if spec.halted_ms is None else min(now_ms, spec.halted_ms - 1)
    return first, floor_open(interval, last_instant)


def _forward(interval: str, lo: int, hi: int, limit: int | None, gaps: Gaps) -> np.ndarray:
    parts: list[np.ndarray] = []
    need = limit if limit is not None else -1
    cur = lo
    while cur <= hi and need != 0:
        count = steps_between(interval, cur, hi) + 1
        count = min(count, need if need > 0 else _CHUNK, _CHUNK)
        cand = open_times(interval, cur, count)
        keep = cand[~_in_gaps(cand, gaps)]
        if need > 0:
            keep = keep[:need]
            need -= len(keep)
        parts.append(keep)
        cur = shift(interval, int(cand[-1]), 1)
        gap = _gap_containing(cur, gaps)
        if gap is not None:  # jump over the rest of the gap in one step
            cur = ceil_open(interval, gap[1])
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _backward(interval: str, lo: int, hi: int, limit: int, gaps: Gaps) -> np.ndarray:
    parts: list[np.ndarray] = []
    need = limit
    cur = hi
    while cur >= lo and need > 0:
        count = min(steps_between(interval, lo, cur) + 1, need)
        first = shift(interval, cur, -(count - 1))
        cand = open_times(interval, first, count)
        keep = cand[~_in_gaps(cand, gaps)][-need:]
        need -= len(keep)
        parts.append(keep)
        cur = shift(interval, first, -1)
        gap = _gap_containing(cur, gaps)
        if gap is not None:
            cur = floor_open(interval, gap[0] - 1)
    parts.reverse()
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def select_opens(
    spec: SymbolSpec,
    interval: str,
    start_ms: int | None,
    end_ms: int | None,
    limit: int | None,
    now_ms: int,
    gaps: Gaps,
) -> np.ndarray:
    """Open times (int64 ms, ascending) a query returns; ``limit=None`` means unlimited."""
    lo, hi = bounds(spec, interval, now_ms)
    if start_ms is not None:
        lo = max(lo, ceil_open(interval, start_ms))
    if end_ms is not None:
        hi = min(hi, floor_open(interval, end_ms))
    if lo > hi or limit == 0:
        return np.empty(0, dtype=np.int64)
    if start_ms is not None or limit is None:
        return _forward(interval, lo, hi, limit, gaps)
    return _backward(interval, lo, hi, limit, gaps)


def expected_klines(
    symbol: str,
    interval: str,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
    config: SandboxConfig | None = None,
) -> list[list]:
    """Every row the server serves for ``open_time`` in [start_ms, end_ms] at ``now_ms``.

    Rows are in Binance's 12-field JSON shape (decimal strings, integer ms), i.e. equal to
    ``response.json()`` of the pages that cover the range; the open candle is included when
    ``now_ms`` falls in the range, exactly as the server would include it.
    """
    config = config or SandboxConfig()
    spec = symbol_map(config.symbols).get(symbol)
    if spec is None:
        raise KeyError(f"unknown sandbox symbol {symbol!r}")
    opens = select_opens(spec, interval, start_ms, end_ms, None, now_ms, config.gaps)
    rows: list[list] = []
    for i in range(0, len(opens), _CHUNK):
        page = candles(spec, interval, opens[i : i + _CHUNK], now_ms, config.seed)
        rows.extend(json.loads(klines_json(page)))
    return rows
