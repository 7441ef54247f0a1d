"""Spot request weight, 429/418, injected faults and the HTTP transport, over real HTTP."""

from __future__ import annotations

import statistics
import time

import pytest
import requests

from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.integration.sandbox.support import JAN_2024, Clock
from tests.integration.sandbox.support import spot_klines as klines

# ----- request weight, 429 and 418 -----


def test_weight_header_counts_two_per_klines_call(http, ex):
    used = [int(klines(http, ex, limit=1).headers["X-MBX-USED-WEIGHT-1M"]) for _ in range(3)]
    assert used == [2, 4, 6]
    r = http.get(f"{ex.url}/api/v3/ping")
    assert r.headers["X-MBX-USED-WEIGHT"] == r.headers["X-MBX-USED-WEIGHT-1M"] == "7"
    assert http.get(f"{ex.url}/api/v3/exchangeInfo").headers["X-MBX-USED-WEIGHT-1M"] == "27"


def test_429_with_retry_after_then_418_ban(http):
    clock = Clock(1_700_000_000.5)  # 1.5 s before the end of a 2 s window
    config = SandboxConfig(weight_limit=10, window_s=2, ban_s=30, ban_after_violations=3,
                           clock=clock)  # fmt: skip
    with SandboxExchange(config) as ex:
        statuses = [klines(http, ex, limit=1).status_code for _ in range(5)]
        assert statuses == [200] * 5
        over = klines(http, ex, limit=1)
        assert over.status_code == 429 and over.headers["Retry-After"] == "2"
        assert over.json() == {
            "code": -1003,
            "msg": (
                "Too much request weight used; current limit is 10 request weight per 2 SECOND. "
                "Please use WebSocket Streams for live updates to avoid polling the API."
            ),
        }
        assert [klines(http, ex, limit=1).status_code for _ in range(3)] == [429] * 3
        banned = klines(http, ex, limit=1)
        assert banned.status_code == 418 and banned.headers["Retry-After"] == "30"
        until = int((clock.now + 30) * 1000)
        assert banned.json()["msg"] == (
            f"Way too much request weight used; IP banned until {until}. "
            "Please use WebSocket Streams for live updates to avoid bans."
        )
        clock.now += 10
        r = http.get(f"{ex.url}/api/v3/ping")  # every request during the ban, even weight 1
        assert r.status_code == 418 and r.headers["Retry-After"] == "20"
        clock.now += 21
        assert klines(http, ex, limit=1).status_code == 200
        stats = ex.stats()
        assert (stats["responses_429"], stats["responses_418"]) == (4, 2)


def test_a_client_that_waits_retry_after_is_not_banned(http):
    clock = Clock(1_700_000_000.0)
    with SandboxExchange(SandboxConfig(weight_limit=4, window_s=2, clock=clock)) as ex:
        for _ in range(5):
            codes = [klines(http, ex, limit=1).status_code for _ in range(3)]
            assert codes == [200, 200, 429]
            clock.now += 2  # honours Retry-After
        ex.reset_limits()


# ----- fault injection -----


def test_injected_faults_are_served_in_order_then_normal(http, ex):
    ex.inject(503, count=2)
    ex.inject(429, retry_after=1)
    ex.inject(418, retry_after=2)
    first, second = klines(http, ex, limit=1), klines(http, ex, limit=1)
    assert first.status_code == second.status_code == 503
    assert first.headers["Content-Type"].startswith("text/html")
    assert http.get(f"{ex.url}/api/v3/ping").status_code == 200  # other paths unaffected
    too_many = klines(http, ex, limit=1)
    assert too_many.status_code == 429 and too_many.headers["Retry-After"] == "1"
    assert too_many.json()["code"] == -1003
    teapot = klines(http, ex, limit=1)
    assert teapot.status_code == 418 and teapot.headers["Retry-After"] == "2"
    assert "IP banned until" in teapot.json()["msg"]
    assert klines(http, ex, limit=1).status_code == 200


def test_injected_drop_and_delay(http, ex):
    ex.inject(0)
    with pytest.raises(requests.ConnectionError):
        klines(http, ex, limit=1)
    ex.inject(200, delay_ms=1500, path="/api/v3/time", body=b'{"serverTime":1}')
    with pytest.raises(requests.Timeout):
        http.get(f"{ex.url}/api/v3/time", timeout=0.3)
    assert klines(http, ex, limit=1).status_code == 200


def test_fail_every_nth_klines_call(http):
    with SandboxExchange(SandboxConfig(fail_every=3, fail_status=500)) as ex:
        codes = [klines(http, ex, startTime=JAN_2024, limit=1).status_code for _ in range(6)]
        assert codes == [200, 200, 500, 200, 200, 500]
        assert ex.stats()["responses_5xx"] == 2


# ----- transport -----


def test_keep_alive_answers_without_nagle_stalls(http, ex):
    http.get(f"{ex.url}/api/v3/ping")
    times = []
    for _ in range(30):
        start = time.perf_counter()
        assert http.get(f"{ex.url}/api/v3/time").status_code == 200
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.02  # a delayed-ACK stall is ~40 ms


def test_latency_is_added(http):
    with SandboxExchange(SandboxConfig(latency_ms=60)) as ex:
        start = time.perf_counter()
        http.get(f"{ex.url}/api/v3/ping")
        assert time.perf_counter() - start >= 0.06


def test_stop_closes_kept_alive_connections(http):
    ex = SandboxExchange().start()
    url = ex.url
    assert http.get(f"{url}/api/v3/ping").status_code == 200
    ex.stop()
    with pytest.raises(requests.ConnectionError):
        http.get(f"{url}/api/v3/ping", timeout=2)
