"""The stored row, and the one conversion from Binance kline rows into stored rows.

A stored row is a tuple in `API_FIELDS` order (cl3_common.derived.candle, which also turns
rows into API dicts): times as epoch-ms integers, prices and volumes as floats, trades as an
integer. Every backend stores and returns exactly these, so a candle reads back equal to the
kline it came from, whatever the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Row = tuple[int, int, float, float, float, float, float, float, int, float, float]

# Binance serves microseconds (16 digits) in some archives from 2025; everything stored is ms.
MICROS_THRESHOLD = 10**15


def to_ms(value: Any) -> int:
    t = int(value)
    return t // 1000 if t >= MICROS_THRESHOLD else t


def kline_to_row(k: Sequence[Any]) -> Row:
    """One Binance kline (12 fields, numbers as strings) into a stored row."""
    return (
        to_ms(k[0]), to_ms(k[6]),
        float(k[1]), float(k[2]), float(k[3]), float(k[4]), float(k[5]), float(k[7]),
        int(k[8]), float(k[9]), float(k[10]),
    )  # fmt: skip


@dataclass(frozen=True)
class SeriesBounds:
    """What coverage reports of one stored series, kept by the writers (no scan to answer)."""

    market: str
    kind: str
    symbol: str
    interval: str
    first_open_time: int
    last_open_time: int
    count: int
