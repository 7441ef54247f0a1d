"""A Binance-compatible spot market-data sandbox exchange.

Serves ``/api/v3/{ping,time,exchangeInfo,klines,uiKlines}`` with Binance's formats, weights,
error bodies, 429/418 rate limiting, and the data.binance.vision kline archive, over
deterministic synthetic candles. Used by tests, the offline demo and benchmarks::

    from cl3_sandbox.exchange import SandboxConfig, SandboxExchange

    with SandboxExchange(SandboxConfig(latency_ms=0)) as ex:
        requests.get(f"{ex.url}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
"""

from .cli import main
from .config import DEFAULT_GAPS, SandboxConfig
from .intervals import INTERVALS
from .klines import expected_klines
from .server import SandboxExchange
from .symbols import DEFAULT_SYMBOLS, SymbolSpec

__all__ = [
    "DEFAULT_GAPS",
    "DEFAULT_SYMBOLS",
    "INTERVALS",
    "SandboxConfig",
    "SandboxExchange",
    "SymbolSpec",
    "expected_klines",
    "main",
]
