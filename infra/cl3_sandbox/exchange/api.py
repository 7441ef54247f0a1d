"""The spot REST endpoints (``/api/v3/...``): parameter validation and JSON bodies.

Validation follows Binance's order and wording: mandatory parameters first (-1102), then
number/charset formats (-1100), then the interval (-1120), the symbol (-1121), ranges (-1130)
and finally ``startTime > endTime`` (-1023). ``timeZone`` moves the interval boundaries
(see :mod:`.timezones`); an invalid one is -1130.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from . import errors
from .catalog import Catalog
from .config import SandboxConfig
from .errors import BinanceError
from .intervals import is_interval
from .klines import merge_gaps, select_opens
from .pages import KlinesRenderer
from .params import Params, dumps, limit, number, symbol
from .sources import SPOT, TRADE
from .symbols import symbol_info
from .timezones import parse_time_zone

Handler = Callable[[Params, int], bytes]

_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]$')
_STATUSES = ("TRADING", "HALT", "BREAK")
DEFAULT_LIMIT, MAX_LIMIT = 500, 1000


def rate_limits(config: SandboxConfig) -> list[dict[str, object]]:
    """``exchangeInfo.rateLimits``; a scaled window is reported as it is (e.g. 6 SECOND)."""
    num, unit = errors.window_unit(config.window_s)
    raw_num, raw_unit = errors.window_unit(config.window_s * 5)
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": unit, "intervalNum": num,
         "limit": config.weight_limit},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": raw_unit, "intervalNum": raw_num,
         "limit": 61000},
    ]  # fmt: skip


class RestApi:
    """Maps a path to (weight, handler); handlers return a 200 body or raise BinanceError."""

    def __init__(self, config: SandboxConfig, catalog: Catalog, renderer: KlinesRenderer) -> None:
        self._config = config
        self._catalog = catalog
        self._gaps = merge_gaps(config.gaps)
        self._infos = {name: symbol_info(spec) for name, spec in catalog.spot.items()}
        self._rate_limits = rate_limits(config)
        self.renderer = renderer
        # Binance's weights: exchangeInfo 20, klines/uiKlines 2, ping/time 1.
        self.routes: dict[str, tuple[int, Handler]] = {
            "/api/v3/ping": (1, lambda _p, _now: b"{}"),
            "/api/v3/time": (1, lambda _p, now: dumps({"serverTime": now})),
            "/api/v3/exchangeInfo": (20, self.exchange_info),
            "/api/v3/klines": (2, self.klines),
            "/api/v3/uiKlines": (2, self.klines),
        }

    def exchange_info(self, params: Params, now_ms: int) -> bytes:
        one = symbol(params)
        many = params.get("symbols") or None
        if one is not None and many is not None:
            raise errors.bad_combination()
        names: list[str] = list(self._infos)
        if one is not None:
            names = [one]
        elif many is not None:
            if not _SYMBOLS.match(many):
                raise errors.illegal_chars("symbols", errors.SYMBOLS_RANGE)
            names = json.loads(many)
        if any(name not in self._infos for name in names):
            raise errors.invalid_symbol()
        status = params.get("symbolStatus") or None
        if status is not None:
            if one is not None or many is not None:
                raise errors.bad_combination()
            if status not in _STATUSES:
                raise errors.invalid_param("symbolStatus")
            names = [n for n in names if self._infos[n]["status"] == status]
        return dumps(
            {
                "timezone": "UTC",
                "serverTime": now_ms,
                "rateLimits": self._rate_limits,
                "exchangeFilters": [],
                "symbols": [self._infos[n] for n in names],
            }
        )

    def klines(self, params: Params, now_ms: int) -> bytes:
        name = symbol(params)
        if name is None:
            raise errors.mandatory("symbol")
        interval = params.get("interval") or None
        if interval is None:
            raise errors.mandatory("interval")
        start = number(params, "startTime")
        end = number(params, "endTime")
        number(params, "limit")
        if not is_interval(interval):
            raise errors.invalid_interval()
        series = self._catalog.series(SPOT, TRADE, name)
        if series is None:
            raise errors.invalid_symbol()
        count = limit(params, DEFAULT_LIMIT, MAX_LIMIT)
        zone = params.get("timeZone") or None
        tz_ms = parse_time_zone(zone) if zone is not None else 0
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        opens = select_opens(series, interval, start, end, count, now_ms, self._gaps, tz_ms)
        return self.renderer.body(series, interval, opens, now_ms, tz_ms)


__all__ = ["BinanceError", "RestApi", "rate_limits"]
