"""Futures klines of every kind print back as the exchange's strings, formats taken from the
futures exchangeInfo (the sandbox's symbols as Binance lists them)."""

from __future__ import annotations

import json

import pytest

from cl3_common.exchange.markets import MARKETS
from cl3_common.mirror.render import PRICE_ONLY, KlineFormat, kline_format, kline_json
from cl3_common.store import kline_to_row
from cl3_sandbox.exchange import DEFAULT_CONTRACTS, expected_klines
from cl3_sandbox.exchange.contracts import listed_quarterlies
from cl3_sandbox.exchange.futures_info import coinm_symbol, usdm_symbol

NOW = 1_796_000_000_000
MARCH_2024 = 1_709_251_200_000
YEAR_2023 = (1_672_531_200_000, 1_704_067_200_000)  # a year: long intervals stay quick
LISTED = {
    (c.market, c.symbol): (usdm_symbol(c) if c.market == "usdm" else coinm_symbol(c))
    for c in (*DEFAULT_CONTRACTS, *listed_quarterlies(MARCH_2024))
}


@pytest.mark.parametrize(
    ("market", "kind", "name", "interval", "start", "end"),
    [
        ("usdm", "trade", "BTCUSDT", "1m", MARCH_2024, MARCH_2024 + 2000 * 60_000),
        ("usdm", "trade", "ETHUSDT", "1d", *YEAR_2023),  # daily quote volumes of 1e9 and more
        ("usdm", "trade", "BTCUSDT", "1M", *YEAR_2023),  # 1e11: beyond 15 significant digits
        ("usdm", "mark", "BTCUSDT", "1h", MARCH_2024, MARCH_2024 + 1500 * 3_600_000),
        ("usdm", "index", "ETHUSDT", "5m", MARCH_2024, MARCH_2024 + 1500 * 300_000),
        ("usdm", "premium", "BTCUSDT", "1m", MARCH_2024, MARCH_2024 + 1500 * 60_000),  # < 0
        ("coinm", "trade", "BTCUSD_PERP", "1m", MARCH_2024, MARCH_2024 + 1500 * 60_000),
        ("coinm", "trade", "BTCUSD_PERP", "1w", *YEAR_2023),  # contracts: whole numbers
        ("coinm", "trade", "BTCUSD_240628", "4h", MARCH_2024, MARCH_2024 + 500 * 14_400_000),
        ("coinm", "mark", "BTCUSD_PERP", "15m", MARCH_2024, MARCH_2024 + 1500 * 900_000),
        ("coinm", "index", "BTCUSD", "1d", *YEAR_2023),
    ],
)
def test_rows_render_as_the_exchange_sent_them(market, kind, name, interval, start, end):
    served = expected_klines(name, interval, start, end, now_ms=NOW + 10**11, market=market,
                             kind=kind)  # fmt: skip
    assert len(served) >= 12
    listed = LISTED.get((market, name))
    fmt = kline_format(MARKETS[market], kind, listed)
    for kline in served:
        assert json.loads(kline_json(kline_to_row(kline), fmt)) == kline


def test_formats_follow_the_symbol_and_the_kind():
    usdm, coinm = MARKETS["usdm"], MARKETS["coinm"]
    btc = LISTED[("usdm", "BTCUSDT")]
    assert kline_format(usdm, "trade", btc) == KlineFormat(price=2, volume=3, quote=5)
    assert kline_format(coinm, "trade", LISTED[("coinm", "BTCUSD_PERP")]) == KlineFormat(1, 0, 8)
    assert kline_format(usdm, "mark", btc) == kline_format(coinm, "index", None) == PRICE_ONLY
    row = (0, 59_999, 1.5, 2.0, 1.0, 1.25, 0.0, 0.0, 60, 0.0, 0.0)
    assert json.loads(kline_json(row, PRICE_ONLY)) == [
        0, "1.50000000", "2.00000000", "1.00000000", "1.25000000", "0", 59_999, "0", 60,
        "0", "0", "0"]  # fmt: skip
