"""Stored floats print back as the exchange's own strings."""

from __future__ import annotations

import json

import pytest

from cl3_common.mirror.render import kline_json
from cl3_common.store import kline_to_row
from cl3_sandbox.exchange import expected_klines

NOW = 1_796_000_000_000


@pytest.mark.parametrize(
    ("symbol", "interval", "start", "end"),
    [
        ("BTCUSDT", "1d", 0, NOW),  # daily quote volumes reach 1e8 and more
        ("ETHBTC", "1w", 0, NOW),  # prices below 1
        ("BTCUSDT", "1m", 1_704_067_200_000, 1_704_067_200_000 + 3000 * 60_000),
        ("SOLUSDT", "1M", 0, NOW),
    ],
)
def test_rows_render_as_the_exchange_sent_them(symbol, interval, start, end):
    served = expected_klines(symbol, interval, start, end, now_ms=NOW + 10**11)
    assert len(served) > 50
    for kline in served:
        assert json.loads(kline_json(kline_to_row(kline))) == kline


def test_edge_values():
    row = (0, 59_999, 0.0, 1e-8, 67_108_863.99999999, 12.5, 0.1, 1234.00000001, 0, 3.0, 0.0)
    assert json.loads(kline_json(row)) == [
        0, "0.00000000", "0.00000001", "67108863.99999999", "12.50000000", "0.10000000", 59_999,
        "1234.00000001", 0, "3.00000000", "0.00000000", "0",
    ]  # fmt: skip
