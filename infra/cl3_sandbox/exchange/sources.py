"""What a served series is: its market, kind, name, lifetime, number format and 1m generator.

Every klines page, archive file and aggregate goes through a :class:`Series`, so spot, USDⓈ-M and
COIN-M candles of every kind are produced (and checked) by the same code. A series only has to
say how its complete-resolution 1m candles look (``model.minutes``); coarser intervals are
aggregated from them (:mod:`.rollup`) and 1s is cut out of them (:mod:`.seconds`, spot only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .intervals import MINUTE_MS
from .seconds import open_minute
from .series import Candles, candles
from .symbols import SymbolSpec

SPOT, USDM, COINM = "spot", "usdm", "coinm"
TRADE, MARK, INDEX, PREMIUM = "trade", "mark", "index", "premium"


@dataclass(frozen=True)
class Format:
    """Decimal places Binance prints for a series (``None``: the field is the literal "0")."""

    price: int = 8
    volume: int | None = 8  # volume and taker buy volume; 0 prints integers (COIN-M contracts)
    quote: int | None = 8  # quote (COIN-M: base) volume and taker buy quote volume


SPOT_FORMAT = Format()
PRICE_ONLY = Format(price=8, volume=None, quote=None)  # mark, index and premium klines


class Model(Protocol):
    def minutes(self, opens: np.ndarray, now_ms: int, seed: int) -> Candles:
        """The 1m candles opening at ``opens`` (ascending, all existing) as of ``now_ms``."""
        ...


@dataclass(frozen=True)
class SpotTrade:
    spec: SymbolSpec

    def minutes(self, opens: np.ndarray, now_ms: int, seed: int) -> Candles:
        c = candles(self.spec, "1m", opens, now_ms, seed)
        if len(opens) and int(opens[-1]) + MINUTE_MS > now_ms:
            # The open minute is what its seconds so far add up to (see seconds.py).
            last = open_minute(self.spec, int(opens[-1]), now_ms, seed)
            for name in Candles.__dataclass_fields__:
                getattr(c, name)[-1] = getattr(last, name)[0]
        return c


@dataclass(frozen=True)
class Series:
    market: str
    kind: str
    name: str  # the symbol, or the pair for index klines
    first_ms: int  # data exists from the minute containing this instant
    end_ms: int | None  # and not at or after this one (halt, delivery, delisting)
    fmt: Format
    model: Model
    spec: SymbolSpec | None = None  # spot only: 1s candles are cut from its minutes

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.market, self.kind, self.name)

    def last_instant(self, now_ms: int) -> int:
        return now_ms if self.end_ms is None else min(now_ms, self.end_ms - 1)


def spot_series(spec: SymbolSpec) -> Series:
    return Series(SPOT, TRADE, spec.symbol, spec.listed_ms, spec.halted_ms, SPOT_FORMAT,
                  SpotTrade(spec), spec)  # fmt: skip
