"""Stored rows back into Binance's kline arrays: times as integers, decimals as strings.

Binance prints spot decimals with 8 places ("42283.58000000"). Futures trade klines print
prices with the symbol's `pricePrecision` and volumes with its `quantityPrecision` (COIN-M:
whole contracts), quote volumes with the market's own number of places (USDⓈ-M 5; COIN-M's
base-asset volume 8); mark, index and premium klines print prices with 8 places and the
literal "0" for every volume. `kline_format` reads that from the futures exchangeInfo.

A stored float is printed as its exact binary value rounded to the field's places: for a
decimal with up to 15 significant digits that is the exchange's own string (the float lies
within half a unit of the last place), and above that the float is what the exchange's
string parses to anyway, so clients that convert (ccxt) see the exchange's numbers. Checked
against sandbox candles of every market and kind (tests/unit/mirror/test_render.py).

Rows become JSON text in one formatting step each: a page is 1000 rows and this is most of
what a page costs to answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cl3_common.exchange.markets import TRADE, Market


@dataclass(frozen=True)
class KlineFormat:
    """Decimal places of a series' fields; None: the field is the literal "0"."""

    price: int = 8
    volume: int | None = 8  # volume and taker buy base volume
    quote: int | None = 8  # quote (COIN-M: base) volume and taker buy quote volume


SPOT_FORMAT = KlineFormat()
PRICE_ONLY = KlineFormat(price=8, volume=None, quote=None)  # mark, index, premium klines
_SPOT_ROW_JSON = (
    '[%d,"%.8f","%.8f","%.8f","%.8f","%.8f",%d,"%.8f",%d,"%.8f","%.8f","0"]'
)  # fmt: skip


def kline_format(market: Market, kind: str, listed: Mapping[str, Any] | None) -> KlineFormat:
    """How the exchange prints a series, from its exchangeInfo entry (`listed`)."""
    if not market.futures:
        return SPOT_FORMAT
    if kind != TRADE:
        return PRICE_ONLY
    listed = listed or {}
    return KlineFormat(price=int(listed.get("pricePrecision", 8)),
                       volume=int(listed.get("quantityPrecision", 8)),
                       quote=market.kline_quote_places)  # fmt: skip


def kline_json(row: Sequence[Any], fmt: KlineFormat = SPOT_FORMAT) -> str:
    """One stored row (API_FIELDS order) as Binance's 12-field kline, compact JSON text."""
    if fmt == SPOT_FORMAT:
        return _SPOT_ROW_JSON % (row[0], row[2], row[3], row[4], row[5], row[6], row[1],
                                 row[7], row[8], row[9], row[10])  # fmt: skip
    template, picks = _layout(fmt)
    return template % tuple(row[i] for i in picks)


@lru_cache(maxsize=64)
def _layout(fmt: KlineFormat) -> tuple[str, tuple[int, ...]]:
    """The row template of a format and which stored fields fill its placeholders."""
    # Binance's order, as (stored field, places; "int" for integers, None for a literal "0").
    fields: list[tuple[int, int | str | None]] = [
        (0, "int"), (2, fmt.price), (3, fmt.price), (4, fmt.price), (5, fmt.price),
        (6, fmt.volume), (1, "int"), (7, fmt.quote), (8, "int"), (9, fmt.volume),
        (10, fmt.quote),
    ]  # fmt: skip
    parts, picks = [], []
    for index, places in fields:
        if places is None:
            parts.append('"0"')
            continue
        parts.append("%d" if places == "int" else f'"%.{places}f"')
        picks.append(index)
    return "[" + ",".join([*parts, '"0"']) + "]", tuple(picks)
