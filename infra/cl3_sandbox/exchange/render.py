"""Candles to bytes: Binance's JSON kline arrays and data.binance.vision CSV lines.

Binance sends decimals as strings with 8 decimals (``"42283.58000000"``) and times as integer
milliseconds; archive CSVs carry the same 12 fields unquoted. Rendering is vectorised
(:mod:`.fastfmt`) because it is most of the cost of a klines request.
"""

from __future__ import annotations

import numpy as np

from .fastfmt import Dec8, Field, Int, render_rows, render_rows_indexed
from .series import Candles

# CSV chunking bounds memory for long archive periods (a month of 1s is 2.6 M rows).
CSV_CHUNK_ROWS = 50_000


def _fields(c: Candles, opens: Int, closes: Int, quote: bytes, sep: bytes) -> list[Field]:
    """The 12 kline fields with ``sep``-joined, ``quote``-quoted decimals."""
    q_sep_q = quote + sep + quote
    return [
        opens,
        sep + quote,
        Dec8(c.open),
        q_sep_q,
        Dec8(c.high),
        q_sep_q,
        Dec8(c.low),
        q_sep_q,
        Dec8(c.close),
        q_sep_q,
        Dec8(c.volume),
        quote + sep,
        closes,
        sep + quote,
        Dec8(c.quote_volume),
        quote + sep,
        Int(c.trades),
        sep + quote,
        Dec8(c.taker_base),
        q_sep_q,
        Dec8(c.taker_quote),
        q_sep_q + b"0" + quote,
    ]


def _json_fields(c: Candles) -> list[Field]:
    return [b"[", *_fields(c, Int(c.open_time), Int(c.close_time), b'"', b","), b"],"]


def klines_json(c: Candles) -> bytes:
    """The ``/api/v3/klines`` body for these candles (compact, as Binance sends it)."""
    return b"[" + json_rows(c)[:-1] + b"]"


def json_rows(c: Candles) -> bytes:
    """The JSON arrays of these candles, each followed by a comma (``[...],[...],``)."""
    return render_rows(_json_fields(c), len(c))


def json_rows_indexed(c: Candles) -> tuple[bytes, np.ndarray]:
    """:func:`json_rows` plus the byte offset of each row and of the end (len(c) + 1 values)."""
    text, lengths = render_rows_indexed(_json_fields(c), len(c))
    offsets = np.zeros(len(c) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return text, offsets


def klines_csv(c: Candles, micros: bool) -> bytes:
    """Archive CSV lines (no header). ``micros``: timestamps in microseconds (2025+ files).

    A microsecond close time is the last microsecond of the candle (``...999999``), so it is
    ``close_ms * 1000 + 999``, not ``close_ms * 1000``.
    """
    if micros:
        opens, closes = Int(c.open_time * 1000), Int(c.close_time * 1000 + 999)
    else:
        opens, closes = Int(c.open_time), Int(c.close_time)
    return render_rows([*_fields(c, opens, closes, b"", b","), b"\n"], len(c))
