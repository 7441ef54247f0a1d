"""Which candles a klines query returns, exactly as Binance selects them.

* ``startTime`` given: the first ``limit`` candles with ``open_time >= startTime`` (and
  ``<= endTime`` if given), ascending.
* only ``endTime``: the last ``limit`` candles with ``open_time <= endTime``.
* neither: the latest ``limit`` candles.

Candles exist from the one containing the listing time up to the one containing ``now``
(the still-open candle is included, as on Binance), not after a halted symbol's halt, and not
where they would hold no minute at all: a candle lying wholly inside an exchange gap does not
exist (a candle overlapping a gap does, made of the minutes around it). Gaps are skipped (a page
holds ``limit`` existing candles when there are that many), so the paging loops below jump over
a gap instead of walking through it. ``tz_ms`` moves the interval boundaries to that time zone.
"""

from __future__ import annotations

import json

import numpy as np

from .catalog import Catalog
from .config import SandboxConfig
from .intervals import ceil_open, floor_open, next_opens, open_times, shift, steps_between
from .quality import Quality
from .render import klines_json
from .rollup import Rollup
from .sources import SPOT, TRADE, Series
from .timezones import parse_time_zone

Gaps = tuple[tuple[int, int], ...]
# Internal page size when no limit applies (expected_klines over long ranges).
_CHUNK = 100_000


def merge_gaps(gaps: Gaps) -> Gaps:
    """Sorted, with overlapping or touching gaps merged (coverage is then one gap's business)."""
    merged: list[list[int]] = []
    for start, end in sorted(gaps):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _covered(opens: np.ndarray, nexts: np.ndarray, gaps: Gaps) -> np.ndarray:
    hit = np.zeros(len(opens), dtype=bool)
    for start, end in gaps:
        hit |= (opens >= start) & (nexts <= end)
    return hit


def _covering(interval: str, t: int, gaps: Gaps, tz_ms: int) -> tuple[int, int] | None:
    """The gap that wholly covers the candle opening at ``t``, if any."""
    end = shift(interval, t, 1, tz_ms)
    for gap in gaps:
        if gap[0] <= t and end <= gap[1]:
            return gap
    return None


def bounds(series: Series, interval: str, now_ms: int, tz_ms: int = 0) -> tuple[int, int]:
    """First and last open time that can exist for a series/interval at ``now_ms``."""
    first = floor_open(interval, series.first_ms, tz_ms)
    return first, floor_open(interval, series.last_instant(now_ms), tz_ms)


def _forward(interval: str, lo: int, hi: int, limit: int | None, gaps: Gaps, tz_ms: int):
    parts: list[np.ndarray] = []
    need = limit if limit is not None else -1
    cur = lo
    while cur <= hi and need != 0:
        count = steps_between(interval, cur, hi, tz_ms) + 1
        count = min(count, need if need > 0 else _CHUNK, _CHUNK)
        cand = open_times(interval, cur, count, tz_ms)
        keep = cand[~_covered(cand, next_opens(interval, cand, tz_ms), gaps)]
        if need > 0:
            keep = keep[:need]
            need -= len(keep)
        parts.append(keep)
        cur = shift(interval, int(cand[-1]), 1, tz_ms)
        gap = _covering(interval, cur, gaps, tz_ms)
        if gap is not None:  # jump to the first candle not wholly inside the gap
            after = floor_open(interval, gap[1] - 1, tz_ms)
            cur = after if shift(interval, after, 1, tz_ms) > gap[1] else gap[1]
            cur = max(cur, floor_open(interval, cur, tz_ms))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _backward(interval: str, lo: int, hi: int, limit: int, gaps: Gaps, tz_ms: int):
    parts: list[np.ndarray] = []
    need = limit
    cur = hi
    while cur >= lo and need > 0:
        count = min(steps_between(interval, lo, cur, tz_ms) + 1, need)
        first = shift(interval, cur, -(count - 1), tz_ms)
        cand = open_times(interval, first, count, tz_ms)
        keep = cand[~_covered(cand, next_opens(interval, cand, tz_ms), gaps)][-need:]
        need -= len(keep)
        parts.append(keep)
        cur = shift(interval, first, -1, tz_ms)
        gap = _covering(interval, cur, gaps, tz_ms)
        if gap is not None:
            cur = floor_open(interval, gap[0] - 1, tz_ms)
    parts.reverse()
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def select_opens(
    series: Series,
    interval: str,
    start_ms: int | None,
    end_ms: int | None,
    limit: int | None,
    now_ms: int,
    gaps: Gaps,
    tz_ms: int = 0,
    from_end: bool = False,
) -> np.ndarray:
    """Open times (int64 ms, ascending) a query returns; ``limit=None`` means unlimited.

    ``from_end``: the last ``limit`` candles of the range even when ``start_ms`` is given
    (COIN-M's "most recent limit data from endTime").
    """
    lo, hi = bounds(series, interval, now_ms, tz_ms)
    if start_ms is not None:
        lo = max(lo, ceil_open(interval, start_ms, tz_ms))
    if end_ms is not None:
        hi = min(hi, floor_open(interval, end_ms, tz_ms))
    if lo > hi or limit == 0:
        return np.empty(0, dtype=np.int64)
    if limit is not None and (from_end or start_ms is None):
        return _backward(interval, lo, hi, limit, gaps, tz_ms)
    return _forward(interval, lo, hi, limit, gaps, tz_ms)


def expected_klines(
    symbol: str,
    interval: str,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
    config: SandboxConfig | None = None,
    *,
    market: str = SPOT,
    kind: str = TRADE,
    time_zone: str | None = None,
) -> list[list]:
    """Every row the server serves for ``open_time`` in [start_ms, end_ms] at ``now_ms``.

    Rows are in Binance's 12-field JSON shape (decimal strings, integer ms), i.e. equal to
    ``response.json()`` of the REST pages that cover the range (including any REST-only
    edits the config asks for); the open candle is included when ``now_ms`` falls in the
    range, exactly as the server would include it. ``market`` is spot, usdm or coinm; ``kind``
    trade, mark, index (``symbol`` is then the pair) or premium; ``time_zone`` is Binance's
    ``timeZone`` value (spot only), e.g. "8" or "-05:30".
    """
    config = config or SandboxConfig()
    series = Catalog(config).series(market, kind, symbol, archives=True)
    if series is None:
        raise KeyError(f"unknown sandbox series {market}/{kind}/{symbol}")
    tz_ms = parse_time_zone(time_zone) if time_zone is not None else 0
    gaps = merge_gaps(config.gaps)
    rollup = Rollup(gaps, config.seed, budget_bytes=64 << 20)
    quality = Quality(config.rest_edits)
    opens = select_opens(series, interval, start_ms, end_ms, None, now_ms, gaps, tz_ms)
    rows: list[list] = []
    for i in range(0, len(opens), _CHUNK):
        page = rollup.candles(series, interval, opens[i : i + _CHUNK], now_ms, tz_ms)
        page = quality.apply_rest_edits(series, interval, page)
        rows.extend(json.loads(klines_json(page, series.fmt)))
    return rows


def expected_klines_in_zone(
    symbol: str,
    interval: str,
    time_zone: str,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
    config: SandboxConfig | None = None,
) -> list[list]:
    """:func:`expected_klines` of spot ``/api/v3/klines?timeZone=...``: the same minutes,
    bucketed at that zone's boundaries (``startTime``/``endTime`` stay UTC)."""
    return expected_klines(symbol, interval, start_ms, end_ms, now_ms, config,
                           time_zone=time_zone)  # fmt: skip
