"""Futures candles of every kind, all following the underlying spot pair's price process.

For a contract on pair ``P`` with underlying spot price ``S(t)``:

* index ``I(t) = S(t) * exp(w_P(t))``, ``w`` a small hashed wiggle (the index is a basket of
  spot prices, close to but not exactly the sandbox's spot pair);
* last (trade) price ``F(t) = I(t) * exp(b(t))`` with the basis ``b`` = a slow part (hours), a
  fast part (minutes) and, for quarterlies, a contango that decays to zero at delivery;
* mark ``M(t) = I(t) * exp(slow basis)``: the last price without its noise;
* premium index ``F / I - 1``, which is what funding rates are computed from.

Trade klines reuse :func:`.series.candles` (wicks, volumes, trades) with that price path. Mark,
index and premium klines have only prices: Binance sends "0" for their volumes and, in the
trades field, the number of samples (1 a second for mark and index, 1 every 5 s for premium).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .contracts import Contract
from .intervals import DAY_MS, HOUR_MS, MINUTE_MS
from .series import Candles, _salts, _unit, candles, log_price
from .sources import COINM, INDEX, MARK, PREMIUM
from .symbols import SymbolSpec

_YEAR_MS = 365.25 * DAY_MS
_CONTANGO = 0.06  # a year before delivery a quarterly trades ~6 % over its index


def _wiggle(key: int, seed: int, t: np.ndarray, spacing_ms: int, amplitude: float) -> np.ndarray:
    """Piecewise-linear hashed noise in [-amplitude, amplitude], one knot every spacing."""
    salt = _salts(key, seed, 9_000 + spacing_ms // 1000, 1)[0]
    idx = t // spacing_ms
    frac = (t - idx * spacing_ms) / spacing_ms
    v0 = _unit(idx, salt) * 2.0 - 1.0
    v1 = _unit(idx + 1, salt) * 2.0 - 1.0
    return amplitude * (v0 + (v1 - v0) * frac)


@dataclass(frozen=True)
class Paths:
    """The log-price paths of one contract (and of its pair's index)."""

    contract: Contract
    underlying: SymbolSpec
    seed: int

    def index(self, t: np.ndarray) -> np.ndarray:
        key = zlib.crc32(self.contract.pair.encode())
        return log_price(self.underlying, t, self.seed) + _wiggle(
            key, self.seed, t, MINUTE_MS, 5e-5
        )

    def slow_basis(self, t: np.ndarray) -> np.ndarray:
        key = self.contract.as_spec(self.underlying).seed
        slow = 1e-4 + _wiggle(key, self.seed, t, 2 * HOUR_MS, 4e-4)
        slow = slow + _wiggle(key, self.seed, t, 3 * DAY_MS, 1.2e-3)  # bullish and bearish spells
        if not self.contract.perpetual:
            slow = slow + _CONTANGO * np.maximum(self.contract.delivery_ms - t, 0) / _YEAR_MS
        return slow

    def basis(self, t: np.ndarray) -> np.ndarray:
        key = self.contract.as_spec(self.underlying).seed
        return self.slow_basis(t) + _wiggle(key, self.seed, t, 5 * MINUTE_MS, 2e-4)

    def trade(self, t: np.ndarray) -> np.ndarray:
        return self.index(t) + self.basis(t)

    def mark(self, t: np.ndarray) -> np.ndarray:
        return self.index(t) + self.slow_basis(t)

    def premium(self, t: np.ndarray) -> np.ndarray:
        return np.expm1(self.basis(t))


@dataclass(frozen=True)
class FuturesTrade:
    contract: Contract
    underlying: SymbolSpec

    def minutes(self, opens: np.ndarray, now_ms: int, seed: int) -> Candles:
        paths = Paths(self.contract, self.underlying, seed)
        spec = self.contract.as_spec(self.underlying)
        c = candles(spec, "1m", opens, now_ms, seed, log_prices=paths.trade)
        if self.contract.market != COINM:
            return c
        # COIN-M: volumes are contracts; the 8th field is the base asset volume.
        size = self.contract.contract_size
        vwap = (c.open + c.high + c.low + c.close) / 4.0
        trades = (c.volume // 4 + (c.volume > 0)).astype(np.int64)
        return Candles(c.open_time, c.close_time, c.open, c.high, c.low, c.close, c.volume,
                       np.round(c.volume * size / vwap, 8), trades, c.taker_base,
                       np.round(c.taker_base * size / vwap, 8))  # fmt: skip


@dataclass(frozen=True)
class PriceKind:
    """Mark, index or premium-index klines (prices only)."""

    kind: str
    contract: Contract
    underlying: SymbolSpec

    def minutes(self, opens: np.ndarray, now_ms: int, seed: int) -> Candles:
        paths = Paths(self.contract, self.underlying, seed)
        nexts = opens + MINUTE_MS
        ends = np.minimum(nexts, now_ms)
        instants, where = np.unique(np.concatenate([opens, ends]), return_inverse=True)
        if self.kind == PREMIUM:
            values = np.round(paths.premium(instants), 8)[where]
        else:
            path = paths.index if self.kind == INDEX else paths.mark
            values = np.round(np.exp(path(instants)), 8)[where]
        o, c = values[: len(opens)], values[len(opens) :]
        key = self.contract.as_spec(self.underlying).seed + (1 if self.kind == MARK else 2)
        u = _unit(opens[None, :], _salts(key, seed, 8_000 + len(self.kind), 2)[:, None])
        top, bottom = np.maximum(o, c), np.minimum(o, c)
        if self.kind == PREMIUM:
            high = np.round(top + 1e-4 * u[0] ** 2, 8)
            low = np.round(bottom - 1e-4 * u[1] ** 2, 8)
        else:
            sigma = self.underlying.vol_daily * np.sqrt(MINUTE_MS / DAY_MS) * 0.5
            high = np.maximum(np.round(top * np.exp(sigma * u[0] ** 2), 8), top)
            low = np.minimum(np.round(bottom * np.exp(-sigma * u[1] ** 2), 8), bottom)
        sample_ms = 5_000 if self.kind == PREMIUM else 1_000
        count = (ends - opens) // sample_ms
        count = np.where(ends == nexts, MINUTE_MS // sample_ms, np.maximum(count, 1))
        zeros = np.zeros(len(opens))
        return Candles(opens, nexts - 1, o, high, low, c, zeros, zeros, count.astype(np.int64),
                       zeros, zeros)  # fmt: skip
