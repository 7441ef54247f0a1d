"""Funding-rate history: ``/fapi/v1/fundingRate``, ``/dapi/v1/fundingRate`` and the archive CSVs.

Events follow each perpetual's funding schedule: every 8 h (00:00, 08:00, 16:00 UTC) or every
4 h after a switch (an event belongs to the interval that ends at it, so the event *at* the
switch time still closes an 8 h period). Like Binance's, ``fundingTime`` lands a few
milliseconds after the nominal time (0-19 ms here, deterministic). The rate is Binance's formula
``F = P + clamp(I - P, -0.05 %, 0.05 %)`` with ``I`` = 0.01 % per 8 h and ``P`` the average of
the contract's premium index over the interval (sampled), capped at +-2 %; ``markPrice`` is the
mark price of the event's minute (the open of that 1m mark kline).

REST (USDⓈ-M docs): ``symbol`` optional, ``startTime``/``endTime`` inclusive, ``limit`` default
100 max 1000; neither time: the latest ``limit``; otherwise the first ``limit`` from
``startTime``; ascending. COIN-M: ``symbol`` mandatory, no ``markPrice`` field, delivery
contracts answer ``[]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import errors
from .contracts import Contract
from .derivatives import Paths
from .intervals import HOUR_MS, MINUTE_MS
from .params import Params, dumps, limit, number, required_symbol, symbol
from .series import _salts, _unit
from .sources import COINM
from .symbols import DELISTED, SymbolSpec

_INTEREST_8H = 0.0001
_CLAMP = 0.0005
_CAP = 0.02
_SAMPLES = 8


@dataclass(frozen=True)
class Events:
    symbol: str
    times: np.ndarray  # fundingTime, ms (with the few-ms delay)
    hours: np.ndarray  # funding interval each event closes
    rates: np.ndarray
    marks: np.ndarray


def nominal_times(contract: Contract, last_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Scheduled funding times (and their interval hours) after onboarding, up to ``last_ms``."""
    if not contract.funding:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    end = last_ms if contract.end_ms is None else min(last_ms, contract.end_ms)
    bounds = [min(max(s, contract.onboard_ms), end) for s, _ in contract.funding[1:]] + [end]
    times, hours, low = [], [], contract.onboard_ms
    for (_, h), high in zip(contract.funding, bounds, strict=True):
        step = h * HOUR_MS
        first = low // step * step + step  # events in (low, high]
        segment = np.arange(first, high + 1, step, dtype=np.int64)
        times.append(segment)
        hours.append(np.full(len(segment), h, dtype=np.int64))
        low = max(low, high)
    return np.concatenate(times), np.concatenate(hours)


def delayed(contract: Contract, underlying: SymbolSpec, nominal: np.ndarray, seed: int):
    """``fundingTime`` of scheduled events: 0-19 ms late, as Binance's are."""
    salt = _salts(contract.as_spec(underlying).seed, seed, 6_001, 1)[0]
    return nominal + np.floor(_unit(nominal, salt) * 20).astype(np.int64)


def events(contract: Contract, underlying: SymbolSpec, nominal: np.ndarray, hours: np.ndarray,
           seed: int) -> Events:  # fmt: skip
    """Rates, marks and delayed times of these scheduled events."""
    paths = Paths(contract, underlying, seed)
    offsets = np.arange(_SAMPLES, dtype=np.int64) * HOUR_MS // _SAMPLES
    samples = nominal[:, None] - hours[:, None] * offsets[None, :]
    premium = paths.premium(samples.ravel()).reshape(samples.shape).mean(axis=1)
    interest = _INTEREST_8H * hours / 8
    rate = premium + np.clip(interest - premium, -_CLAMP, _CLAMP)
    rate = np.round(np.clip(rate, -_CAP, _CAP), 8) + 0.0  # no "-0.00000000"
    minute = nominal // MINUTE_MS * MINUTE_MS
    marks = np.round(np.exp(paths.mark(minute)), 8)
    times = delayed(contract, underlying, nominal, seed)
    return Events(contract.symbol, times, hours, rate, marks)


def select(times: np.ndarray, start: int | None, end: int | None, count: int) -> np.ndarray:
    """Indexes of the events a query returns (``times`` ascending, bounds inclusive)."""
    lo = 0 if start is None else int(np.searchsorted(times, start, "left"))
    hi = len(times) if end is None else int(np.searchsorted(times, end, "right"))
    if start is None and end is None:
        lo = max(0, hi - count)
    elif start is None:
        lo = max(lo, hi - count)
    return np.arange(lo, min(hi, lo + count))


class FundingApi:
    """One family's ``fundingRate`` handler."""

    def __init__(self, market: str, resolve, perpetuals, seed: int) -> None:
        self._market = market
        self._resolve = resolve  # symbol, now_ms -> (Contract, SymbolSpec) | None
        self._perpetuals = perpetuals  # now_ms -> [(Contract, SymbolSpec)] (no symbol given)
        self._seed = seed

    def __call__(self, params: Params, now_ms: int) -> bytes:
        if self._market == COINM:
            name: str | None = required_symbol(params)
        else:
            name = symbol(params)
        start, end = number(params, "startTime"), number(params, "endTime")
        count = limit(params, 100, 1000)
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        if name is None:
            targets = self._perpetuals(now_ms)
        else:
            found = self._resolve(name, now_ms)
            if found is None:
                raise errors.invalid_symbol()
            targets = [found]
        rows: list[tuple[int, str, dict]] = []
        for contract, underlying in targets:
            nominal, hours = nominal_times(contract, now_ms)
            picked = select(delayed(contract, underlying, nominal, self._seed), start, end, count)
            ev = events(contract, underlying, nominal[picked], hours[picked], self._seed)
            rows += [(int(t), ev.symbol, self._row(ev, i, int(t))) for i, t in enumerate(ev.times)]
        rows.sort(key=lambda row: (row[0], row[1]))
        if name is None:  # several symbols: the same selection over the merged history
            rows = rows[-count:] if start is None else rows[:count]
        return dumps([row for _, _, row in rows])

    def _row(self, ev: Events, i: int, t: int) -> dict:
        rate = f"{ev.rates[i]:.8f}"
        if self._market == COINM:
            return {"symbol": ev.symbol, "fundingTime": t, "fundingRate": rate}
        return {"symbol": ev.symbol, "fundingRate": rate, "fundingTime": t,
                "markPrice": f"{ev.marks[i]:.8f}"}  # fmt: skip


def archive_csv(ev: Events) -> bytes:
    """data.binance.vision's monthly fundingRate CSV, header included."""
    lines = ["calc_time,funding_interval_hours,last_funding_rate"]
    lines += [f"{t},{h},{r:.8f}" for t, h, r in zip(ev.times, ev.hours, ev.rates, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def funding_handler(market: str, catalog, seed: int) -> FundingApi:
    """The ``fundingRate`` endpoint of ``market`` over what REST knows (no delisted symbols)."""

    def resolve(name: str, now_ms: int):
        contract = catalog.contract(market, name, False, now_ms)
        return None if contract is None else (contract, catalog.underlying(contract))

    def perpetuals(now_ms: int):
        return [(c, catalog.underlying(c)) for c in catalog.contracts.values()
                if c.market == market and c.perpetual and c.status != DELISTED]  # fmt: skip

    return FundingApi(market, resolve, perpetuals, seed)
