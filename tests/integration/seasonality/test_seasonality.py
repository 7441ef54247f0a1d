"""Seasonality end to end: POST /api/seasonality/analyze -> a real worker process -> the store ->
GET the document and the heatmap PNG; and every way a request is refused before enqueueing."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rq import Queue

from cl3_common.store import SeriesKey, Stores, kline_to_row
from cl3_common.tasks.contracts import QUEUE_ANALYTICS
from cl3_sandbox.exchange import expected_klines
from cl3_worker.analytics import AnalysisParams, analyze

START = 1_704_067_200_000  # 2024-01-01T00:00:00Z, a Monday
HOUR = 3_600_000
N_CANDLES = 4_000  # ~5.5 months of 1h: the sandbox's intraday cycle is clearly significant
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def store_klines(
    stores: Stores, symbol: str, interval: str, n: int, step: int = HOUR
) -> list[list]:
    rows = expected_klines(symbol, interval, START, START + n * step - 1, now_ms=START + 10**12)
    key = SeriesKey(symbol, interval)
    assert stores.candles.insert(key, [kline_to_row(r) for r in rows]) == n
    return rows


def post(api: Any, headers: dict[str, str], body: Any) -> Any:
    return api.http.post("/api/seasonality/analyze", headers=headers, body=json.dumps(body))


def error_of(response: Any) -> dict[str, str]:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return body["error"]


def strict_json(raw: bytes | str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in JSON")

    return json.loads(raw, parse_constant=refuse)


def test_analysis_runs_in_a_worker_and_is_served(
    api, auth_headers, stores, settings, redis_client, run_worker_burst
):
    rows = store_klines(stores, "BTCUSDT", "1h", N_CANDLES)
    short = store_klines(stores, "ETHUSDT", "1h", 60)
    headers = auth_headers()

    accepted = post(api, headers, {"symbol": "btcusdt", "interval": "1h"})
    assert accepted.status_code == 202, accepted.body
    task_id = json.loads(accepted.body)["task_id"]
    assert json.loads(accepted.body)["status_url"] == f"/api/task/{task_id}/progress"
    # Identical while pending: the same task.
    again = post(api, headers, {"symbol": "BTCUSDT", "interval": "1h", "params": {"fast": 20}})
    assert json.loads(again.body)["task_id"] == task_id
    # Enough candles at request time, fewer by the time the worker runs: the job itself
    # fails with insufficient_data (and RQ does not retry it).
    eth = post(api, headers, {"symbol": "ETHUSDT", "interval": "1h"})
    assert eth.status_code == 202, eth.body
    eth_id = json.loads(eth.body)["task_id"]
    with sqlite3.connect(settings.SQLITE_PATH) as raw:  # candles gone behind the API's back
        raw.execute(
            "DELETE FROM candles WHERE open_time >= ? AND series_id = (SELECT id FROM "
            "candle_series WHERE symbol = 'ETHUSDT')",
            (short[10][0],),
        )
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).count == 2

    done = run_worker_burst(QUEUE_ANALYTICS)
    assert done.returncode == 0, done.stderr[-3000:]

    progress = strict_json(api.http.get(f"/api/task/{task_id}/progress", headers=headers).body)
    assert progress["status"] == "finished", (progress["error"], done.stdout[-3000:])
    assert progress["progress"] == 100 and progress["error"] is None
    assert progress["pages_done"] == progress["pages_total"] == 4  # read, compute, render, store

    # The stored document: strict JSON, the shape of docs/analytics.md, the sandbox's cycles.
    stored = stores.analyses.get(SeriesKey("BTCUSDT", "1h"))
    assert stored is not None
    json.dumps(stored, allow_nan=False)
    assert stored["candles"] == N_CANDLES and stored["returns"] == N_CANDLES - 1
    assert stored["start"] == START and stored["params"] == AnalysisParams().to_dict()
    assert len(stored["calendar"]["hour_of_day"]) == 24
    assert len(stored["calendar"]["day_of_week"]) == 7
    hours = {
        (p["key"], p["direction"]) for p in stored["patterns"] if p["profile"] == "hour_of_day"
    }
    assert len(hours) >= 5
    assert {d for _, d in hours} == {"up", "down"}
    assert any(p["profile"] == "day_of_week" for p in stored["patterns"])
    qs = [p["q_value"] for p in stored["patterns"]]
    assert qs == sorted(qs) and all(q < 0.05 for q in qs)

    # Exactly what the analytics compute on the same candles in-process.
    frame = pd.DataFrame(
        {"open_time": [r[0] for r in rows], "close": np.array([float(r[4]) for r in rows])}
    )
    expected = analyze(
        frame,
        symbol="BTCUSDT",
        interval="1h",
        params=AnalysisParams(),
        start_ms=None,
        end_ms=stored["end"],
        now_ms=stored["computed_at"],
    )
    # Plus what the series is: any market and kind can be analysed.
    assert stored == {**expected, "market": "spot", "kind": "trade", "value": "close"}

    # The API serves the document as stored.
    response = api.http.get("/api/seasonality/BTCUSDT/1h", headers=auth_headers(tier="free"))
    assert response.status_code == 200
    assert strict_json(response.body) == stored

    # ... and the task result carries the same analysis.
    result = strict_json(api.http.get(f"/api/task/{task_id}/result", headers=headers).body)
    assert result["type"] == "analyze" and result["patterns"] == stored["patterns"]
    assert result["heatmap_url"] == "/api/seasonality/BTCUSDT/1h/heatmap.png"
    assert set(result["timings_s"]) == {"read", "compute", "render", "store"}

    png = api.http.get(
        "/api/seasonality/BTCUSDT/1h/heatmap.png",
        headers={**auth_headers(tier="free"), "Accept": "image/png"},
    )
    assert png.status_code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.body.startswith(PNG_SIGNATURE) and len(png.body) > 5_000
    assert png.body == stores.analyses.heatmap(SeriesKey("BTCUSDT", "1h"))
    # What curl and browsers send works too; no Accept at all gets the documented error shape.
    browser = {**auth_headers(tier="free"), "Accept": "text/html,image/webp,*/*;q=0.8"}
    anything = api.http.get("/api/seasonality/BTCUSDT/1h/heatmap.png", headers=browser)
    assert anything.status_code == 200 and anything.body == png.body
    bare = api.http.get("/api/seasonality/BTCUSDT/1h/heatmap.png", headers=auth_headers())
    assert bare.status_code == 400 and error_of(bare)["code"] == "invalid_request"

    eth_progress = strict_json(api.http.get(f"/api/task/{eth_id}/progress", headers=headers).body)
    assert eth_progress["status"] == "failed"
    assert eth_progress["error"]["code"] == "insufficient_data"
    assert stores.analyses.get(SeriesKey("ETHUSDT", "1h")) is None
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).failed_job_registry.count == 0


@pytest.fixture
def few(stores) -> list[list]:
    """slow + 2 = 52 candles with the default params: just enough."""
    return store_klines(stores, "BTCUSDT", "1h", 52)


def test_free_tier_is_refused_before_anything_is_enqueued(api, auth_headers, redis_client, few):
    response = post(api, auth_headers(tier="free"), {"symbol": "BTCUSDT", "interval": "1h"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "subscription_required"
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).count == 0
    assert redis_client.keys("*dedupe*") == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"fast": 50, "slow": 20}, "smaller than params.slow"),
        ({"fast": 20, "slow": 20}, "smaller than params.slow"),
        ({"window": 1}, "params.window must be at least 2"),
        ({"fast": 1}, "params.fast must be at least 2"),
        ({"entry_z": 0}, "params.entry_z must be greater than 0"),
        ({"exit_z": -0.5}, "params.exit_z must be greater than 0"),
        ({"alpha": 0}, "params.alpha must be greater than 0"),
        ({"fast": 2.5}, "params.fast must be an integer"),
        ({"bogus": 1}, "unknown params: bogus"),
        ("fast=10", "params must be an object"),
    ],
)
def test_bad_params_are_400(api, auth_headers, redis_client, few, params, fragment):
    response = post(api, auth_headers(), {"symbol": "BTCUSDT", "interval": "1h", "params": params})
    assert response.status_code == 400, response.body
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert fragment in error["message"]
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).count == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"symbol": "BTCUSDT", "interval": "7m"}, "invalid_interval"),
        ({"symbol": "BTCUSDT"}, "invalid_request"),
        ({"symbol": "BTC/USDT", "interval": "1h"}, "invalid_symbol"),
        ({"interval": "1h"}, "invalid_symbol"),
        ({"symbol": "BTCUSDT", "interval": "1h", "format": "csv"}, "invalid_request"),
        ({"symbol": "BTCUSDT", "interval": "1h", "start": "yesterday"}, "invalid_request"),
        (
            {"symbol": "BTCUSDT", "interval": "1h", "start": START + HOUR, "end": START},
            "invalid_range",
        ),
    ],
)
def test_bad_requests_are_400(api, auth_headers, redis_client, few, body, code):
    response = post(api, auth_headers(), body)
    assert response.status_code == 400, response.body
    assert error_of(response)["code"] == code
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).count == 0


def test_body_must_be_a_json_object(api, auth_headers):
    response = api.http.post("/api/seasonality/analyze", headers=auth_headers(), body="[1]")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"


def test_fewer_than_slow_plus_two_candles_is_422(api, auth_headers, stores, redis_client):
    store_klines(stores, "BTCUSDT", "1h", 51)
    queue = Queue(QUEUE_ANALYTICS, connection=redis_client)
    response = post(api, auth_headers(), {"symbol": "BTCUSDT", "interval": "1h"})
    assert response.status_code == 422, response.body
    error = error_of(response)
    assert error["code"] == "insufficient_data" and "52" in error["message"]
    # None at all (another series, another interval) is the same answer.
    for body in ({"symbol": "ETHUSDT", "interval": "1h"}, {"symbol": "BTCUSDT", "interval": "4h"}):
        assert error_of(post(api, auth_headers(), body))["code"] == "insufficient_data"
    # The range counts: 51 candles in all, 10 of them in [start, end).
    ranged = post(
        api,
        auth_headers(),
        {
            "symbol": "BTCUSDT",
            "interval": "1h",
            "start": "2024-01-01T00:00:00Z",
            "end": START + 10 * HOUR,
            "params": {"fast": 2, "slow": 9},  # needs 11
        },
    )
    assert ranged.status_code == 422
    assert queue.count == 0
    # The threshold follows the params: slow = 30 needs 32.
    ok = post(api, auth_headers(), {"symbol": "BTCUSDT", "interval": "1h", "params": {"slow": 30}})
    assert ok.status_code == 202, ok.body
    assert queue.count == 1


def test_no_analysis_yet_is_404(api, auth_headers, few):
    for path in ("/api/seasonality/BTCUSDT/1h", "/api/seasonality/BTCUSDT/1h/heatmap.png"):
        response = api.http.get(path, headers={**auth_headers(tier="free"), "Accept": "image/png"})
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/seasonality/BTCUSDT/9h", "invalid_interval"),
        ("/api/seasonality/BTC-USDT/1h", "invalid_symbol"),
        ("/api/seasonality/BTCUSDT/9h/heatmap.png", "invalid_interval"),
        ("/api/seasonality/BTCUSDT/1h?verbose=1", "invalid_request"),
    ],
)
def test_bad_reads_are_400(api, auth_headers, path, code):
    response = api.http.get(path, headers=auth_headers())
    assert response.status_code == 400, response.body
    assert error_of(response)["code"] == code


def test_everything_needs_a_token(api, redis_client):
    responses = [
        api.http.post(
            "/api/seasonality/analyze",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"symbol": "BTCUSDT", "interval": "1h"}),
        ),
        api.http.get("/api/seasonality/BTCUSDT/1h"),
        api.http.get("/api/seasonality/BTCUSDT/1h/heatmap.png", headers={"Accept": "image/png"}),
        api.http.get(
            "/api/seasonality/BTCUSDT/1h", headers={"Authorization": "Bearer not-a-token"}
        ),
    ]
    for response in responses:
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"
    assert Queue(QUEUE_ANALYTICS, connection=redis_client).count == 0


def test_cli_prints_tables_saves_the_png_and_stores(stores, env, monkeypatch, tmp_path, capsys):
    from cl3_cli.main import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store_klines(stores, "BTCUSDT", "1h", 1_000)
    out = tmp_path / "heat.png"
    assert main(["seasonality", "BTCUSDT", "1h", "--out", str(out), "--start", str(START)]) == 0
    printed = capsys.readouterr().out
    assert "patterns (Benjamini-Hochberg" in printed and "backtests" in printed
    assert "SMA crossover 20/50" in printed and "mean reversion" in printed
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert stores.analyses.get(SeriesKey("BTCUSDT", "1h"))["candles"] == 1_000
    assert main(["seasonality", "ETHUSDT", "1h", "--out", str(out), "--no-store"]) == 1
    assert main(["seasonality", "BTCUSDT", "1h", "--params", '{"fast": 60}']) == 2
    assert "insufficient data" in capsys.readouterr().out
    premium = SeriesKey("BTCUSDT", "1h", "usdm", "premium")
    rows = expected_klines("BTCUSDT", "1h", START, START + 200 * HOUR - 1, now_ms=START + 10**12,
                           market="usdm", kind="premium")  # fmt: skip
    stores.candles.insert(premium, [kline_to_row(r) for r in rows])
    argv = ["seasonality", "BTCUSDT", "1h", "--market", "usdm", "--kind", "premium"]
    assert main([*argv, "--out", str(out)]) == 0
    assert stores.analyses.get(premium)["value"] == "1 + premium index"
    assert main(["seasonality", "BTCUSDT", "1h", "--kind", "premium"]) == 2  # not on spot


@pytest.mark.parametrize(
    ("market", "kind", "symbol"),
    [("usdm", "premium", "ETHUSDT"), ("coinm", "index", "BTCUSD"), ("usdm", "mark", "BTCUSDT")],
)
def test_any_market_and_kind_is_analysed(
    api, auth_headers, stores, run_worker_burst, market, kind, symbol
):
    rows = expected_klines(symbol, "1h", START, START + 500 * HOUR - 1, now_ms=START + 10**12,
                           market=market, kind=kind)  # fmt: skip
    stores.candles.insert(SeriesKey(symbol, "1h", market, kind), [kline_to_row(r) for r in rows])
    if kind == "premium":  # a ratio minus one: often below zero, so not a price to take logs of
        assert any(float(r[4]) < 0 for r in rows)
    headers = auth_headers()
    body = {"symbol": symbol, "interval": "1h", "market": market, "kind": kind}
    accepted = post(api, headers, body)
    assert accepted.status_code == 202, accepted.body
    done = run_worker_burst(QUEUE_ANALYTICS)
    assert done.returncode == 0, done.stderr[-3000:]
    task_id = json.loads(accepted.body)["task_id"]
    result = strict_json(api.http.get(f"/api/task/{task_id}/result", headers=headers).body)
    assert result["type"] == "analyze" and result["candles"] == 500, result
    query = f"?market={market}&kind={kind}"
    assert result["document_url"] == f"/api/seasonality/{symbol}/1h{query}"
    document = strict_json(api.http.get(result["document_url"], headers=headers).body)
    assert (document["market"], document["kind"], document["symbol"]) == (market, kind, symbol)
    assert document["value"] == ("1 + premium index" if kind == "premium" else "close")
    assert document["returns"] == 499 and len(document["heatmap"]) == 7
    png = api.http.get(result["heatmap_url"], headers={**headers, "Accept": "image/png"})
    assert png.status_code == 200 and png.body.startswith(PNG_SIGNATURE)
    # The spot series of the same name has no analysis: the series are apart.
    spot = api.http.get(f"/api/seasonality/{symbol}/1h", headers=headers)
    assert spot.status_code == 404
