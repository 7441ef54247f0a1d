"""The export job: stored candles (or funding events) of a range as CSV or Parquet in S3.

Rows are read in pages (never the whole range in memory) into a temporary file, which is then
uploaded (multipart when large) to `EXPORT_BUCKET` under
`exports/{SYMBOL}/{INTERVAL}/{start}-{end}-{task_id}.{csv|parquet}` for spot trade candles,
`exports/{market}/{kind}/{SYMBOL}/{INTERVAL}/...` for other candles and
`exports/funding/{market}/{SYMBOL}/...` for funding events, with a presigned URL. Columns are
the API's fields (`API_FIELDS`, `FUNDING_FIELDS`), times in epoch milliseconds; a CSV has a
header row and one row per candle or event. The result, in the task store, is
`{url, expires_at, bucket, key, rows, format, market, kind?, symbol, interval?, start, end,
bytes}`.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from cl3_common.errors import InvalidRequest
from cl3_common.ssm import boto_client
from cl3_common.store import API_FIELDS, FUNDING_FIELDS, FundingKey, SeriesKey, row_to_api
from cl3_worker.context import WorkerContext
from cl3_worker.export_bucket import ExportBucket
from cl3_worker.runner import RunningTask

log = logging.getLogger("cl3.worker.export")

PAGE_SIZE = 20_000
PRESIGNED_URL_TTL_S = 3600
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def export_key(task_id: str, path: str, start_ms: int, end_ms: int, fmt: str) -> str:
    return f"exports/{path}/{start_ms}-{end_ms}-{task_id}.{fmt}"


def run(
    task: RunningTask,
    symbol: str,
    start_ms: int,
    end_ms: int,
    format: str,
    interval: str | None = None,
    market: str = "spot",
    kind: str = "trade",
    dataset: str = "candles",
    *,
    bucket: ExportBucket | None = None,
) -> dict[str, Any]:
    """Work function of `export` tasks (cl3_common.tasks.contracts)."""
    if format not in CONTENT_TYPES:
        raise InvalidRequest(f"unknown export format {format!r}")
    ctx = task.ctx
    began = time.monotonic()
    bucket = bucket or _bucket(ctx)
    source = _source(ctx, dataset, symbol, interval, market, kind, start_ms, end_ms)
    key = export_key(task.task_id, source.path, start_ms, end_ms, format)

    def on_page(rows_done: int) -> None:
        percent = 90 * rows_done // source.total if source.total else 90  # upload: last 10%
        task.report(percent, candles_written=rows_done)

    with tempfile.TemporaryFile() as tmp:
        pages = _reported(source.pages, on_page)
        if format == "csv":
            rows = _write_csv(tmp, pages, source.fields)
        else:
            rows = _write_parquet(tmp, pages, source.fields, source.metadata)
        size = tmp.tell()
        tmp.seek(0)
        metadata = {**source.metadata, "rows": str(rows)}
        bucket.upload(tmp, key, content_type=CONTENT_TYPES[format], metadata=metadata)
    url = bucket.presigned_url(key, PRESIGNED_URL_TTL_S)
    log.info("export %s: %d rows to s3://%s/%s", task.task_id, rows, bucket.name, key)
    return {
        "url": url,
        "expires_at": ctx.now_ms() + PRESIGNED_URL_TTL_S * 1000,
        "bucket": bucket.name,
        "key": key,
        "rows": rows,
        "format": format,
        "bytes": size,
        **source.metadata,
        "start": start_ms,
        "end": end_ms,
        "duration_s": round(time.monotonic() - began, 3),
    }


@dataclass
class _Source:
    path: str  # under exports/
    fields: tuple[str, ...]
    total: int
    pages: Iterator[list[dict[str, Any]]]
    metadata: dict[str, str]


def _source(
    ctx: WorkerContext, dataset: str, symbol: str, interval: str | None, market: str,
    kind: str, start_ms: int, end_ms: int,
) -> _Source:  # fmt: skip
    if dataset == "funding":
        fkey = FundingKey(market, symbol)
        # Three events a day per symbol: a range's events fit in memory at once.
        events = [dict(zip(FUNDING_FIELDS, r, strict=True))
                  for r in ctx.stores.funding.read(fkey, start_ms, end_ms)]  # fmt: skip
        return _Source(f"funding/{market}/{symbol}", FUNDING_FIELDS, len(events),
                       iter([events] if events else []),
                       {"dataset": "funding", "market": market, "symbol": symbol})  # fmt: skip
    if dataset != "candles" or interval is None:
        raise InvalidRequest(f"cannot export dataset {dataset!r} without an interval")
    series = SeriesKey(symbol, interval, market, kind)
    path = f"{symbol}/{interval}" if series.is_default else f"{market}/{kind}/{symbol}/{interval}"
    metadata = {"market": market, "kind": kind, "symbol": symbol, "interval": interval}
    total = ctx.stores.candles.count(series, start_ms, end_ms)
    return _Source(path, API_FIELDS, total, _pages(ctx, series, start_ms, end_ms), metadata)


def _bucket(ctx: WorkerContext) -> ExportBucket:
    s = ctx.settings
    s3 = boto_client("s3", endpoint_url=s.AWS_ENDPOINT_URL, region=s.AWS_REGION)
    return ExportBucket(s3, s.EXPORT_BUCKET)


def _pages(
    ctx: WorkerContext, series: SeriesKey, start_ms: int, end_ms: int
) -> Iterator[list[dict[str, Any]]]:
    cursor = start_ms
    while cursor < end_ms:
        stored = ctx.stores.candles.read(series, cursor, end_ms, PAGE_SIZE)
        if not stored:
            return
        rows = [row_to_api(r) for r in stored]
        yield rows
        if len(stored) < PAGE_SIZE:
            return
        cursor = rows[-1]["open_time"] + 1


def _reported(
    pages: Iterator[list[dict[str, Any]]], on_page: Callable[[int], None]
) -> Iterator[list[dict[str, Any]]]:
    """The pages, reporting the rows passed on so far after each one."""
    rows = 0
    for page in pages:
        yield page
        rows += len(page)
        on_page(rows)


def _write_csv(
    tmp: IO[bytes], pages: Iterator[list[dict[str, Any]]], fields: tuple[str, ...]
) -> int:
    text = io.TextIOWrapper(tmp, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(fields)
    rows = 0
    for page in pages:
        writer.writerows([row[f] for f in fields] for row in page)
        rows += len(page)
    text.flush()
    text.detach()  # keep the underlying file open for the upload
    return rows


def _write_parquet(
    tmp: IO[bytes],
    pages: Iterator[list[dict[str, Any]]],
    fields: tuple[str, ...],
    metadata: dict[str, str],
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ints = {"open_time", "close_time", "trades", "funding_time", "interval_hours"}
    nullable = {"mark_price", "interval_hours"}  # funding events without them
    schema = pa.schema(
        [pa.field(f, pa.int64() if f in ints else pa.float64(), nullable=f in nullable)
         for f in fields],
        metadata={**metadata, "time_unit": "epoch_ms"},
    )  # fmt: skip
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for page in pages:
            columns = {f: [row[f] for row in page] for f in fields}
            writer.write_table(pa.table(columns, schema=schema))
            rows += len(page)
    return rows
