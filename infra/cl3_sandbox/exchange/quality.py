"""Data-quality fixtures: what an audit or a plausibility check must be able to catch.

* :class:`CandleEdit`: REST serves another value for one candle than the archive does (the
  archive keeps the generated value), like the REST/archive differences users have found.
* :class:`PageCorruption`: REST klines pages covering a range come back implausible: a high
  below the low, a negative volume, open times off the interval grid, or timestamps in a unit
  that is neither ms nor µs (seconds). Corrupt pages are rendered fresh, never cached.

Archive re-uploads (new bytes, new ``.CHECKSUM``) are run-time actions on the archive store
(``SandboxExchange.reupload_archive``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .series import Candles
from .sources import SPOT, TRADE, Series

HIGH_BELOW_LOW, NEGATIVE_VOLUME = "high_below_low", "negative_volume"
OFF_GRID, BAD_TIME_UNIT = "off_grid", "bad_time_unit"
CORRUPTIONS = (HIGH_BELOW_LOW, NEGATIVE_VOLUME, OFF_GRID, BAD_TIME_UNIT)
_FIELDS = tuple(Candles.__dataclass_fields__)


@dataclass(frozen=True)
class CandleEdit:
    """REST serves ``value`` for ``field`` (a Candles column name, e.g. "close") of one candle."""

    symbol: str
    interval: str
    open_time: int
    field: str
    value: float
    market: str = SPOT
    kind: str = TRADE

    def __post_init__(self) -> None:
        if self.field not in _FIELDS[2:]:
            raise ValueError(f"cannot edit {self.field!r}; one of {_FIELDS[2:]}")


@dataclass(frozen=True)
class PageCorruption:
    """REST klines rows with ``open_time`` in [start_ms, end_ms] are served corrupted."""

    symbol: str
    interval: str
    start_ms: int
    end_ms: int
    fault: str
    market: str = SPOT
    kind: str = TRADE

    def __post_init__(self) -> None:
        if self.fault not in CORRUPTIONS:
            raise ValueError(f"unknown corruption {self.fault!r}; one of {CORRUPTIONS}")


def _copy(c: Candles) -> Candles:
    return Candles(*(getattr(c, name).copy() for name in _FIELDS))


def _corrupt(c: Candles, rows: np.ndarray, fault: str) -> None:
    if fault == HIGH_BELOW_LOW:
        c.high[rows], c.low[rows] = c.low[rows] - 1.0, c.high[rows] + 1.0
    elif fault == NEGATIVE_VOLUME:
        c.volume[rows] = -np.abs(c.volume[rows]) - 1.0
    elif fault == OFF_GRID:
        c.open_time[rows] += 30_001  # half a minute and a millisecond off any interval grid
        c.close_time[rows] += 30_001
    else:  # seconds: neither milliseconds nor microseconds
        c.open_time[rows] //= 1000
        c.close_time[rows] //= 1000


class Quality:
    """The fixtures in force (from the config, plus any added at run time); thread-safe."""

    def __init__(self, edits=(), corruptions=()) -> None:
        self._edits: list[CandleEdit] = list(edits)
        self._corruptions: list[PageCorruption] = list(corruptions)
        self._lock = threading.Lock()

    def add_edit(self, edit: CandleEdit) -> None:
        with self._lock:
            self._edits.append(edit)

    def add_corruption(self, corruption: PageCorruption) -> None:
        with self._lock:
            self._corruptions.append(corruption)

    def clear(self) -> None:
        with self._lock:
            self._edits.clear()
            self._corruptions.clear()

    def apply_rest_edits(self, series: Series, interval: str, c: Candles) -> Candles:
        with self._lock:
            mine = [
                e
                for e in self._edits
                if (e.market, e.kind, e.symbol) == series.key and e.interval == interval
            ]
        if not mine or len(c) == 0:
            return c
        c = _copy(c)
        for edit in mine:
            rows = np.flatnonzero(c.open_time == edit.open_time)
            getattr(c, edit.field)[rows] = edit.value
        return c

    def corruptions(self, series: Series, interval: str, opens: np.ndarray) -> list:
        if len(opens) == 0:
            return []
        lo, hi = int(opens[0]), int(opens[-1])
        with self._lock:
            return [p for p in self._corruptions
                    if (p.market, p.kind, p.symbol) == series.key and p.interval == interval
                    and p.start_ms <= hi and p.end_ms >= lo]  # fmt: skip

    @staticmethod
    def corrupt(c: Candles, corruptions: list[PageCorruption]) -> Candles:
        c = _copy(c)
        opens = c.open_time.copy()
        for p in corruptions:
            _corrupt(c, np.flatnonzero((opens >= p.start_ms) & (opens <= p.end_ms)), p.fault)
        return c
