"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, kline_to_row, open_stores


def wait_until(
    predicate: Callable[[], Any], timeout_s: float = 30, interval_s: float = 0.05
) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s")


def store_rows(
    env: dict[str, str], symbol: str, interval: str, rows: list[list[Any]], **key: str
) -> int:
    """Stores Binance kline rows for a test through the product's own candle store."""
    stores = open_stores(Settings.from_env(env))
    try:
        return stores.candles.insert(
            SeriesKey(symbol, interval, **key), [kline_to_row(r) for r in rows]
        )
    finally:
        stores.close()


class FakeTime:
    """Clock and sleep driven together: sleeping moves the clock, nothing really waits."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
