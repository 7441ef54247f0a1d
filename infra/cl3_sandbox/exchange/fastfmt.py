"""Vectorised text rendering of numeric columns into delimited rows (JSON arrays, CSV lines).

Per-value ``"%.8f" % x`` costs ~0.4 us in CPython, i.e. ~4 ms for a 1000-row klines page,
which would make the sandbox, not the client, the bottleneck of a 16-way benchmark. Here every
row is a sequence of 4-byte tokens: numbers are split into 4-digit chunks with float64
arithmetic (exact for integers below 2**53, which covers ms and µs timestamps), literals into
4-byte pieces, and one ``np.take`` from a token table writes the whole page. Leading zeros and
short literals are NUL-padded inside their tokens, and the NULs are dropped with one boolean
mask. Pages holding values outside the exact range (>= 2**53, negative, not finite) are written
with ``%`` formatting instead. Either way the output is byte-for-byte ``"%d"`` / ``"%.Nf"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

_EXACT = 2.0**53
_PASS_ROWS = 500
_CHUNK = 10_000
# Token table rows: 4-digit chunks zero-padded, NUL-padded (a leading chunk), NUL-padded but
# keeping a lone "0" (a leading chunk that is also the last), chunks of 1, 2 and 3 zero-padded
# digits (the leading fraction chunk of a decimal with 1-3, 5-7 places), then the literals.
_FULL, _LEAD, _LAST = 0, _CHUNK, 2 * _CHUNK
_WIDTH = {4: _FULL, 1: 3 * _CHUNK, 2: 3 * _CHUNK + 10, 3: 3 * _CHUNK + 110}
_TABLE_ROWS = 3 * _CHUNK + 1110


@dataclass(frozen=True)
class Int:
    """An integer column (int64 or integral float64, >= 0)."""

    values: np.ndarray


@dataclass(frozen=True)
class Dec:
    """A decimal column written with exactly ``places`` decimals (1-8), like ``"%.2f"``."""

    values: np.ndarray
    places: int = 8


def Dec8(values: np.ndarray) -> Dec:
    """Binance's spot decimals: ``"%.8f"`` strings."""
    return Dec(values, 8)


Field = bytes | Int | Dec


def _chunk_table() -> np.ndarray:
    table = np.zeros((_TABLE_ROWS, 4), dtype=np.uint8)
    for i in range(_CHUNK):
        text = f"{i:04d}".encode()
        short = text.lstrip(b"0")
        table[_FULL + i] = np.frombuffer(text, dtype=np.uint8)
        table[_LEAD + i, 4 - len(short) :] = np.frombuffer(short, dtype=np.uint8)
        last = short or b"0"
        table[_LAST + i, 4 - len(last) :] = np.frombuffer(last, dtype=np.uint8)
    for width in (1, 2, 3):
        for i in range(10**width):
            table[_WIDTH[width] + i, 4 - width :] = np.frombuffer(
                f"{i:0{width}d}".encode(), np.uint8
            )
    return table


_CHUNKS = _chunk_table()


@lru_cache(maxsize=32)
def _tokens(literals: tuple[bytes, ...]) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Token table (as uint32) with these literals appended, each token's byte length, and
    the token ids of every literal."""
    pieces: list[bytes] = []
    ids: list[np.ndarray] = []
    for literal in literals:
        parts = [literal[i : i + 4] for i in range(0, len(literal), 4)]
        first = len(_CHUNKS) + len(pieces)
        ids.append(np.arange(first, first + len(parts), dtype=np.intp))
        pieces.extend(parts)
    extra = np.zeros((len(pieces), 4), dtype=np.uint8)
    for row, piece in enumerate(pieces):
        extra[row, : len(piece)] = np.frombuffer(piece, dtype=np.uint8)
    table = np.concatenate([_CHUNKS, extra])
    return table.view(np.uint32).ravel(), np.count_nonzero(table, axis=1), tuple(ids)


def _chunks(m: np.ndarray) -> list[np.ndarray]:
    """Token ids of non-negative integral floats: one array like ``m`` per 4-digit chunk."""
    count = max(1, -(-len(str(int(m.max()))) // 4))
    out = []
    for j in range(count):
        q = np.floor(m / 10.0 ** (4 * (count - 1 - j)))  # exact below 2**53
        chunk = q - _CHUNK * np.floor(q / _CHUNK)
        # Nothing printed above this chunk (q < 10000): its own leading zeros are NUL.
        lead = _LAST if j == count - 1 else _LEAD
        out.append((chunk + np.where(q < _CHUNK, lead, _FULL)).astype(np.intp))
    return out


def _decimal_tokens(m: np.ndarray, dot: int, places: int) -> list[np.ndarray]:
    scale = 10.0**places
    whole = np.floor(m)
    frac = np.rint((m - whole) * scale)
    carry = frac >= scale  # 0.999999996 rounds up into the integer part, as "%.8f" does
    whole += carry
    frac[carry] = 0.0
    # Fraction digits as chunks from the right: 4-digit ones, and a narrower one in front.
    widths = [places % 4] if places % 4 else []
    widths += [4] * (places // 4)
    tokens = [*_chunks(whole), np.full(m.shape, dot, dtype=np.intp)]
    below = places
    for width in widths:
        below -= width
        chunk = np.floor(frac / 10.0**below)
        frac = frac - chunk * 10.0**below
        tokens.append(chunk.astype(np.intp) + _WIDTH[width])
    return tokens


def _exact(m: np.ndarray) -> bool:
    return bool(np.isfinite(m).all()) and float(m.min()) >= 0 and float(m.max()) < _EXACT


def _printf_rows(fields: Sequence[Field]) -> list[bytes]:
    """Slow path: one ``%`` format per row (values beyond float64's exact integers)."""
    template, columns = "", []
    for field in fields:
        if isinstance(field, bytes):
            template += field.decode().replace("%", "%%")
        else:
            template += "%d" if isinstance(field, Int) else f"%.{field.places}f"
            columns.append(field.values.tolist())
    return [(template % row).encode() for row in zip(*columns, strict=True)]


def render_rows(fields: Sequence[Field], n: int) -> bytes:
    """Rows made of literal byte strings and numeric columns, concatenated row after row."""
    return render_rows_indexed(fields, n, lengths=False)[0]


def render_rows_indexed(
    fields: Sequence[Field], n: int, lengths: bool = True
) -> tuple[bytes, np.ndarray]:
    """:func:`render_rows` and the byte length of each row (if asked for).

    ``fields`` must hold at least one numeric column. Rows are rendered ``_PASS_ROWS`` at a
    time: the temporaries of a 1000-row pass are big enough for glibc to mmap and page-fault
    them afresh on every call, which doubled the cost.
    """
    if n <= _PASS_ROWS:
        return _render_pass(fields, n, lengths)
    texts, sizes = [], []
    for start in range(0, n, _PASS_ROWS):
        stop = min(start + _PASS_ROWS, n)
        part = [
            f if isinstance(f, bytes) else replace(f, values=f.values[start:stop]) for f in fields
        ]
        text, size = _render_pass(part, stop - start, lengths)
        texts.append(text)
        sizes.append(size)
    return b"".join(texts), np.concatenate(sizes)


def _group(field: Int | Dec) -> int:
    """Columns rendered together: 0 for integers, else the number of decimal places."""
    return 0 if isinstance(field, Int) else field.places


def _render_pass(fields: Sequence[Field], n: int, lengths: bool) -> tuple[bytes, np.ndarray]:
    if n == 0:
        return b"", np.zeros(0, dtype=np.int64)
    # Column-major: (column, row) matrices, so every token position below is one contiguous
    # row of the (token, row) index matrix; strided writes cost several times more.
    columns = [f for f in fields if not isinstance(f, bytes)]
    groups = sorted({_group(f) for f in columns})
    numeric = {
        g: np.stack([f.values for f in columns if _group(f) == g]).astype(np.float64)
        for g in groups
    }
    if not all(_exact(m) for m in numeric.values()):
        printed = _printf_rows(fields)
        return b"".join(printed), np.array([len(r) for r in printed], dtype=np.int64)
    literals = tuple(f for f in fields if isinstance(f, bytes))
    table, token_len, literal_ids = _tokens((*literals, b"."))
    dot = int(literal_ids[-1][0])
    per_group = {
        g: _chunks(m) if g == 0 else _decimal_tokens(m, dot, g) for g, m in numeric.items()
    }
    # Where each field's tokens go: literals get fixed ids; column j of a group gets, for each
    # of that group's token positions p, the row "start + p" filled from per_group[g][p][j].
    width = 0
    starts: dict[int, list[int]] = {g: [] for g in groups}
    lit_rows: list[np.ndarray] = []
    for field in fields:
        if isinstance(field, bytes):
            lit_rows.append(np.arange(width, width + len(literal_ids[len(lit_rows)])))
            width += len(lit_rows[-1])
        else:
            starts[_group(field)].append(width)
            width += len(per_group[_group(field)])
    index = np.empty((width, n), dtype=np.intp)
    for rows, ids in zip(lit_rows, literal_ids, strict=False):
        index[rows] = ids[:, None]
    for g, tokens in per_group.items():
        first = np.array(starts[g], dtype=np.intp)
        for p, ids in enumerate(tokens):
            index[first + p] = ids
    grid = np.ascontiguousarray(np.take(table, index).T).view(np.uint8)  # (n, 4 * width)
    text = grid[grid != 0].tobytes()
    if not lengths:
        return text, np.zeros(0, dtype=np.int64)
    return text, np.take(token_len, index).sum(axis=0)
