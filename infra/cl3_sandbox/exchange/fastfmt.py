"""Vectorised text rendering of numeric columns into delimited rows (JSON arrays, CSV lines).

Per-value ``"%.8f" % x`` costs ~0.4 us in CPython, i.e. ~4 ms for a 1000-row klines page,
which would make the sandbox, not the client, the bottleneck of a 16-way benchmark. Here every
row is a sequence of 4-byte tokens: numbers are split into 4-digit chunks with float64
arithmetic (exact for integers below 2**53, which covers ms and µs timestamps), literals into
4-byte pieces, and one ``np.take`` from a token table writes the whole page. Leading zeros and
short literals are NUL-padded inside their tokens, and the NULs are dropped with one boolean
mask. Pages holding values outside the exact range (>= 2**53, negative, not finite) are written
with ``%`` formatting instead. Either way the output is byte-for-byte ``"%d"`` / ``"%.8f"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_EXACT = 2.0**53
_PASS_ROWS = 500
_CHUNK = 10_000
# Token table rows: 4-digit chunks zero-padded, NUL-padded (a leading chunk), NUL-padded but
# keeping a lone "0" (a leading chunk that is also the last), then the literals' pieces.
_FULL, _LEAD, _LAST = 0, _CHUNK, 2 * _CHUNK


@dataclass(frozen=True)
class Int:
    """An integer column (int64 or integral float64, >= 0)."""

    values: np.ndarray


@dataclass(frozen=True)
class Dec8:
    """A decimal column written with exactly 8 decimals, like Binance's ``"%.8f"`` strings."""

    values: np.ndarray


Field = bytes | Int | Dec8


def _chunk_table() -> np.ndarray:
    table = np.zeros((3 * _CHUNK, 4), dtype=np.uint8)
    for i in range(_CHUNK):
        text = f"{i:04d}".encode()
        short = text.lstrip(b"0")
        table[_FULL + i] = np.frombuffer(text, dtype=np.uint8)
        table[_LEAD + i, 4 - len(short) :] = np.frombuffer(short, dtype=np.uint8)
        last = short or b"0"
        table[_LAST + i, 4 - len(last) :] = np.frombuffer(last, dtype=np.uint8)
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


def _decimal_tokens(m: np.ndarray, dot: int) -> list[np.ndarray]:
    whole = np.floor(m)
    frac = np.rint((m - whole) * 1e8)
    carry = frac >= 1e8  # 0.999999996 rounds up into the integer part, as "%.8f" does
    whole += carry
    frac[carry] = 0.0
    high = np.floor(frac / _CHUNK)  # the 8 fraction digits are exactly two 4-digit chunks
    low = frac - high * _CHUNK
    dots = np.full(m.shape, dot, dtype=np.intp)
    return [*_chunks(whole), dots, high.astype(np.intp) + _FULL, low.astype(np.intp) + _FULL]


def _exact(m: np.ndarray) -> bool:
    return bool(np.isfinite(m).all()) and float(m.min()) >= 0 and float(m.max()) < _EXACT


def _printf_rows(fields: Sequence[Field]) -> list[bytes]:
    """Slow path: one ``%`` format per row (values beyond float64's exact integers)."""
    template, columns = "", []
    for field in fields:
        if isinstance(field, bytes):
            template += field.decode().replace("%", "%%")
        else:
            template += "%d" if isinstance(field, Int) else "%.8f"
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
        part = [f if isinstance(f, bytes) else type(f)(f.values[start:stop]) for f in fields]
        text, size = _render_pass(part, stop - start, lengths)
        texts.append(text)
        sizes.append(size)
    return b"".join(texts), np.concatenate(sizes)


def _render_pass(fields: Sequence[Field], n: int, lengths: bool) -> tuple[bytes, np.ndarray]:
    if n == 0:
        return b"", np.zeros(0, dtype=np.int64)
    # Column-major: (column, row) matrices, so every token position below is one contiguous
    # row of the (token, row) index matrix; strided writes cost several times more.
    numeric = {
        kind: np.stack([f.values for f in fields if isinstance(f, kind)]).astype(np.float64)
        for kind in (Int, Dec8)
        if any(isinstance(f, kind) for f in fields)
    }
    if not all(_exact(m) for m in numeric.values()):
        printed = _printf_rows(fields)
        return b"".join(printed), np.array([len(r) for r in printed], dtype=np.int64)
    literals = tuple(f for f in fields if isinstance(f, bytes))
    table, token_len, literal_ids = _tokens((*literals, b"."))
    dot = int(literal_ids[-1][0])
    per_kind = {
        Int: _chunks(numeric[Int]) if Int in numeric else [],
        Dec8: _decimal_tokens(numeric[Dec8], dot) if Dec8 in numeric else [],
    }
    # Where each field's tokens go: literals get fixed ids; column j of a kind gets, for each
    # of that kind's token positions p, the row "start + p" filled from per_kind[kind][p][j].
    width = 0
    starts: dict[type, list[int]] = {Int: [], Dec8: []}
    lit_rows: list[np.ndarray] = []
    for field in fields:
        if isinstance(field, bytes):
            lit_rows.append(np.arange(width, width + len(literal_ids[len(lit_rows)])))
            width += len(lit_rows[-1])
        else:
            starts[type(field)].append(width)
            width += len(per_kind[type(field)])
    index = np.empty((width, n), dtype=np.intp)
    for rows, ids in zip(lit_rows, literal_ids, strict=False):
        index[rows] = ids[:, None]
    for kind, tokens in per_kind.items():
        first = np.array(starts[kind], dtype=np.intp)
        for p, ids in enumerate(tokens):
            index[first + p] = ids
    grid = np.ascontiguousarray(np.take(table, index).T).view(np.uint8)  # (n, 4 * width)
    text = grid[grid != 0].tobytes()
    if not lengths:
        return text, np.zeros(0, dtype=np.int64)
    return text, np.take(token_len, index).sum(axis=0)
