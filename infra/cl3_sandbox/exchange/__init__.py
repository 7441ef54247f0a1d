"""A Binance-compatible market-data sandbox exchange: spot, USDⓈ-M and COIN-M futures, archive.

Serves ``/api/v3/{ping,time,exchangeInfo,klines,uiKlines}`` (with ``timeZone``),
``/fapi/v1/...`` and ``/dapi/v1/...`` (``ping``, ``time``, ``exchangeInfo``, ``klines``,
``markPriceKlines``, ``indexPriceKlines``, ``premiumIndexKlines``, ``fundingRate``) with
Binance's formats, weights, error bodies and per-family 429/418 rate limiting, and the
data.binance.vision archive (spot and futures klines of every kind, funding rates), over
deterministic synthetic data. Every interval is the aggregate of the same 1m candles. Used by
tests, the offline demo and benchmarks::

    from cl3_sandbox.exchange import SandboxConfig, SandboxExchange

    with SandboxExchange(SandboxConfig(latency_ms=0)) as ex:
        requests.get(f"{ex.url}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
"""

from .cli import main
from .config import DAPI, DEFAULT_GAPS, FAPI, SPOT, FamilyConfig, SandboxConfig
from .contracts import (
    DEFAULT_CONTRACTS,
    DELISTED_USDM_SYMBOL,
    FUNDING_SWITCH_MS,
    FUNDING_SWITCH_SYMBOL,
    PERPETUAL_DELIVERY_MS,
    SETTLED_COINM_SYMBOL,
    Contract,
)
from .faults import Always
from .intervals import INTERVALS
from .klines import expected_klines, expected_klines_in_zone
from .quality import CandleEdit, PageCorruption
from .server import SandboxExchange
from .symbols import DEFAULT_DELISTED, DEFAULT_SYMBOLS, DELISTED_SPOT_SYMBOL, SymbolSpec

__all__ = [
    "DAPI",
    "DEFAULT_CONTRACTS",
    "DEFAULT_DELISTED",
    "DEFAULT_GAPS",
    "DEFAULT_SYMBOLS",
    "DELISTED_SPOT_SYMBOL",
    "DELISTED_USDM_SYMBOL",
    "FAPI",
    "FUNDING_SWITCH_MS",
    "FUNDING_SWITCH_SYMBOL",
    "INTERVALS",
    "PERPETUAL_DELIVERY_MS",
    "SETTLED_COINM_SYMBOL",
    "SPOT",
    "Always",
    "CandleEdit",
    "Contract",
    "FamilyConfig",
    "PageCorruption",
    "SandboxConfig",
    "SandboxExchange",
    "SymbolSpec",
    "expected_klines",
    "expected_klines_in_zone",
    "main",
]
