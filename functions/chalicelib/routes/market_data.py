"""Fetch requests (enqueued, never run inline) and reads of stored candles."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

import orjson
from chalice import Response

from chalicelib.plans import require_enqueue, require_interval, require_range
from chalicelib.router import Router, accepted
from chalicelib.runtime import RuntimeProvider
from chalicelib.validation import (
    parse_interval,
    parse_limit,
    parse_range,
    parse_required_range,
    parse_symbol,
    reject_unknown,
)
from cl3_common.auth import Principal
from cl3_common.errors import InvalidRequest
from cl3_common.intervals import count_candles, next_open
from cl3_common.store import API_FIELDS, SeriesKey, row_to_api
from cl3_common.tasks import TaskType

DEFAULT_LIMIT, MAX_LIMIT = 1000, 5000


def market_data_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/api/market-data/fetch", methods=("POST",))
    def fetch(user: Principal) -> Response:
        rt = router.runtime
        plan = rt.entitlements[user.tier]
        require_enqueue(user, plan)
        body = router.json_body()
        reject_unknown(body, {"symbol", "interval", "start", "end"})
        symbol = parse_symbol(body.get("symbol"))
        interval = parse_interval(body.get("interval"))
        rt.catalog.require_tradable(symbol)
        now_ms = int(rt.clock() * 1000)
        start_ms, end_ms = parse_required_range(body.get("start"), body.get("end"), now_ms=now_ms)
        require_interval(user, plan, interval, "fetch")
        require_range(user, plan, start_ms, end_ms, "fetch")
        params = {"symbol": symbol, "interval": interval, "start_ms": start_ms, "end_ms": end_ms}
        identity = {**params, "end_ms": body.get("end")}  # "until now" requests are one request
        task_id, _created = rt.tasks.submit(
            user,
            TaskType.FETCH,
            params,
            identity=identity,
            max_concurrent=plan.max_concurrent_jobs,
        )
        rt.stores.series.track(SeriesKey(symbol, interval), first_ms=start_ms)
        return accepted(task_id)

    @router.route("/api/market-data/coverage")
    def coverage(user: Principal) -> dict[str, Any]:
        rt = router.runtime
        q = router.query()
        unknown = set(q) - {"symbol", "interval"}
        if unknown:
            raise InvalidRequest(f"unknown query parameters: {', '.join(sorted(unknown))}")
        symbol = parse_symbol(q["symbol"]) if "symbol" in q else None
        interval = parse_interval(q["interval"]) if "interval" in q else None
        series = []
        for b in rt.stores.candles.list_series(symbol=symbol, interval=interval):
            expected = count_candles(b.first_open_time, next_open(b.last_open_time, b.interval),
                                     b.interval)  # fmt: skip
            series.append({
                "market": b.market, "kind": b.kind, "symbol": b.symbol, "interval": b.interval,
                "first_open_time": b.first_open_time, "last_open_time": b.last_open_time,
                "count": b.count, "expected": expected, "missing": expected - b.count,
            })  # fmt: skip
        return {"series": series}

    @router.route("/api/market-data/{symbol}/{interval}")
    def candles(user: Principal, symbol: str, interval: str) -> Response:
        rt = router.runtime
        symbol, interval = parse_symbol(symbol), parse_interval(interval)
        q = router.query()
        unknown = set(q) - {"start", "end", "limit", "cursor", "format"}
        if unknown:
            raise InvalidRequest(f"unknown query parameters: {', '.join(sorted(unknown))}")
        now_ms = int(rt.clock() * 1000)
        start_ms, end_ms = parse_range(
            q.get("start"), q.get("end"), now_ms=now_ms + 1, start_required=False
        )
        start_ms = start_ms or 0
        if q.get("cursor"):
            start_ms = max(start_ms, _decode_cursor(q["cursor"]))
        limit = parse_limit(q.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        fmt = q.get("format", "json")
        if fmt not in ("json", "csv"):
            raise InvalidRequest("format must be 'json' or 'csv'")
        stored = rt.stores.candles.read(SeriesKey(symbol, interval), start_ms, end_ms, limit + 1)
        rows = [row_to_api(r) for r in stored[:limit]]
        next_cursor = _encode_cursor(rows[-1]["open_time"] + 1) if len(stored) > limit else None
        if fmt == "csv":
            headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8"}
            if next_cursor:
                headers["X-Next-Cursor"] = next_cursor
            return Response(body=_to_csv(rows), status_code=200, headers=headers)
        page = {"symbol": symbol, "interval": interval, "candles": rows, "next_cursor": next_cursor}
        # Serialised here with orjson: a 5,000-candle page takes ~2 ms instead of the ~22 ms
        # of the json.dumps Chalice would otherwise run on the dict.
        return Response(body=orjson.dumps(page).decode(), status_code=200,
                        headers={"Content-Type": "application/json"})  # fmt: skip

    return router


def _encode_cursor(after_ms: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"from": after_ms}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["from"]
        return int(value)
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidRequest("cursor is not one this API issued") from e


def _to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(API_FIELDS)
    for row in rows:
        writer.writerow([row[f] for f in API_FIELDS])
    return out.getvalue()
