"""POST /api/market-data/export (enterprise) and the export job, against moto's S3 server."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pyarrow.parquet as pq
import pytest
import requests
from rq import Queue

from cl3_common.settings import Settings
from cl3_common.store import API_FIELDS, FUNDING_FIELDS, FundingKey, SeriesKey, kline_to_row
from cl3_common.tasks.contracts import QUEUE_EXPORT
from cl3_sandbox.exchange import expected_klines
from cl3_worker.context import WorkerContext
from cl3_worker.runner import execute

HOUR_MS = 3_600_000
FIRST_OPEN = 1_704_067_200_000  # 2024-01-01T00:00:00Z
START, END = FIRST_OPEN + 6 * HOUR_MS, FIRST_OPEN + 30 * HOUR_MS  # 24 of the 48 stored candles


def _post(api, headers, body):
    return api.http.post("/api/market-data/export", headers=headers, body=json.dumps(body))


def _body(**over):
    return {"symbol": "BTCUSDT", "interval": "1h", "start": START, "end": END,
            "format": "csv", **over}  # fmt: skip


def _error(response) -> dict:
    body = json.loads(response.body)
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


@pytest.fixture
def stored(seed_candles) -> list[int]:
    return seed_candles("BTCUSDT", "1h", FIRST_OPEN + 47 * HOUR_MS, count=48)


@pytest.fixture
def export_env(env, aws_env, bucket) -> dict[str, str]:
    env.update(aws_env, EXPORT_BUCKET=bucket)  # seen by run_worker_burst's worker process
    return env


def test_enterprise_export_to_s3_downloads_the_right_rows_as_csv(
    api, auth_headers, stored, export_env, run_worker_burst, redis_client
):
    headers = auth_headers("ent-1", tier="enterprise")
    answer = _post(api, headers, _body(start="2024-01-01T06:00:00Z"))
    assert answer.status_code == 202, answer.body
    task_id = json.loads(answer.body)["task_id"]
    assert Queue(QUEUE_EXPORT, connection=redis_client).job_ids == [task_id]
    assert json.loads(_post(api, headers, _body()).body)["task_id"] == task_id  # same request

    done = run_worker_burst(QUEUE_EXPORT)
    assert done.returncode == 0, done.stderr[-3000:]

    progress = json.loads(api.http.get(f"/api/task/{task_id}/progress", headers=headers).body)
    assert progress["status"] == "finished" and progress["progress"] == 100, progress
    result = json.loads(api.http.get(f"/api/task/{task_id}/result", headers=headers).body)
    assert result["type"] == "export" and result["format"] == "csv"
    assert result["bucket"] == export_env["EXPORT_BUCKET"] and result["rows"] == 24
    assert result["key"].startswith("exports/BTCUSDT/1h/") and result["key"].endswith(".csv")

    download = requests.get(result["url"], timeout=10)
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == list(API_FIELDS)
    assert [int(r[0]) for r in rows[1:]] == [t for t in stored if START <= t < END]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert float(first["close"]) == 106.0 and int(first["trades"]) == 42
    assert int(first["close_time"]) == START + HOUR_MS - 1


def _worker_ctx(env: dict[str, str]) -> WorkerContext:
    return WorkerContext.build(Settings.from_env(env))


def _export(ctx: WorkerContext, symbol: str, fmt: str) -> tuple[str, dict]:
    """Runs an export task in this process, through the job runner as a worker would."""
    task_id = uuid.uuid4().hex
    params = {"symbol": symbol, "interval": "1h", "start_ms": START, "end_ms": END, "format": fmt}
    ctx.recorder.create(task_id, owner="ent-1", task_type="export", params=params)
    return task_id, execute(ctx, "export", task_id, params)


def test_parquet_export_holds_the_same_rows(stored, export_env):
    ctx = _worker_ctx(export_env)
    task_id, outcome = _export(ctx, "BTCUSDT", "parquet")
    assert outcome == {"status": "finished", "task_id": task_id, "warnings": []}
    result = ctx.stores.tasks.get(task_id)["result"]

    table = pq.read_table(io.BytesIO(requests.get(result["url"], timeout=10).content))
    assert table.column_names == list(API_FIELDS) and table.num_rows == result["rows"] == 24
    assert table.column("open_time").to_pylist() == [t for t in stored if START <= t < END]
    assert table.schema.metadata[b"symbol"] == b"BTCUSDT"
    assert result["key"].endswith(f"-{task_id}.parquet")


def test_an_empty_range_exports_a_header_only_csv(stored, export_env):
    ctx = _worker_ctx(export_env)
    task_id, _ = _export(ctx, "ETHUSDT", "csv")
    result = ctx.stores.tasks.get(task_id)["result"]
    assert result["rows"] == 0
    assert requests.get(result["url"], timeout=10).text == ",".join(API_FIELDS) + "\n"


def test_a_missing_bucket_fails_the_task_with_a_clear_error(stored, export_env):
    ctx = _worker_ctx({**export_env, "EXPORT_BUCKET": "no-such-bucket-cl3"})
    task_id, outcome = _export(ctx, "BTCUSDT", "csv")
    assert outcome["status"] == "failed" and outcome["error"]["code"] == "export_failed"
    assert "NoSuchBucket" in outcome["error"]["message"]
    doc = ctx.stores.tasks.get(task_id)
    assert doc["status"] == "failed" and doc["error"] == outcome["error"]
    assert "no-such-bucket-cl3" in doc["error"]["message"] and doc["ended_at"] is not None


@pytest.mark.parametrize("tier", ["pro", "free"])
def test_non_enterprise_plans_get_403_and_nothing_is_enqueued(
    api, auth_headers, redis_client, tier
):
    response = _post(api, auth_headers(tier=tier), _body())
    assert response.status_code == 403
    assert _error(response)["code"] == "subscription_required"
    assert Queue(QUEUE_EXPORT, connection=redis_client).count == 0


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"format": "xlsx"}, "invalid_request"),
        ({"format": None}, "invalid_request"),
        ({"end": None}, "invalid_request"),
        ({"start": "yesterday"}, "invalid_request"),
        ({"start": END, "end": START}, "invalid_range"),
        ({"symbol": "btc-usdt"}, "invalid_symbol"),
        ({"interval": "7m"}, "invalid_interval"),
        ({"compress": True}, "invalid_request"),
    ],
)
def test_bad_export_requests_get_400(api, auth_headers, redis_client, over, code):
    body = {k: v for k, v in _body(**over).items() if v is not None}
    response = _post(api, auth_headers(tier="enterprise"), body)
    assert response.status_code == 400, response.body
    assert _error(response)["code"] == code
    assert Queue(QUEUE_EXPORT, connection=redis_client).count == 0


def test_export_without_a_token_is_401(api):
    response = api.http.post(
        "/api/market-data/export",
        headers={"Content-Type": "application/json"},
        body=json.dumps(_body()),
    )
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


def test_futures_series_and_funding_export_through_the_api(
    api, auth_headers, export_env, run_worker_burst, stores
):
    mark = SeriesKey("ETHUSDT", "1h", "usdm", "mark")
    klines = expected_klines("ETHUSDT", "1h", START, END - 1, now_ms=END + 10**10,
                             market="usdm", kind="mark")  # fmt: skip
    stores.candles.insert(mark, [kline_to_row(k) for k in klines])
    events = [(START + i * 8 * HOUR_MS + 4, 0.0001 * i, None, 8 if i else None)
              for i in range(3)]  # fmt: skip
    stores.funding.insert(FundingKey("usdm", "ETHUSDT"), events)
    headers = auth_headers("ent-1", tier="enterprise")
    tasks = [
        json.loads(_post(api, headers, _body(symbol="ETHUSDT", market="usdm", kind="mark")).body)
        ["task_id"],
        json.loads(api.http.post("/api/funding/export", headers=headers, body=json.dumps(
            {"market": "usdm", "symbol": "ETHUSDT", "start": START, "end": END,
             "format": "csv"})).body)["task_id"],
    ]  # fmt: skip
    done = run_worker_burst(QUEUE_EXPORT)
    assert done.returncode == 0, done.stderr[-3000:]
    candles, funding = (json.loads(api.http.get(f"/api/task/{t}/result", headers=headers).body)
                        for t in tasks)  # fmt: skip
    assert candles["key"].startswith("exports/usdm/mark/ETHUSDT/1h/") and candles["rows"] == 24
    assert (candles["market"], candles["kind"]) == ("usdm", "mark")
    rows = list(csv.reader(io.StringIO(requests.get(candles["url"], timeout=10).text)))
    assert [float(r[5]) for r in rows[1:]] == [float(k[4]) for k in klines]
    assert funding["key"].startswith("exports/funding/usdm/ETHUSDT/") and funding["rows"] == 3
    rows = list(csv.reader(io.StringIO(requests.get(funding["url"], timeout=10).text)))
    assert rows[0] == list(FUNDING_FIELDS)
    assert rows[1:] == [[str(t), str(rate), "", "" if h is None else str(h)]
                        for t, rate, _, h in events]  # fmt: skip


def test_funding_export_needs_enterprise_and_a_known_symbol(api, auth_headers, redis_client):
    body = {"market": "usdm", "symbol": "NOPEUSDT", "start": START, "end": END, "format": "csv"}
    for tier, status, code in (("pro", 403, "subscription_required"),
                               ("enterprise", 400, "invalid_symbol")):  # fmt: skip
        response = api.http.post("/api/funding/export", headers=auth_headers(tier=tier),
                                 body=json.dumps(body))  # fmt: skip
        assert response.status_code == status and _error(response)["code"] == code
    assert Queue(QUEUE_EXPORT, connection=redis_client).count == 0
