"""The slice of PostgREST's query language the stand-in's ``/rest/v1/<table>`` understands.

Filters ``col=op.value`` with ``eq``, ``neq``, ``in.(a,b)``, ``is.null|true|false`` and the
``not.`` prefix, plus ``select`` (plain column lists), ``order``, ``limit`` and ``offset``.
Anything else is refused with PostgREST's own error codes rather than silently ignored, so a
query that works against the stub also means something to a real PostgREST.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Row = dict[str, Any]

RESERVED_PARAMS = frozenset(
    {"select", "order", "limit", "offset", "on_conflict", "columns", "apikey"}
)


class QueryError(Exception):
    """A query PostgREST would refuse: carries the HTTP status and PostgREST's JSON body."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "code": code,
            "details": details,
            "hint": None,
            "message": message,
        }


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _matches(cell: Any, op: str, arg: str, raw: str) -> bool:
    if op == "eq":
        return cell is not None and str(cell) == arg
    if op == "neq":
        return cell is not None and str(cell) != arg
    if op == "in":
        if not (arg.startswith("(") and arg.endswith(")")):
            raise QueryError(
                400, "PGRST100", f'"failed to parse filter ({raw})" (line 1, column 4)'
            )
        options = {_unquote(part) for part in arg[1:-1].split(",") if part.strip()}
        return cell is not None and str(cell) in options
    if op == "is":
        wanted = {"null": None, "true": True, "false": False}
        if arg not in wanted:
            raise QueryError(
                400, "PGRST100", f'"failed to parse filter ({raw})" (line 1, column 4)'
            )
        return cell is wanted[arg]
    raise QueryError(400, "PGRST100", f'"failed to parse filter ({raw})" (line 1, column 1)')


def _check_column(table: str, column: str, columns: Iterable[str]) -> None:
    if column not in columns:
        raise QueryError(400, "42703", f"column {table}.{column} does not exist")


def _apply_filter(
    rows: list[Row], table: str, columns: set[str], column: str, raw: str
) -> list[Row]:
    _check_column(table, column, columns)
    negate = raw.startswith("not.")
    expr = raw[4:] if negate else raw
    op, sep, arg = expr.partition(".")
    if not sep:
        raise QueryError(400, "PGRST100", f'"failed to parse filter ({raw})" (line 1, column 1)')
    arg = _unquote(arg) if op != "in" else arg
    kept = []
    for row in rows:
        hit = _matches(row.get(column), op, arg, raw)
        if hit != negate:
            kept.append(row)
    return kept


def _apply_order(rows: list[Row], table: str, columns: set[str], spec: str) -> list[Row]:
    # Stable sorts applied last-key-first give the multi-column ORDER BY result.
    for term in reversed([t for t in spec.split(",") if t.strip()]):
        column, *modifiers = term.strip().split(".")
        _check_column(table, column, columns)
        descending = "desc" in modifiers
        present = [r for r in rows if r.get(column) is not None]
        missing = [r for r in rows if r.get(column) is None]
        present.sort(key=lambda r: str(r[column]), reverse=descending)
        # PostgreSQL puts NULLs last ascending and first descending unless told otherwise.
        nulls_first = "nullsfirst" in modifiers or (descending and "nullslast" not in modifiers)
        rows = missing + present if nulls_first else present + missing
    return rows


def _parse_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise QueryError(400, "PGRST100", f'"failed to parse {name} parameter ({value})"') from None
    if number < 0:
        raise QueryError(400, "PGRST100", f'"failed to parse {name} parameter ({value})"')
    return number


def run_query(
    table: str,
    rows: Sequence[Mapping[str, Any]],
    base_columns: Iterable[str],
    params: Sequence[tuple[str, str]],
) -> list[Row]:
    """Evaluate PostgREST query parameters over ``rows`` as a service-role request would."""
    # Ordered like a table's columns: the declared ones first, then any extra keys rows carry.
    ordered = list(dict.fromkeys([*base_columns, *(k for row in rows for k in row)]))
    columns = set(ordered)
    # Every row has every column, as in a real table (absent values are NULL).
    result = [{c: row.get(c) for c in ordered} for row in rows]
    options: dict[str, str] = {}
    for name, value in params:
        if name in RESERVED_PARAMS:
            options[name] = value
        else:
            result = _apply_filter(result, table, columns, name, value)
    if "order" in options:
        result = _apply_order(result, table, columns, options["order"])
    offset = _parse_int("offset", options["offset"]) if "offset" in options else 0
    result = result[offset:]
    if "limit" in options:
        result = result[: _parse_int("limit", options["limit"])]
    select = options.get("select", "*").strip() or "*"
    if select != "*":
        wanted = [c.strip() for c in select.split(",") if c.strip()]
        for column in wanted:
            _check_column(table, column, columns)
        result = [{c: row.get(c) for c in wanted} for row in result]
    return result
