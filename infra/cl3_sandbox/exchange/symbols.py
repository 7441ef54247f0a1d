"""The sandbox's listed symbols and the parameters of their synthetic series.

Listing times are Binance's real first 1m candles where known, so code that probes "earliest
available candle" (python-binance does, with ``startTime=0&limit=1``) sees realistic answers.
One symbol is in ``BREAK`` (trading halted, like LUNA after May 2022): it still has history up
to its halt and nothing after it, which is how Binance serves klines of halted pairs.
Delisted symbols (``DEFAULT_DELISTED``) exist only in the archives: they are in no
``exchangeInfo`` and REST answers -1121 for them, as Binance does once a pair is removed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

TRADING = "TRADING"
BREAK = "BREAK"
DELISTED = "DELISTED"  # not a Binance status: the pair is gone from REST, kept in the archive


@dataclass(frozen=True)
class SymbolSpec:
    """One spot pair and the knobs of its price/volume process."""

    symbol: str
    base: str
    quote: str
    listed_ms: int  # first trade; candles containing it or later exist
    price: float  # price level around the listing, drifted by ``drift``
    tick: float  # PRICE_FILTER tickSize: every price is a multiple of it
    step: float  # LOT_SIZE stepSize: every base volume is a multiple of it
    volume_per_min: float  # typical base volume in one minute
    trade_quote: float  # typical quote amount per trade (to derive the trade count)
    vol_daily: float = 0.035  # stdev of daily log returns
    drift: float = 0.25  # yearly log drift, so long histories trend like real pairs
    status: str = TRADING
    halted_ms: int | None = None  # BREAK and delisted symbols: no candle at or after this
    quote_places: int = 8  # decimals of the quote volume (spot 8, USDⓈ-M futures 5)

    @property
    def seed(self) -> int:
        # crc32 rather than hash(): stable across processes and PYTHONHASHSEED.
        return zlib.crc32(self.symbol.encode())


DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("BTCUSDT", "BTC", "USDT", 1_502_942_400_000, 4_300.0, 0.01, 0.00001, 12.0, 900.0),
    SymbolSpec("ETHUSDT", "ETH", "USDT", 1_502_942_400_000, 300.0, 0.01, 0.0001, 150.0, 600.0),
    SymbolSpec("BNBUSDT", "BNB", "USDT", 1_509_940_440_000, 1.5, 0.01, 0.001, 900.0, 300.0,
               drift=0.45),
    SymbolSpec("SOLUSDT", "SOL", "USDT", 1_597_125_600_000, 2.9, 0.01, 0.001, 2_500.0, 400.0,
               vol_daily=0.05, drift=0.6),
    SymbolSpec("XRPUSDT", "XRP", "USDT", 1_525_420_800_000, 0.9, 0.0001, 0.1, 60_000.0, 250.0,
               drift=0.05),
    SymbolSpec("ETHBTC", "ETH", "BTC", 1_500_004_800_000, 0.08, 0.00001, 0.0001, 40.0, 0.02,
               vol_daily=0.025, drift=-0.1),
    SymbolSpec("LUNAUSDT", "LUNA", "USDT", 1_598_004_000_000, 0.6, 0.001, 0.01, 8_000.0, 200.0,
               vol_daily=0.06, drift=1.2, status=BREAK, halted_ms=1_652_407_200_000),
)  # fmt: skip


# Delisted from spot on 2018-11-19 (Bitcoin Cash ABC/SV split); archive only.
DELISTED_SPOT_SYMBOL = "BCCUSDT"
DEFAULT_DELISTED: tuple[SymbolSpec, ...] = (
    SymbolSpec("BCCUSDT", "BCC", "USDT", 1_510_012_800_000, 1_300.0, 0.01, 0.00001, 20.0, 500.0,
               vol_daily=0.06, drift=-0.8, status=DELISTED, halted_ms=1_542_585_600_000),
)  # fmt: skip


def symbol_map(symbols: tuple[SymbolSpec, ...]) -> dict[str, SymbolSpec]:
    return {spec.symbol: spec for spec in symbols}


def _decimals(value: float) -> str:
    return f"{value:.8f}"


def _filters(spec: SymbolSpec) -> list[dict[str, object]]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": _decimals(spec.tick),
            "maxPrice": _decimals(1_000_000.0 if spec.tick >= 0.01 else 1_000.0),
            "tickSize": _decimals(spec.tick),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": _decimals(spec.step),
            "maxQty": "9000.00000000",
            "stepSize": _decimals(spec.step),
        },
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": "0.00000000",
            "maxQty": "100.00000000",
            "stepSize": "0.00000000",
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": "5.00000000" if spec.quote == "USDT" else "0.00010000",
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
    ]


def symbol_info(spec: SymbolSpec) -> dict[str, object]:
    """The ``exchangeInfo`` entry of one symbol, with the fields clients read (ccxt parses most)."""
    return {
        "symbol": spec.symbol,
        "status": spec.status,
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": spec.status == TRADING,
        "filters": _filters(spec),
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": [
            "EXPIRE_TAKER",
            "EXPIRE_MAKER",
            "EXPIRE_BOTH",
            "DECREMENT",
        ],
    }
