"""The mirror's page grid: which exchange request fetches the candle at a given time.

Pages of `candles` candles from the epoch (1w from the first Monday), so clients paging from
any `startTime` meet on the same pages and each page is asked of the exchange once. 1M is one
page from 0 (a page of 499 months or more is all of history).

COIN-M klines, mark and index klines answer "the most recent `limit`" of a window of at most
200 days: such a page is asked with both bounds and spans at most 200 days, 6 calendar
months for 1M (from January or July). Everything else is asked from its start with `limit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cl3_common.exchange.markets import PREMIUM, Market
from cl3_common.intervals import DAY_MS, add_candles, align_down, nominal_ms

_WEEK_OFFSET_MS = 4 * DAY_MS  # Binance weeks open on Monday; 1970-01-01 was a Thursday
_WINDOW_MONTHS = 6  # at most 184 days


@dataclass(frozen=True)
class PageGrid:
    limit: int  # the page size CL3 asks the market for
    max_span_ms: int | None = None  # set: pages are windows asked with both bounds

    @classmethod
    def of(cls, market: Market, kind: str) -> PageGrid:
        windowed = market.max_span_ms is not None and kind != PREMIUM
        return cls(market.page_limit, market.max_span_ms if windowed else None)

    @property
    def windowed(self) -> bool:
        return self.max_span_ms is not None

    def candles(self, interval: str) -> int:
        """Candles one page holds."""
        if self.max_span_ms is None:
            return self.limit
        if interval == "1M":
            return _WINDOW_MONTHS
        return min(self.limit, self.max_span_ms // nominal_ms(interval))

    def span_ms(self, interval: str) -> int:
        return nominal_ms(interval) * self.candles(interval)

    def start(self, interval: str, at: int) -> int:
        """The open time of the page holding the candle opening at `at`."""
        if interval == "1M":
            if self.max_span_ms is None:
                return 0
            month = align_down(at, "1M")
            shift = (datetime.fromtimestamp(month / 1000, UTC).month - 1) % _WINDOW_MONTHS
            return add_candles(month, "1M", -shift)
        offset = _WEEK_OFFSET_MS if interval == "1w" else 0
        span = self.span_ms(interval)
        return offset + (at - offset) // span * span

    def end(self, interval: str, start: int) -> int:
        """Where the page starting at `start` ends (exclusive)."""
        return add_candles(start, interval, self.candles(interval))

    def holds_present(self, interval: str, at: int, now: int) -> bool:
        """The page holding `at` reaches past `now` (it is asked from its first missing
        candle rather than from its start)."""
        start = self.start(interval, at)
        if interval == "1M" and self.max_span_ms is None:
            return start + self.span_ms(interval) > now
        return self.end(interval, start) > now
