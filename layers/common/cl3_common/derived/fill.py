"""`?fill=none|null|ffill` on candle reads (SPEC 10): placeholders for missing open times.

Decisions:
- `null`: every missing open time in [start, end) gets a placeholder with open, high, low,
  close, volume, quote_volume and the taker volumes None, and `trades` None too: a hole may be
  an outage or a range never fetched, so "no trades" (0) would claim something unknown.
- `ffill`: open = high = low = close = the previous close, volumes 0 and trades 0, which is
  what Binance itself serves for a minute without trades. Before the first real candle there
  is nothing to repeat, so no placeholder is made there unless the caller passes the close of
  the candle before the range (`prev_close`, e.g. from the previous page).
- Placeholders carry `"filled": true`. With `null`/`ffill` real candles carry `"filled": false`
  so every row of a JSON page or CSV export has the same columns; with `none` candles pass
  through untouched (the old shape). Resampled placeholders also get vwap None, complete false
  and sources 0.
- Placeholders are never stored: this only shapes a response.
- The caller clamps `end` to the open time after the last closed candle, or the placeholders
  run into the future.

Paging: the output may be longer than the input. `limit` caps the output; the result's
`next_start` is the open time the next page starts at (None when [start, end) is done) and
`last_close` the `prev_close` to pass with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cl3_common.derived.candle import Candle, Row, to_candle
from cl3_common.derived.timezones import BucketGrid, Zone
from cl3_common.errors import InvalidRequest

FILL_MODES = ("none", "null", "ffill")
_NULLS = dict.fromkeys(
    (
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
        "taker_buy_base",
        "taker_buy_quote",
    )
)
_RESAMPLED = {"vwap": None, "complete": False, "sources": 0}


@dataclass(frozen=True)
class FillResult:
    candles: list[Candle]
    next_start: int | None  # where the next page starts; None when the range is done
    last_close: float | None  # the close to pass as prev_close with the next page


def parse_fill(value: str | None) -> str:
    mode = (value or "none").strip().lower()
    if mode not in FILL_MODES:
        raise InvalidRequest(f"fill must be one of {', '.join(FILL_MODES)}, not {value!r}")
    return mode


def fill(
    candles: Iterable[Mapping[str, Any] | Row],
    interval: str,
    start_ms: int,
    end_ms: int,
    mode: str = "none",
    *,
    limit: int | None = None,
    prev_close: float | None = None,
    tz: str | Zone | None = None,
    resampled: bool = False,
) -> FillResult:
    """Candles of [start_ms, end_ms) (sorted by open_time) with the missing ones filled."""
    mode = parse_fill(mode)
    cap = limit if limit is not None else float("inf")
    if cap < 1:
        raise InvalidRequest(f"limit must be at least 1, got {limit}")
    grid = BucketGrid(interval, tz)
    first = grid.start(start_ms)
    t = first if first >= start_ms else grid.end(first)  # the first open time in range
    out: list[Candle] = []
    last = prev_close
    extra = _RESAMPLED if resampled else {}
    for item in candles:
        c = item if isinstance(item, dict) else _as_dict(item)
        opened = c["open_time"]
        if opened < t:
            continue
        if opened >= end_ms:
            break
        if mode == "none" or (mode == "ffill" and last is None):
            t = opened  # nothing to put in the hole: skip it without walking it
        while t < opened:  # the missing open times before this candle
            if len(out) >= cap:
                return FillResult(out, t, last)
            out.append(_placeholder(grid, t, mode, last, extra))
            t = grid.end(t)
        if len(out) >= cap:
            return FillResult(out, opened, last)
        out.append(c if mode == "none" else {**c, "filled": False})
        last = c["close"]
        t = grid.end(grid.start(opened))
    if mode == "none" or (mode == "ffill" and last is None):
        return FillResult(out, None, last)
    while t < end_ms:
        if len(out) >= cap:
            return FillResult(out, t, last)
        out.append(_placeholder(grid, t, mode, last, extra))
        t = grid.end(t)
    return FillResult(out, None, last)


def _as_dict(item: Mapping[str, Any] | Row) -> Candle:
    return dict(item) if isinstance(item, Mapping) else to_candle(item)


def _placeholder(
    grid: BucketGrid, opened: int, mode: str, last: float | None, extra: Mapping[str, Any]
) -> Candle:
    close_time = grid.end(opened) - 1
    if mode == "null":
        return {"open_time": opened, "close_time": close_time, **_NULLS, **extra, "filled": True}
    return {
        "open_time": opened,
        "close_time": close_time,
        "open": last,
        "high": last,
        "low": last,
        "close": last,
        "volume": 0.0,
        "quote_volume": 0.0,
        "trades": 0,
        "taker_buy_base": 0.0,
        "taker_buy_quote": 0.0,
        **extra,
        "filled": True,
    }
