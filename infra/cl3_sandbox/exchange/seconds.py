"""1s candles, cut out of their 1m candle so that every minute is exactly its 60 seconds.

Coarser intervals are built bottom-up from 1m (:mod:`.rollup`); 1s goes the other way, because
generating 60 independent seconds per minute would make every 1m page 60 times dearer. For each
minute, with its open ``o``, close ``c``, high ``h`` and low ``l``:

* the 61 second-boundary prices run from ``o`` to ``c`` along a hashed Brownian bridge, clipped
  to ``[l, h]`` and rounded to the tick; one chosen second reaches ``h`` and another ``l``;
* the volume (in lot steps), trade count, quote volume (in 1e-8 units) and taker volumes are cut
  at the same cumulative share points, with integer arithmetic where it matters, so the seconds
  sum back to the minute exactly and a second's taker volume never exceeds its volume.

The still-open 1m candle is the aggregate of the seconds opened so far (the current second
counts whole), so 1s and 1m agree at every instant.
"""

from __future__ import annotations

import numpy as np

from .intervals import MINUTE_MS, SECOND_MS
from .series import Candles, _salts, _unit, candles
from .symbols import SymbolSpec

_FAR_FUTURE_MS = 2**62
_N = 60
_TAG = 7_001  # salt purpose: one salt family for the second split, apart from other hashes


def _uniforms(spec: SymbolSpec, opens: np.ndarray, seed: int, count: int) -> np.ndarray:
    """``count`` uniforms per second of each minute: shape (count, minutes, 60)."""
    seconds = opens[:, None] + np.arange(_N, dtype=np.int64)[None, :] * SECOND_MS
    salts = _salts(spec.seed, seed, _TAG, count)[:, None, None]
    return _unit(seconds[None, :, :], salts)


def _path(spec: SymbolSpec, m: Candles, u: np.ndarray) -> np.ndarray:
    """Second-boundary prices, shape (minutes, 61): o ... c inside [l, h], on the tick."""
    steps = np.cumsum(u[0] - 0.5, axis=1)
    k = np.arange(1, _N + 1) / _N
    bridge = steps - k[None, :] * steps[:, -1:]
    span = np.log(m.high / m.low)[:, None]
    drift = np.log(m.close / m.open)[:, None] * k[None, :]
    inner = m.open[:, None] * np.exp(drift + 0.3 * span * bridge)
    inner = np.maximum(np.round(inner / spec.tick), 1.0) * spec.tick
    inner = np.clip(inner, m.low[:, None], m.high[:, None])
    inner[:, -1] = m.close
    return np.concatenate([m.open[:, None], inner], axis=1)


def _extremes(spec: SymbolSpec, m: Candles, p: np.ndarray, u: np.ndarray):
    top = np.maximum(p[:, :-1], p[:, 1:])
    bottom = np.minimum(p[:, :-1], p[:, 1:])
    wick = 0.15 * np.log(m.high / m.low)[:, None]
    high = np.round(top * np.exp(wick * u[1] ** 2) / spec.tick) * spec.tick
    low = np.round(bottom * np.exp(-wick * u[2] ** 2) / spec.tick) * spec.tick
    high = np.clip(high, top, m.high[:, None])
    low = np.clip(low, m.low[:, None], bottom)
    rows = np.arange(len(m))
    at_high = np.argmax(u[3], axis=1)
    at_low = (at_high + 1 + np.argmax(u[4][:, : _N - 1], axis=1)) % _N  # never the same second
    high[rows, at_high] = m.high
    low[rows, at_low] = m.low
    return high, low


def _cut(total: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Split integer ``total`` (per minute) at cumulative ``share`` points (last one exactly 1)."""
    cum = np.floor(total[:, None].astype(np.float64) * share).astype(np.int64)
    return np.diff(cum, axis=1, prepend=0)


def _cut_exact(total: np.ndarray, cum_units: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Split ``total`` proportionally to cumulative integer ``cum_units`` out of ``units``."""
    safe = np.maximum(units, 1)[:, None]
    cum = (total[:, None] * cum_units) // safe
    return np.diff(cum, axis=1, prepend=0)


def split(spec: SymbolSpec, m: Candles, seed: int = 0) -> Candles:
    """The 60 seconds of each (complete) minute in ``m``, flattened minute after minute."""
    u = _uniforms(spec, m.open_time, seed, 6)
    p = _path(spec, m, u)
    high, low = _extremes(spec, m, p, u)
    weight = np.where(u[5] < 0.25, 0.0, u[5])  # some seconds trade nothing
    weight[:, -1] += 1e-9  # a minute with volume always has a second that holds it
    share = np.cumsum(weight, axis=1)
    share /= share[:, -1:]
    units = np.rint(m.volume / spec.step).astype(np.int64)
    vol = _cut(units, share)
    cum_vol = np.cumsum(vol, axis=1)
    trades = _cut_exact(m.trades.astype(np.int64), cum_vol, units)
    taker_units = np.rint(m.taker_base / spec.step).astype(np.int64)
    taker = _cut_exact(taker_units, cum_vol, units)
    vol_share = cum_vol / np.maximum(units, 1)[:, None]
    vol_share[units == 0] = 1.0
    quote = _cut(np.rint(m.quote_volume * 1e8).astype(np.int64), vol_share)
    taker_share = np.cumsum(taker, axis=1) / np.maximum(taker_units, 1)[:, None]
    taker_share[taker_units == 0] = 1.0
    taker_quote = _cut(np.rint(m.taker_quote * 1e8).astype(np.int64), taker_share)
    opens = (m.open_time[:, None] + np.arange(_N, dtype=np.int64) * SECOND_MS).ravel()
    return Candles(
        open_time=opens,
        close_time=opens + SECOND_MS - 1,
        open=p[:, :-1].ravel(),
        high=high.ravel(),
        low=low.ravel(),
        close=p[:, 1:].ravel(),
        volume=np.round(vol.ravel() * spec.step, 8),
        quote_volume=quote.ravel() / 1e8,
        trades=trades.ravel(),
        taker_base=np.round(taker.ravel() * spec.step, 8),
        taker_quote=taker_quote.ravel() / 1e8,
    )


def take(c: Candles, index: np.ndarray) -> Candles:
    return Candles(*(getattr(c, name)[index] for name in Candles.__dataclass_fields__))


def second_candles(spec: SymbolSpec, opens: np.ndarray, seed: int = 0) -> Candles:
    """The 1s candles opening at ``opens`` (ascending), whole even if one is still open."""
    minutes = np.unique(opens // MINUTE_MS * MINUTE_MS)
    full = split(spec, candles(spec, "1m", minutes, _FAR_FUTURE_MS, seed), seed)
    where = np.searchsorted(minutes, opens // MINUTE_MS * MINUTE_MS) * _N
    return take(full, where + (opens % MINUTE_MS) // SECOND_MS)


def open_minute(spec: SymbolSpec, minute: int, now_ms: int, seed: int = 0) -> Candles:
    """The still-open 1m candle at ``now_ms``: the seconds opened so far, aggregated."""
    full = split(spec, candles(spec, "1m", np.array([minute]), _FAR_FUTURE_MS, seed), seed)
    k = int(min(_N, (now_ms - minute) // SECOND_MS + 1))
    s = take(full, np.arange(k))
    return Candles(
        open_time=np.array([minute], dtype=np.int64),
        close_time=np.array([minute + MINUTE_MS - 1], dtype=np.int64),
        open=s.open[:1],
        high=np.array([s.high.max()]),
        low=np.array([s.low.min()]),
        close=s.close[-1:],
        volume=np.array([round(float(s.volume.sum()), 8)]),
        quote_volume=np.array([round(float(s.quote_volume.sum()), 8)]),
        trades=np.array([int(s.trades.sum())], dtype=np.int64),
        taker_base=np.array([round(float(s.taker_base.sum()), 8)]),
        taker_quote=np.array([round(float(s.taker_quote.sum()), 8)]),
    )
