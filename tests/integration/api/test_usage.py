"""GET /api/usage: plan, requests left this minute, running jobs, candles fetched this month."""

from __future__ import annotations

import json

from cl3_common.usage import candles_key, candles_this_month, count_fetched_candles, month_of

FETCH = {"symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z",
         "end": "2024-01-03T00:00:00Z"}  # fmt: skip


def usage(api, headers) -> dict:
    response = api.http.get("/api/usage", headers=headers)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_usage_reports_the_plan_the_minute_the_jobs_and_the_month(
    api, auth_headers, run_worker_burst, runtime
):
    headers = auth_headers("user-u", "pro")
    first = usage(api, headers)
    assert first["sub"] == "user-u" and first["tier"] == "pro"
    assert first["entitlements"] == {
        "can_enqueue": True, "max_range_days": 366, "min_interval": "1m",
        "max_concurrent_jobs": 2, "requests_per_minute": 600, "can_export": False,
        "can_audit": False,
    }  # fmt: skip
    assert first["requests"]["limit"] == 600 and first["requests"]["remaining"] == 599
    assert first["jobs"] == {"running": 0, "max_concurrent": 2}
    assert first["this_month"]["candles_fetched"] == 0

    accepted = api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(FETCH))
    assert accepted.status_code == 202
    queued = usage(api, headers)
    assert queued["jobs"]["running"] == 1
    assert queued["requests"]["remaining"] == 597  # usage, fetch, usage

    done = run_worker_burst()
    assert done.returncode == 0, done.stderr[-2000:]
    task_id = json.loads(accepted.body)["task_id"]
    result = json.loads(api.http.get(f"/api/task/{task_id}/result", headers=headers).body)
    assert result["candles_written"] == 48
    after = usage(api, headers)
    assert after["jobs"]["running"] == 0
    assert after["this_month"]["candles_fetched"] == 48
    assert after["this_month"]["month"] == month_of(int(runtime.clock() * 1000))
    # Another user's month is their own.
    assert usage(api, auth_headers("user-v", "pro"))["this_month"]["candles_fetched"] == 0


def test_only_finished_fetch_and_refresh_tasks_count(redis_client):
    now = 1_717_200_000_000  # 2024-06-01
    for task_type, written in (("fetch", 10), ("refresh", 5), ("analyze", 99), ("export", 7)):
        count_fetched_candles(
            redis_client, {"type": task_type, "owner": "u"}, {"candles_written": written}, now
        )
    count_fetched_candles(redis_client, None, {"candles_written": 3}, now)  # record gone
    count_fetched_candles(redis_client, {"type": "fetch"}, {"candles_written": 3}, now)
    count_fetched_candles(redis_client, {"type": "fetch", "owner": "u"}, {"error": "x"}, now)
    assert candles_this_month(redis_client, "u", now) == 15
    next_month = now + 31 * 86_400_000
    assert candles_this_month(redis_client, "u", next_month) == 0
    assert 31 * 86_400 < redis_client.ttl(candles_key("u", "2024-06")) <= 71 * 86_400
