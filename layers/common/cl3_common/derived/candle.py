"""The two shapes a candle takes here: the API dict and the store's row tuple."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

# The API fields, in the order a stored row carries them.
API_FIELDS: tuple[str, ...] = (
    "open_time",
    "close_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "trades",
    "taker_buy_base",
    "taker_buy_quote",
)
Row = Sequence[Any]
Candle = dict[str, Any]

_as_row = itemgetter(*API_FIELDS)


def as_rows(candles: Iterable[Mapping[str, Any] | Row]) -> list[Row]:
    """Rows from candles given either as API dicts or as rows (rows pass through uncopied)."""
    items = candles if isinstance(candles, list) else list(candles)
    if items and isinstance(items[0], Mapping):
        # itemgetter runs in C: far cheaper than building tuples field by field.
        return list(map(_as_row, items))
    return items  # type: ignore[return-value]


def row_to_api(row: Row) -> Candle:
    return dict(zip(API_FIELDS, row, strict=True))


def iso(ms: int) -> str:
    """A readable UTC time for messages (the API itself speaks epoch ms)."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "not a valid time"
