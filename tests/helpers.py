"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


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


def store_rows(env: dict[str, str], symbol: str, interval: str, rows: list[list[Any]]) -> int:
    """Stores Binance kline rows for a test through the product's own candle store."""
    from pymongo import MongoClient

    from cl3_common.store import CandleStore

    client: MongoClient = MongoClient(env["MONGODB_URI"], tz_aware=True)
    try:
        store = CandleStore(client[env["MONGODB_DB"]])
        return store.insert(store.documents(symbol, interval, rows))
    finally:
        client.close()
