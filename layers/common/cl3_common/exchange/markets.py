"""The three Binance markets CL3 reads: where each lives, its paths, weights and page sizes.

Spot (`/api/v3`), USDⓈ-M futures (`/fapi/v1`) and COIN-M futures (`/dapi/v1`) are separate
API families on separate hosts, each with its own weight budget and ban state
(docs/markets.md). Everything that differs between them is here, so the client, the pager and
the archive planner take a `Market` instead of branching on its name.

Futures klines weigh by `limit`: 1 below 100, 2 below 500, 5 up to 1000, 10 above. A page of
499 candles costs 2, so it moves 249.5 candles per unit of weight against 200 for 1000 and
150 for 1500; the budget, not the round trip, is what binds a backfill, so 499 is the page
size CL3 asks for (measured by bench/futures_page_size.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cl3_common.errors import InvalidInterval
from cl3_common.exchange.gate import WeightBudget
from cl3_common.intervals import DAY_MS, validate_interval

if TYPE_CHECKING:
    from cl3_common.settings import Settings

SPOT, USDM, COINM = "spot", "usdm", "coinm"
TRADE, MARK, INDEX, PREMIUM = "trade", "mark", "index", "premium"
# REST endpoint (and archive dataset) of each kind of kline.
KLINES_DATASETS = {TRADE: "klines", MARK: "markPriceKlines", INDEX: "indexPriceKlines",
                   PREMIUM: "premiumIndexKlines"}  # fmt: skip
FUTURES_PAGE_LIMIT = 499


def futures_klines_weight(limit: int) -> int:
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    return 5 if limit <= 1000 else 10


@dataclass(frozen=True)
class Market:
    name: str  # spot | usdm | coinm
    family: str  # the API family and its host: spot | fapi | dapi
    prefix: str  # REST path prefix
    archive_root: str  # under the archive host's /data/
    page_limit: int  # the klines page size CL3 asks for
    max_limit: int
    klines_weight: Callable[[int], int]
    exchange_info_weight: int
    # COIN-M: at most 200 days between startTime and endTime of one klines request.
    max_span_ms: int | None = None
    # fundingRate: weight on the host's budget, and the endpoint's own per-IP budget.
    funding_weight: int = 0
    funding_budget: WeightBudget | None = None
    funding_archive: bool = False  # monthly fundingRate files exist on the archive
    # Decimals of trade klines' quote volumes (COIN-M: the base-asset volume). Prices and
    # volumes follow each symbol's pricePrecision / quantityPrecision on futures.
    kline_quote_places: int = 8

    @property
    def futures(self) -> bool:
        return self.name != SPOT

    def base_url(self, settings: Settings) -> str:
        return {
            SPOT: settings.BINANCE_BASE_URL,
            USDM: settings.BINANCE_USDM_BASE_URL,
            COINM: settings.BINANCE_COINM_BASE_URL,
        }[self.name]

    def klines_path(self, kind: str) -> str:
        return f"{self.prefix}/{KLINES_DATASETS[kind]}"

    def symbol_param(self, kind: str) -> str:
        """`indexPriceKlines` names the pair, every other klines endpoint the symbol."""
        return "pair" if kind == INDEX else "symbol"

    def check_interval(self, interval: str) -> str:
        validate_interval(interval)
        if self.futures and interval == "1s":
            raise InvalidInterval(f"1s candles exist only on spot, not on {self.name}")
        return interval


SPOT_MARKET = Market(
    name=SPOT, family="spot", prefix="/api/v3", archive_root="spot", page_limit=1000,
    max_limit=1000, klines_weight=lambda _limit: 2, exchange_info_weight=20,
)  # fmt: skip
USDM_MARKET = Market(
    name=USDM, family="fapi", prefix="/fapi/v1", archive_root="futures/um",
    page_limit=FUTURES_PAGE_LIMIT, max_limit=1500, klines_weight=futures_klines_weight,
    exchange_info_weight=1, funding_weight=0,
    # Documented separately from the weight budget: 500 requests per 5 minutes per IP.
    funding_budget=WeightBudget(limit=500, window_s=300), funding_archive=True,
    kline_quote_places=5,
)  # fmt: skip
COINM_MARKET = Market(
    name=COINM, family="dapi", prefix="/dapi/v1", archive_root="futures/cm",
    page_limit=FUTURES_PAGE_LIMIT, max_limit=1500, klines_weight=futures_klines_weight,
    exchange_info_weight=1, max_span_ms=200 * DAY_MS, funding_weight=1,
)  # fmt: skip
MARKETS: dict[str, Market] = {m.name: m for m in (SPOT_MARKET, USDM_MARKET, COINM_MARKET)}


def market(name: str) -> Market:
    return MARKETS[name]
