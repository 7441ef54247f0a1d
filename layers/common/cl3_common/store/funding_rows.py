"""Funding-rate events: what identifies a funding series, one stored event, its API shape.

A stored event is a tuple in `FUNDING_FIELDS` order: `funding_time` (epoch ms, as the exchange
stamps it, a few ms after the hour), `rate` (a fraction: 0.0001 is 0.01 %), `mark_price`
(None where the source has none: COIN-M REST and the archive files) and `interval_hours`, the
hours since the symbol's previous event (None for its first), so a symbol whose funding moved
from every 8 h to every 4 h shows the change on the event where it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cl3_common.intervals import DAY_MS, HOUR_MS

FUNDING_FIELDS: tuple[str, ...] = ("funding_time", "rate", "mark_price", "interval_hours")
FundingRow = tuple[int, float, float | None, int | None]
# An event as a source gives it: (funding_time, rate, mark price or None, the interval hours
# the source states or None).
FundingEvent = tuple[int, float, float | None, int | None]
USUAL_FUNDING_HOURS = 8  # most perpetuals' schedule (some pay every 4 h or every hour)
# How far before a range a fetch starts, so the range's first event has its predecessor
# (for `interval_hours`): longer than any funding interval.
FUNDING_LOOKBACK_MS = DAY_MS


@dataclass(frozen=True, order=True)
class FundingKey:
    market: str  # usdm | coinm
    symbol: str

    @property
    def series_id(self) -> str:
        """ "usdm:ETHUSDT": the id of per-series records (and the prefix of event ids)."""
        return f"{self.market}:{self.symbol}"

    def event_id(self, funding_time: int) -> str:
        return f"{self.series_id}_{funding_time}"

    def label(self) -> str:
        return f"{self.symbol} funding ({self.market})"

    def to_json(self) -> dict[str, str]:
        return {"market": self.market, "symbol": self.symbol}


@dataclass(frozen=True)
class FundingBounds:
    market: str
    symbol: str
    first_time: int
    last_time: int
    count: int


def hours_between(previous_ms: int, funding_ms: int) -> int:
    """Whole hours between two events (funding times land a few ms after the hour)."""
    return round((funding_ms - previous_ms) / HOUR_MS)


def rest_funding_event(raw: dict[str, Any]) -> FundingEvent:
    """One event of REST `fundingRate` (decimals as strings; COIN-M's have no markPrice)."""
    mark = raw.get("markPrice")
    return (int(raw["fundingTime"]), float(raw["fundingRate"]),
            float(mark) if mark not in (None, "") else None, None)  # fmt: skip


def with_intervals(
    events: list[FundingEvent], previous_ms: int | None
) -> tuple[list[FundingRow], int | None]:
    """Stored rows: each event's interval is measured from the event before it; the first
    event ever has none unless its source states one (the archive does)."""
    rows: list[FundingRow] = []
    for t, rate, mark, stated in events:
        hours = hours_between(previous_ms, t) if previous_ms is not None else stated
        rows.append((t, rate, mark, hours))
        previous_ms = t
    return rows, previous_ms


def funding_to_api(key: FundingKey, row: FundingRow) -> dict[str, Any]:
    return {"market": key.market, "symbol": key.symbol,
            **dict(zip(FUNDING_FIELDS, row, strict=True))}  # fmt: skip
