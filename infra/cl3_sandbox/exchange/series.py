"""Deterministic synthetic candles, computable for any open time in O(1) and vectorised.

The price is a continuous function of time, ``P(t)``, so a candle only needs its own open time:
``open = P(open_time)`` and ``close = P(next_open_time)``, which makes ``open_t == close_{t-1}``
hold by construction and lets any page (or a whole archive month) be generated independently.

``ln P(t)`` is the sum of

* a per-symbol drift,
* multi-octave value noise (hashed lattice values, linearly interpolated, octave spacings of
  1 s, 4 s, 16 s, ... ~2 years, amplitudes growing like sqrt(spacing)): increments then have a
  variance roughly proportional to their length, i.e. it looks like a random walk at every
  interval;
* an hour-of-day and a day-of-week periodic component, so calendar analyses find real effects.

Wicks, volumes and trade counts come from per-candle hashes of (symbol, interval, open time).
Prices are rounded to the symbol's tick and volumes to its step, so the numbers look like
Binance's and do not depend on the last bit of a transcendental function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .intervals import DAY_MS, INTERVALS, NOMINAL_MS, WEEK_MS, WEEK_OFFSET_MS, next_opens
from .symbols import SymbolSpec

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_YEAR_MS = 365.25 * DAY_MS
# Value-noise octaves: spacing 1 s * 4**k for k < _OCTAVES (the last one is ~2.1 years).
_OCTAVES = 14
_GROUP = 4
_OCTAVE = np.arange(_OCTAVES, dtype=np.int64)[:, None]
_SPACING_F = 1000.0 * 4.0**_OCTAVE
_ONE_BITS = np.uint64(0x3FF0000000000000)  # float64 1.0
# Variance of an increment of the octave sum over dt is ~ _KAPPA * c**2 * dt (measured), so c
# is chosen from the symbol's daily volatility.
_KAPPA = 0.75
_HOUR_AMPLITUDE = 0.005  # log-price amplitude of the intraday cycle, for vol_daily = 3.5 %
_WEEK_AMPLITUDE = 0.015  # log-price amplitude of the weekly cycle


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-mixed integer hash (uint64 arithmetic wraps)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _salt(*parts: int) -> np.uint64:
    z = np.array([0], dtype=np.uint64)
    for part in parts:
        z = _mix(z ^ np.uint64(part & 0xFFFFFFFFFFFFFFFF))
    return z[0]


@lru_cache(maxsize=256)
def _salts(symbol_seed: int, seed: int, tag: int, count: int) -> np.ndarray:
    """``count`` independent salts for one (symbol, seed, purpose); cached, they are reused."""
    return np.array([_salt(symbol_seed, seed, tag, i) for i in range(count)], dtype=np.uint64)


def _signed(z: np.ndarray) -> np.ndarray:
    """Uniform in [-1, 1) from hashed uint64s.

    The top 52 bits become the mantissa of a float in [1, 2): a bit-level view, because numpy's
    uint64 -> float64 cast is scalar on AVX2 machines and dominated the page time.
    """
    return ((z >> np.uint64(12)) | _ONE_BITS).view(np.float64) * 2.0 - 3.0


def _unit(key: np.ndarray, salt: np.ndarray | np.uint64) -> np.ndarray:
    """Uniform in [0, 1) from integer keys (non-negative int64 arrays), broadcast with salt."""
    return (_signed(_mix(key.view(np.uint64) * _GOLDEN + salt)) + 1.0) * 0.5


def _phases(spec: SymbolSpec, seed: int) -> np.ndarray:
    return _unit(np.arange(4, dtype=np.int64), _salts(spec.seed, seed, 1, 1)[0]) * (2 * np.pi)


def _noise(spec: SymbolSpec, t: np.ndarray, seed: int) -> np.ndarray:
    c = spec.vol_daily / np.sqrt(_KAPPA * DAY_MS)
    seconds = (t // 1000)[None, :]
    t_float = t.astype(np.float64)[None, :]
    salts = _salts(spec.seed, seed, 0, _OCTAVES)[:, None]
    total = np.zeros(len(t))
    # Octaves are processed a few at a time as (octave, time) matrices: one hash pass per
    # group, and temporaries small enough (< 128 KiB a page) for malloc to reuse instead of
    # mmap-ing and page-faulting fresh memory on every call, which tripled the page time.
    for first in range(0, _OCTAVES, _GROUP):
        rows = slice(first, first + _GROUP)
        # The lattice index is an exact integer shift; the fraction is computed in floating
        # point (t / spacing never lands within rounding distance of an integer, so they agree).
        idx = seconds >> (2 * _OCTAVE[rows])
        q = t_float / _SPACING_F[rows]
        frac = q - np.floor(q)
        keys = idx.view(np.uint64) * _GOLDEN + salts[rows]
        v0 = _signed(_mix(keys))
        v1 = _signed(_mix(keys + _GOLDEN))
        octaves = (c * np.sqrt(_SPACING_F[rows])) * (v0 + (v1 - v0) * frac)
        for octave in octaves:  # explicit order: the sum must not depend on len(t)
            total += octave
    return total


@lru_cache(maxsize=64)
def _noise_at_listing(spec: SymbolSpec, seed: int) -> float:
    return float(_noise(spec, np.array([spec.listed_ms], dtype=np.int64), seed)[0])


def log_price(spec: SymbolSpec, t_ms: np.ndarray, seed: int = 0) -> np.ndarray:
    """ln P(t) for int64 epoch-ms times; a pure function of (symbol, seed, t)."""
    t = np.ascontiguousarray(t_ms, dtype=np.int64)
    # Anchored so that the listing price is the symbol's nominal one.
    noise = _noise(spec, t, seed) - _noise_at_listing(spec, seed)
    phase = _phases(spec, seed)
    scale = spec.vol_daily / 0.035
    day = 2 * np.pi * (t % DAY_MS) / DAY_MS
    week = 2 * np.pi * ((t - WEEK_OFFSET_MS) % WEEK_MS) / WEEK_MS
    seasonal = scale * (
        _HOUR_AMPLITUDE * (np.sin(day + phase[0]) + 0.5 * np.sin(2 * day + phase[1]))
        + _WEEK_AMPLITUDE * (np.sin(week + phase[2]) + 0.3 * np.sin(2 * week + phase[3]))
    )
    trend = spec.drift * (t - spec.listed_ms) / _YEAR_MS
    return np.log(spec.price) + trend + noise + seasonal


@dataclass(frozen=True)
class Candles:
    """Columns of a run of candles (numpy arrays of equal length)."""

    open_time: np.ndarray
    close_time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    trades: np.ndarray
    taker_base: np.ndarray
    taker_quote: np.ndarray

    def __len__(self) -> int:
        return len(self.open_time)


def _to_tick(x: np.ndarray, tick: float) -> np.ndarray:
    return np.maximum(np.round(x / tick), 1.0) * tick


def _volume(spec: SymbolSpec, interval: str, opens: np.ndarray, o: np.ndarray, c: np.ndarray,
            sigma: np.ndarray, done: np.ndarray, u: np.ndarray) -> np.ndarray:  # fmt: skip
    """Base volume in lot steps: busier in the US/EU overlap and on weekdays, and on big moves."""
    hour = (opens % DAY_MS) / 3_600_000
    weekday = ((opens - WEEK_OFFSET_MS) % WEEK_MS) // DAY_MS
    intraday = 1.0 + 0.45 * np.sin(2 * np.pi * (hour - 9.0) / 24.0)
    weekly = np.where(weekday >= 5, 0.7, 1.05)
    move = np.abs(np.log(c / o)) / np.maximum(sigma, 1e-12)
    minutes = NOMINAL_MS[interval] / 60_000 * done
    raw_volume = (spec.volume_per_min * minutes * intraday * weekly * np.exp(0.8 * (u - 0.5))) * (
        1.0 + 0.35 * np.minimum(move, 6.0)
    )
    return np.round(raw_volume / spec.step) * spec.step


def candles(
    spec: SymbolSpec,
    interval: str,
    opens: np.ndarray,
    now_ms: int,
    seed: int = 0,
    log_prices: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Candles:
    """The candles opening at ``opens`` as seen at ``now_ms``.

    A candle still open at ``now_ms`` is partial, as on Binance: its close is the price at
    ``now_ms`` and its volume covers only the elapsed part; later it becomes the full candle.
    ``log_prices`` replaces the symbol's own price process (futures follow their underlying's).
    """
    opens = np.asarray(opens, dtype=np.int64)
    nexts = next_opens(interval, opens)
    ends = np.minimum(nexts, now_ms)  # where the close price is taken
    # Elapsed fraction: 1 for closed candles (clipped: callers never ask for future ones).
    done = np.clip((ends - opens) / (nexts - opens), 0.0, 1.0)
    # Closes of contiguous candles are the next opens: price each distinct instant once.
    instants, where = np.unique(np.concatenate([opens, ends]), return_inverse=True)
    logs = log_price(spec, instants, seed) if log_prices is None else log_prices(instants)
    prices = _to_tick(np.exp(logs), spec.tick)[where]
    o, c = prices[: len(opens)], prices[len(opens) :]

    salts = _salts(spec.seed, seed, 1000 + INTERVALS.index(interval), 5)[:, None]
    u = _unit(opens[None, :], salts)  # five independent uniforms per candle, one hash pass
    sigma = spec.vol_daily * np.sqrt(NOMINAL_MS[interval] / DAY_MS * done)
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    h = np.maximum(_to_tick(top * np.exp(sigma * 0.9 * u[0] ** 2), spec.tick), top)
    low = np.minimum(_to_tick(bottom * np.exp(-sigma * 0.9 * u[1] ** 2), spec.tick), bottom)

    volume = _volume(spec, interval, opens, o, c, sigma, done, u[2])
    vwap = (o + h + low + c) / 4.0
    quote_volume = np.round(volume * vwap, spec.quote_places)
    per_trade = spec.trade_quote * np.exp(0.6 * (u[3] - 0.5))
    trades = np.where(volume > 0, np.floor(quote_volume / per_trade) + 1, 0).astype(np.int64)
    share = np.clip(0.5 + 0.2 * np.tanh(np.log(c / o) / np.maximum(sigma, 1e-12)), 0.05, 0.95)
    share = share + 0.1 * (u[4] - 0.5)
    taker_base = np.minimum(np.round(volume * share / spec.step) * spec.step, volume)
    taker_quote = np.round(taker_base * vwap, spec.quote_places)
    return Candles(
        open_time=opens,
        close_time=nexts - 1,
        open=o,
        high=h,
        low=low,
        close=c,
        volume=volume,
        quote_volume=quote_volume,
        trades=trades,
        taker_base=taker_base,
        taker_quote=taker_quote,
    )
