"""The export job: stored candles of a range as CSV or Parquet in S3, with a presigned URL.

Candles are read in pages (never the whole range in memory) into a temporary file, which is
then uploaded (multipart when large) to `EXPORT_BUCKET` under
`exports/{SYMBOL}/{INTERVAL}/{start}-{end}-{task_id}.{csv|parquet}`. Columns are the candle
fields of the API (SPEC section 3), times in epoch milliseconds; a CSV has a header row and
one row per candle. The result, in the task store, is
`{url, expires_at, bucket, key, rows, format, symbol, interval, start, end, bytes}`.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

from cl3_common.errors import PermanentError, RetryableError
from cl3_common.ssm import boto_client
from cl3_common.store import API_FIELDS, SeriesKey, row_to_api
from cl3_worker.context import WorkerContext, get_context
from cl3_worker.jobs.attempts import fail_if_last_attempt

log = logging.getLogger("cl3.worker.export")

PAGE_SIZE = 20_000
PRESIGNED_URL_TTL_S = 3600
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
# S3 error codes retrying cannot fix.
_PERMANENT_S3_CODES = {"NoSuchBucket", "AccessDenied", "InvalidBucketName", "AllAccessDisabled"}
_RETRYABLE_S3_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}


def export_range(
    task_id: str, symbol: str, interval: str, start_ms: int, end_ms: int, format: str
) -> dict[str, Any]:
    """RQ entry point (see cl3_common.tasks.contracts)."""
    return run_export(get_context(), task_id, symbol, interval, start_ms, end_ms, format)


def export_key(
    task_id: str, symbol: str, interval: str, start_ms: int, end_ms: int, fmt: str
) -> str:
    return f"exports/{symbol}/{interval}/{start_ms}-{end_ms}-{task_id}.{fmt}"


def run_export(
    ctx: WorkerContext,
    task_id: str,
    symbol: str,
    interval: str,
    start_ms: int,
    end_ms: int,
    fmt: str,
    *,
    s3: Any = None,
) -> dict[str, Any]:
    if fmt not in CONTENT_TYPES:
        ctx.recorder.failed(task_id, "invalid_request", f"unknown export format {fmt!r}")
        return {"status": "failed", "error": f"unknown export format {fmt!r}"}
    recorder = ctx.recorder
    recorder.started(task_id)
    began = time.monotonic()
    settings = ctx.settings
    s3 = s3 or boto_client("s3", endpoint_url=settings.AWS_ENDPOINT_URL, region=settings.AWS_REGION)
    bucket = settings.EXPORT_BUCKET
    key = export_key(task_id, symbol, interval, start_ms, end_ms, fmt)
    total = ctx.stores.candles.count(SeriesKey(symbol, interval), start_ms, end_ms)

    def on_page(rows_done: int) -> None:
        percent = 90 * rows_done // total if total else 90  # the upload is the last 10%
        recorder.progress.update(task_id, progress=percent, candles_written=rows_done)

    try:
        with tempfile.TemporaryFile() as tmp:
            pages = _pages(ctx, symbol, interval, start_ms, end_ms)
            rows = (
                _write_csv(tmp, pages, on_page)
                if fmt == "csv"
                else _write_parquet(tmp, pages, on_page, symbol, interval)
            )
            size = tmp.tell()
            tmp.seek(0)
            s3.upload_fileobj(
                tmp,
                bucket,
                key,
                ExtraArgs={
                    "ContentType": CONTENT_TYPES[fmt],
                    "ContentDisposition": f'attachment; filename="{key.rsplit("/", 1)[1]}"',
                    "Metadata": {"symbol": symbol, "interval": interval, "rows": str(rows)},
                },
            )
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=PRESIGNED_URL_TTL_S
        )
    except Exception as e:
        message = _fail(ctx, task_id, bucket, e)
        if message is not None:
            return {"status": "failed", "error": message}  # retrying cannot help: no RQ retry
        raise
    result = {
        "url": url,
        "expires_at": int((ctx.clock() + PRESIGNED_URL_TTL_S) * 1000),
        "bucket": bucket,
        "key": key,
        "rows": rows,
        "format": fmt,
        "bytes": size,
        "symbol": symbol,
        "interval": interval,
        "start": start_ms,
        "end": end_ms,
        "duration_s": round(time.monotonic() - began, 3),
    }
    recorder.finished(task_id, result, candles_written=rows)
    log.info("export %s: %d rows to s3://%s/%s", task_id, rows, bucket, key)
    return result


def _fail(ctx: WorkerContext, task_id: str, bucket: str, e: Exception) -> str | None:
    """Records the failure; returns its message when retrying cannot help (no RQ retry)."""
    from botocore.exceptions import BotoCoreError

    code = _s3_error_code(e)
    if code in _PERMANENT_S3_CODES or isinstance(e, PermanentError):
        message = f"s3 refused the export to {bucket}: {code}" if code else str(e)
        ctx.recorder.failed(task_id, "export_failed", message)
        log.error("export %s failed: %s", task_id, message)
        return message
    if isinstance(e, RetryableError | BotoCoreError) or code in _RETRYABLE_S3_CODES:
        fail_if_last_attempt(ctx.recorder, task_id, "unavailable", f"gave up after retries: {e}")
        return None
    ctx.recorder.failed(task_id, "export_failed", f"export failed: {e}")  # a bug: RQ has it
    return None


def _s3_error_code(e: Exception) -> str | None:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


def _pages(
    ctx: WorkerContext, symbol: str, interval: str, start_ms: int, end_ms: int
) -> Iterator[list[dict[str, Any]]]:
    cursor = start_ms
    while cursor < end_ms:
        stored = ctx.stores.candles.read(SeriesKey(symbol, interval), cursor, end_ms, PAGE_SIZE)
        if not stored:
            return
        rows = [row_to_api(r) for r in stored]
        yield rows
        if len(stored) < PAGE_SIZE:
            return
        cursor = rows[-1]["open_time"] + 1


def _write_csv(tmp: IO[bytes], pages: Iterator[list[dict[str, Any]]], on_page: Any) -> int:
    import io

    text = io.TextIOWrapper(tmp, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(API_FIELDS)
    rows = 0
    for page in pages:
        writer.writerows([row[f] for f in API_FIELDS] for row in page)
        rows += len(page)
        on_page(rows)
    text.flush()
    text.detach()  # keep the underlying file open for the upload
    return rows


def _write_parquet(
    tmp: IO[bytes],
    pages: Iterator[list[dict[str, Any]]],
    on_page: Any,
    symbol: str,
    interval: str,
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"open_time": pa.int64(), "close_time": pa.int64(), "trades": pa.int64()}
    schema = pa.schema(
        [pa.field(f, types.get(f, pa.float64()), nullable=False) for f in API_FIELDS],
        metadata={"symbol": symbol, "interval": interval, "time_unit": "epoch_ms"},
    )
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for page in pages:
            columns = {f: [row[f] for row in page] for f in API_FIELDS}
            writer.write_table(pa.table(columns, schema=schema))
            rows += len(page)
            on_page(rows)
    return rows
