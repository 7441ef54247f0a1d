"""Stored candles against REST and the archive, field by field, and which source a repair uses.

Per open time each source gives a row, no row (it has no such candle), or was not read (None
for the whole source: no archive file for that day, or a page that was not plausible). A
difference is one field of one candle on which the sources that have the candle disagree:
`{"open_time", "field", "stored", "rest", "archive"}`, a source's value being null when it has
no such candle or was not read. A candle some sources have and others lack is reported once as
field `"candle"`, each source saying true (has it), false (lacks it) or null (not read).

Which row a repair writes (`verified`):
- REST and the archive agree: that row (`rest_and_archive`);
- they disagree: REST, the exchange's current answer (`rest`): the archive is a snapshot that
  may predate a fix, and a re-uploaded file shows up as `reuploaded` for the user to look at;
- only one source has the candle: that one (`rest` or `archive`);
- no source has it: nothing is written (a stored candle is never deleted by an audit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cl3_common.store import API_FIELDS, Row

Rows = Mapping[int, Row]
SOURCES = ("stored", "rest", "archive")
_VALUE_FIELDS = tuple(enumerate(API_FIELDS))[1:]  # every field but the open time (the key)


@dataclass(frozen=True)
class Chunk:
    """One span's rows from each source; a source is None where it was not read."""

    stored: Rows
    rest: Rows | None
    archive: Rows | None

    def sources(self) -> tuple[Rows | None, ...]:
        return self.stored, self.rest, self.archive

    def open_times(self) -> list[int]:
        times: set[int] = set()
        for rows in self.sources():
            if rows is not None:
                times.update(rows)
        return sorted(times)


def differences(chunk: Chunk) -> Iterator[dict[str, Any]]:
    """Every disagreement of the chunk, in open-time order."""
    sources = chunk.sources()
    read = [rows is not None for rows in sources]
    for t in chunk.open_times():
        yield from _differences_at(t, read, [None if rows is None else rows.get(t)
                                             for rows in sources])  # fmt: skip


def _differences_at(t: int, read: list[bool], rows: list[Row | None]) -> Iterator[dict[str, Any]]:
    present = [row for row in rows if row is not None]
    if len(present) < sum(read):  # a source that was read lacks the candle
        yield _presence(t, read, rows)
    if len(present) > 1 and any(row != present[0] for row in present[1:]):
        yield from _field_differences(t, rows)


def _presence(t: int, read: list[bool], rows: list[Row | None]) -> dict[str, Any]:
    """Which sources have the candle: true, false, or null for a source not read."""
    has = [(row is not None) if was else None for was, row in zip(read, rows, strict=True)]
    return {"open_time": t, "field": "candle", **dict(zip(SOURCES, has, strict=True))}


def _field_differences(t: int, rows: list[Row | None]) -> Iterator[dict[str, Any]]:
    for i, field in _VALUE_FIELDS:
        values = [None if row is None else row[i] for row in rows]
        if len({v for v in values if v is not None}) > 1:
            yield {"open_time": t, "field": field, **dict(zip(SOURCES, values, strict=True))}


def verified(rest: Row | None, archive: Row | None) -> tuple[Row, str] | None:
    """The row a repair writes and why (see the module's docstring), or None."""
    if rest is not None and archive is not None:
        return (rest, "rest_and_archive") if rest == archive else (rest, "rest")
    if rest is not None:
        return rest, "rest"
    if archive is not None:
        return archive, "archive"
    return None


def repairs(chunk: Chunk) -> list[tuple[Row, str]]:
    """(row, source) for every candle whose stored row is missing or differs from the
    verified one."""
    out: list[tuple[Row, str]] = []
    rest, archive = chunk.rest or {}, chunk.archive or {}
    for t in chunk.open_times():
        chosen = verified(rest.get(t), archive.get(t))
        if chosen is not None and chunk.stored.get(t) != chosen[0]:
            out.append(chosen)
    return out
