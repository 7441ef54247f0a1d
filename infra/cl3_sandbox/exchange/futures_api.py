"""The USDⓈ-M (``/fapi/v1``) and COIN-M (``/dapi/v1``) market-data endpoints.

Klines of every kind take ``symbol`` (``indexPriceKlines``: ``pair``), ``interval`` (no 1s on
futures), ``startTime``, ``endTime``, ``limit`` (default 500, max 1500), weighted by ``limit``
(:func:`.params.futures_weight`). Validation follows the spot order (-1102, -1100, -1120,
-1121, -1130, -1023). COIN-M klines, mark and index klines add Binance's documented window:
at most 200 days between ``startTime`` and ``endTime`` (-1127 beyond), and "the most recent
``limit`` data from ``endTime``": with only ``startTime``, ``endTime`` becomes startTime + 200
days (up to now); with only ``endTime``, ``startTime`` becomes endTime - 200 days. That is why
COIN-M clients page with both bounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import errors
from .catalog import Catalog
from .config import FamilyConfig
from .contracts import listed_quarterlies
from .futures_info import exchange_info
from .intervals import DAY_MS, INTERVALS
from .klines import Gaps, select_opens
from .pages import KlinesRenderer
from .params import Params, dumps, futures_weight, limit, number, required_symbol
from .sources import COINM, INDEX, MARK, PREMIUM, TRADE
from .symbols import DELISTED

Handler = Callable[[Params, int], bytes]
FUTURES_INTERVALS = tuple(i for i in INTERVALS if i != "1s")
_WINDOW_MS = 200 * DAY_MS
KLINES_ENDPOINTS = {"klines": TRADE, "markPriceKlines": MARK, "indexPriceKlines": INDEX,
                    "premiumIndexKlines": PREMIUM}  # fmt: skip


class FuturesApi:
    """One futures family: ``routes`` maps a path to (weight, handler, what it counts as)."""

    def __init__(self, market: str, prefix: str, family: FamilyConfig, catalog: Catalog,
                 renderer: KlinesRenderer, gaps: Gaps, funding: Handler) -> None:  # fmt: skip
        self.market = market
        self._family = family
        self._catalog = catalog
        self._renderer = renderer
        self._gaps = gaps
        funding_weight = 1 if market == COINM else 0  # USDⓈ-M: its own 500/5 min limit only
        self.routes: dict[str, tuple[int | Callable[[Params], int], Handler, str]] = {
            f"{prefix}/ping": (1, lambda _p, _now: b"{}", ""),
            f"{prefix}/time": (1, lambda _p, now: dumps({"serverTime": now}), ""),
            f"{prefix}/exchangeInfo": (1, self.exchange_info, ""),
            f"{prefix}/fundingRate": (funding_weight, funding, "funding"),
        }
        for endpoint, kind in KLINES_ENDPOINTS.items():
            handler = self._klines_handler(kind)
            self.routes[f"{prefix}/{endpoint}"] = (futures_weight, handler, "klines")

    def listed(self, now_ms: int) -> list:
        contracts = [c for c in self._catalog.contracts.values()
                     if c.market == self.market and c.status != DELISTED]  # fmt: skip
        if self.market == COINM:
            contracts += listed_quarterlies(now_ms)
        return contracts

    def exchange_info(self, params: Params, now_ms: int) -> bytes:
        body = exchange_info(self.market, self.listed(now_ms), self._family.weight_limit,
                             self._family.window_s, now_ms)  # fmt: skip
        return dumps(body)

    def _klines_handler(self, kind: str) -> Handler:
        return lambda params, now_ms: self.klines(kind, params, now_ms)

    def klines(self, kind: str, params: Params, now_ms: int) -> bytes:
        name = required_symbol(params, "pair" if kind == INDEX else "symbol")
        interval = params.get("interval") or None
        if interval is None:
            raise errors.mandatory("interval")
        start, end = number(params, "startTime"), number(params, "endTime")
        number(params, "limit")
        if interval not in FUTURES_INTERVALS:
            raise errors.invalid_interval()
        series = self._catalog.series(self.market, kind, name, now_ms=now_ms)
        if series is None:
            raise errors.invalid_symbol()
        count = limit(params, 500, 1500)
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        if self.market == COINM and kind != PREMIUM:
            opens = self._coinm_window(series, interval, start, end, count, now_ms)
        else:
            opens = select_opens(series, interval, start, end, count, now_ms, self._gaps)
        return self._renderer.body(series, interval, opens, now_ms)

    def _coinm_window(self, series, interval: str, start: int | None, end: int | None,
                      count: int, now_ms: int) -> np.ndarray:  # fmt: skip
        if start is not None and end is not None and end - start > _WINDOW_MS:
            raise errors.more_than_hours(_WINDOW_MS // 3_600_000)
        if start is not None and end is None:
            end = min(start + _WINDOW_MS, now_ms)
        elif end is not None and start is None:
            start = end - _WINDOW_MS
        return select_opens(series, interval, start, end, count, now_ms, self._gaps,
                            from_end=True)  # fmt: skip
