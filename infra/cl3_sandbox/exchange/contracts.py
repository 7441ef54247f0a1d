"""The sandbox's futures contracts (USDⓈ-M on /fapi, COIN-M on /dapi) and their lifetimes.

Dates and precisions follow Binance where known: BTCUSDT's perpetual was onboarded on
2019-09-25 08:00 UTC, perpetuals carry ``deliveryDate`` 4133404800000 (2100-12-25 08:00 UTC),
quarterly COIN-M contracts deliver at 08:00 UTC on the last Friday of March, June, September
and December and are named ``{PAIR}_{YYMMDD}``. USDⓈ-M klines print prices with the symbol's
``pricePrecision``, volumes with its ``quantityPrecision`` and quote volumes with 5 decimals;
COIN-M volumes are contracts (integers) and the 8th field is the *base* asset volume.

Besides live contracts there are, on purpose: a settled quarterly (``SETTLED_COINM_SYMBOL``,
listed with ``contractStatus`` DELIVERED, klines up to its delivery), a delisted perpetual
(``DELISTED_USDM_SYMBOL``: archives only, REST says -1121) and a perpetual whose funding
interval moved from 8 h to 4 h at ``FUNDING_SWITCH_MS``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .sources import COINM, USDM
from .symbols import DELISTED, TRADING, SymbolSpec

PERPETUAL_DELIVERY_MS = 4_133_404_800_000
FUNDING_SWITCH_MS = 1_719_792_000_000  # 2024-07-01 00:00 UTC: ETHUSDT funds every 4 h from here
FUNDING_SWITCH_SYMBOL = "ETHUSDT"
SETTLED_COINM_SYMBOL = "BTCUSD_230331"
DELISTED_USDM_SYMBOL = "SRMUSDT"
DELIVERED = "DELIVERED"
_QUARTERLY = re.compile(r"^(?P<pair>[A-Z]+)_(?P<date>\d{6})$")


@dataclass(frozen=True)
class Contract:
    market: str  # usdm | coinm
    symbol: str
    pair: str
    contract_type: str  # PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER
    base: str
    quote: str
    margin: str
    onboard_ms: int
    delivery_ms: int
    underlying: str  # the spot symbol whose price process this contract follows
    tick: float
    price_decimals: int
    step: float
    qty_decimals: int
    volume_per_min: float  # base units (USDⓈ-M) or contracts (COIN-M)
    trade_quote: float
    status: str = TRADING  # TRADING, DELIVERED (settled quarterly) or DELISTED (archive only)
    contract_size: int = 0  # COIN-M: USD per contract
    funding: tuple[tuple[int, int], ...] = ((0, 8),)  # (from ms, interval hours); none: delivery

    @property
    def perpetual(self) -> bool:
        return self.contract_type == "PERPETUAL"

    @property
    def end_ms(self) -> int | None:
        """No candle at or after this: delivery of a quarterly, or the delisting."""
        if self.status == DELISTED:
            return self.delivery_ms
        return None if self.perpetual else self.delivery_ms

    def as_spec(self, underlying: SymbolSpec) -> SymbolSpec:
        """The knobs of this contract's own candles (ticks, lots, volumes, hashing seed)."""
        return SymbolSpec(
            self.symbol, self.base, self.quote, self.onboard_ms, underlying.price, self.tick,
            self.step, self.volume_per_min, self.trade_quote, vol_daily=underlying.vol_daily,
            drift=underlying.drift, quote_places=5 if self.market == USDM else 8,
        )  # fmt: skip


def _perp(market: str, symbol: str, pair: str, base: str, quote: str, margin: str,
          onboard_ms: int, underlying: str, **knobs) -> Contract:  # fmt: skip
    return Contract(market, symbol, pair, "PERPETUAL", base, quote, margin, onboard_ms,
                    PERPETUAL_DELIVERY_MS, underlying, **knobs)  # fmt: skip


DEFAULT_CONTRACTS: tuple[Contract, ...] = (
    _perp(USDM, "BTCUSDT", "BTCUSDT", "BTC", "USDT", "USDT", 1_569_398_400_000, "BTCUSDT",
          tick=0.1, price_decimals=2, step=0.001, qty_decimals=3, volume_per_min=60.0,
          trade_quote=3_000.0),
    _perp(USDM, "ETHUSDT", "ETHUSDT", "ETH", "USDT", "USDT", 1_574_838_000_000, "ETHUSDT",
          tick=0.01, price_decimals=2, step=0.001, qty_decimals=3, volume_per_min=700.0,
          trade_quote=2_500.0, funding=((0, 8), (FUNDING_SWITCH_MS, 4))),
    replace(_perp(USDM, "SRMUSDT", "SRMUSDT", "SRM", "USDT", "USDT", 1_599_807_600_000,
                  "SRMUSDT", tick=0.0001, price_decimals=4, step=1.0, qty_decimals=0,
                  volume_per_min=30_000.0, trade_quote=300.0),
            status=DELISTED, delivery_ms=1_668_502_800_000),
    _perp(COINM, "BTCUSD_PERP", "BTCUSD", "BTC", "USD", "BTC", 1_597_046_400_000, "BTCUSDT",
          tick=0.1, price_decimals=1, step=1.0, qty_decimals=0, volume_per_min=3_000.0,
          trade_quote=400.0, contract_size=100),
)  # fmt: skip
# The underlying of the delisted perpetual: no spot pair is served for it.
UNDERLYINGS: tuple[SymbolSpec, ...] = (
    SymbolSpec("SRMUSDT", "SRM", "USDT", 1_597_104_000_000, 1.0, 0.0001, 0.01, 20_000.0, 200.0,
               vol_daily=0.07, drift=-0.5),
)  # fmt: skip
# The quarterly template: every BTCUSD_YYMMDD is this with its own dates.
QUARTERLY_TEMPLATE = Contract(
    COINM, "BTCUSD_QUARTER", "BTCUSD", "CURRENT_QUARTER", "BTC", "USD", "BTC", 0, 0, "BTCUSDT",
    tick=0.1, price_decimals=1, step=1.0, qty_decimals=0, volume_per_min=400.0,
    trade_quote=400.0, contract_size=100, funding=(),
)  # fmt: skip


def _last_friday_8am(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    while calendar.weekday(year, month, day) != calendar.FRIDAY:
        day -= 1
    return int(datetime(year, month, day, 8, tzinfo=UTC).timestamp() * 1000)


def quarter_deliveries(around_ms: int, before: int, after: int) -> list[int]:
    """Quarterly delivery times: ``before`` ones at or before ``around_ms``, ``after`` after."""
    year = datetime.fromtimestamp(around_ms / 1000, UTC).year
    times = [_last_friday_8am(y, m) for y in range(year - 3, year + 3) for m in (3, 6, 9, 12)]
    past = [t for t in times if t <= around_ms][-before:] if before else []
    return past + [t for t in times if t > around_ms][:after]


def quarterly(pair: str, delivery_ms: int, contract_type: str) -> Contract:
    """The quarterly contract of ``pair`` delivering at ``delivery_ms``."""
    name = datetime.fromtimestamp(delivery_ms / 1000, UTC).strftime("%y%m%d")
    onboard = quarter_deliveries(delivery_ms - 1, 2, 0)[0]  # listed two quarters ahead
    return replace(QUARTERLY_TEMPLATE, symbol=f"{pair}_{name}", pair=pair,
                   contract_type=contract_type, onboard_ms=onboard,
                   delivery_ms=delivery_ms)  # fmt: skip


def parse_quarterly(symbol: str) -> Contract | None:
    """A well-formed ``BTCUSD_YYMMDD`` on a real delivery date, whatever its state."""
    match = _QUARTERLY.match(symbol)
    if match is None or match["pair"] != QUARTERLY_TEMPLATE.pair:
        return None
    try:
        day = datetime.strptime(match["date"], "%y%m%d").replace(hour=8, tzinfo=UTC)
    except ValueError:
        return None
    delivery = int(day.timestamp() * 1000)
    if delivery != _last_friday_8am(day.year, day.month) or day.month % 3:
        return None
    return quarterly(match["pair"], delivery, "CURRENT_QUARTER")


def listed_quarterlies(now_ms: int) -> list[Contract]:
    """CURRENT_QUARTER and NEXT_QUARTER at ``now_ms``, plus the settled one once delivered."""
    current, following = quarter_deliveries(now_ms, 0, 2)
    live = [quarterly("BTCUSD", current, "CURRENT_QUARTER"),
            quarterly("BTCUSD", following, "NEXT_QUARTER")]  # fmt: skip
    settled = parse_quarterly(SETTLED_COINM_SYMBOL)
    assert settled is not None
    if settled.delivery_ms <= now_ms:
        live.insert(0, replace(settled, status=DELIVERED))
    return live
