"""Candles to bytes: Binance's JSON kline arrays and data.binance.vision CSV lines.

Binance sends decimals as strings with a fixed number of decimals (spot: always 8, like
``"42283.58000000"``; futures: the symbol's precision, like ``"93548.80"`` and ``"91236.660"``)
and times as integer milliseconds; archive CSVs carry the same 12 fields unquoted. Mark, index
and premium klines have no volumes: those fields are the literal ``"0"``. Rendering is
vectorised (:mod:`.fastfmt`) because it is most of the cost of a klines request.
"""

from __future__ import annotations

import numpy as np

from .fastfmt import Dec, Field, Int, render_rows, render_rows_indexed
from .series import Candles
from .sources import SPOT_FORMAT, Format

# CSV chunking bounds memory for long archive periods (a month of 1s is 2.6 M rows).
CSV_CHUNK_ROWS = 50_000


def _number(values: np.ndarray, places: int | None) -> Field:
    if places is None:
        return b"0"
    return Int(values) if places == 0 else Dec(values, places)


def _fields(c: Candles, fmt: Format, opens: Int, closes: Int, quote: bytes) -> list[Field]:
    """The 12 kline fields, decimals quoted with ``quote``, joined by commas."""
    q = quote
    cells: list[tuple[Field, bool]] = [  # (field, is a decimal string)
        (opens, False),
        (Dec(c.open, fmt.price), True),
        (Dec(c.high, fmt.price), True),
        (Dec(c.low, fmt.price), True),
        (Dec(c.close, fmt.price), True),
        (_number(c.volume, fmt.volume), True),
        (closes, False),
        (_number(c.quote_volume, fmt.quote), True),
        (Int(c.trades), False),
        (_number(c.taker_base, fmt.volume), True),
        (_number(c.taker_quote, fmt.quote), True),
        (b"0", True),
    ]
    out: list[Field] = []
    for i, (field, is_text) in enumerate(cells):
        parts: list[Field] = [b"," if i else b""]
        parts += [q, field, q] if is_text else [field]
        for part in parts:
            if isinstance(part, bytes) and out and isinstance(out[-1], bytes):
                out[-1] += part
            elif part != b"":
                out.append(part)
    return out


def _json_fields(c: Candles, fmt: Format) -> list[Field]:
    fields = _fields(c, fmt, Int(c.open_time), Int(c.close_time), b'"')
    fields[-1] += b"],"  # type: ignore[operator]  # the last field is always the literal "0"
    return [b"[", *fields]


def klines_json(c: Candles, fmt: Format = SPOT_FORMAT) -> bytes:
    """The klines body for these candles (compact, as Binance sends it)."""
    return b"[" + json_rows(c, fmt)[:-1] + b"]"


def json_rows(c: Candles, fmt: Format = SPOT_FORMAT) -> bytes:
    """The JSON arrays of these candles, each followed by a comma (``[...],[...],``)."""
    return render_rows(_json_fields(c, fmt), len(c))


def json_rows_indexed(c: Candles, fmt: Format = SPOT_FORMAT) -> tuple[bytes, np.ndarray]:
    """:func:`json_rows` plus the byte offset of each row and of the end (len(c) + 1 values)."""
    text, lengths = render_rows_indexed(_json_fields(c, fmt), len(c))
    offsets = np.zeros(len(c) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return text, offsets


def klines_csv(c: Candles, micros: bool, fmt: Format = SPOT_FORMAT) -> bytes:
    """Archive CSV lines (no header). ``micros``: timestamps in microseconds (2025+ spot files).

    A microsecond close time is the last microsecond of the candle (``...999999``), so it is
    ``close_ms * 1000 + 999``, not ``close_ms * 1000``.
    """
    if micros:
        opens, closes = Int(c.open_time * 1000), Int(c.close_time * 1000 + 999)
    else:
        opens, closes = Int(c.open_time), Int(c.close_time)
    return render_rows([*_fields(c, fmt, opens, closes, b""), b"\n"], len(c))
