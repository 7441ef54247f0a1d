"""`?fill=none|null|ffill` on candle reads: placeholders for missing open times.

See docs/data-model.md, "Derived data".

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

from cl3_common.derived.candle import API_FIELDS, Candle, Row, row_to_api
from cl3_common.derived.timezones import BucketGrid, Zone
from cl3_common.errors import InvalidRequest

FILL_MODES = ("none", "null", "ffill")
_NULLS = dict.fromkeys(API_FIELDS[2:])  # every field but the two times
_PRICES = API_FIELDS[2:6]  # open, high, low, close
# What Binance serves for a minute without trades, besides the previous close.
_NO_TRADES = {f: 0 if f == "trades" else 0.0 for f in API_FIELDS[6:]}
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
    page = _Page(grid, mode, cap, prev_close, _RESAMPLED if resampled else {},
                 first if first >= start_ms else grid.end(first))  # fmt: skip
    return page.fill(candles, end_ms)


class _Page:
    """The page being filled: its candles, the next open time `t`, the last close."""

    def __init__(self, grid: BucketGrid, mode: str, cap: float, last: float | None,
                 extra: Mapping[str, Any], t: int) -> None:  # fmt: skip
        self.grid, self.mode, self.cap, self.last, self.extra, self.t = (
            grid,
            mode,
            cap,
            last,
            extra,
            t,
        )
        self.out: list[Candle] = []

    @property
    def full(self) -> bool:
        return len(self.out) >= self.cap

    @property
    def skips_holes(self) -> bool:
        return self.mode == "none" or (self.mode == "ffill" and self.last is None)

    def holes_until(self, stop: int) -> bool:
        """Placeholders for the missing open times before `stop`; False when the page filled."""
        while self.t < stop:
            if self.full:
                return False
            self.out.append(_placeholder(self.grid, self.t, self.mode, self.last, self.extra))
            self.t = self.grid.end(self.t)
        return True

    def fill(self, candles: Iterable[Mapping[str, Any] | Row], end_ms: int) -> FillResult:
        for item in candles:
            c = item if isinstance(item, dict) else _as_dict(item)
            opened = c["open_time"]
            if opened < self.t:
                continue
            if opened >= end_ms:
                break
            if self.skips_holes:
                self.t = opened  # nothing to put in the hole: skip it without walking it
            if not self.holes_until(opened):
                return FillResult(self.out, self.t, self.last)
            if self.full:
                return FillResult(self.out, opened, self.last)
            self.add(c)
        if self.skips_holes or self.holes_until(end_ms):
            return FillResult(self.out, None, self.last)
        return FillResult(self.out, self.t, self.last)

    def add(self, candle: Candle) -> None:
        self.out.append(candle if self.mode == "none" else {**candle, "filled": False})
        self.last = candle["close"]
        self.t = self.grid.end(self.grid.start(candle["open_time"]))


def _as_dict(item: Mapping[str, Any] | Row) -> Candle:
    return dict(item) if isinstance(item, Mapping) else row_to_api(item)


def _placeholder(
    grid: BucketGrid, opened: int, mode: str, last: float | None, extra: Mapping[str, Any]
) -> Candle:
    close_time = grid.end(opened) - 1
    if mode == "null":
        return {"open_time": opened, "close_time": close_time, **_NULLS, **extra, "filled": True}
    return {"open_time": opened, "close_time": close_time, **dict.fromkeys(_PRICES, last),
            **_NO_TRADES, **extra, "filled": True}  # fmt: skip
