"""Spot, USDⓈ-M and COIN-M each have their own weight limiter, ban, faults and latency."""

from __future__ import annotations

import time

import requests

from cl3_sandbox.exchange import Always, FamilyConfig, SandboxConfig, SandboxExchange
from tests.integration.sandbox.support import Clock, get

SPOT_KLINES = ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 10})
FAPI_KLINES = ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 10})
DAPI_KLINES = ("/dapi/v1/klines", {"symbol": "BTCUSD_PERP", "interval": "1m", "limit": 10})


def call(http, ex, endpoint) -> requests.Response:
    path, params = endpoint
    return get(http, ex, path, **params)


def test_a_ban_on_fapi_stops_fapi_only(http):
    clock = Clock(1_700_000_000.0)  # 20 s into a minute window
    fapi = FamilyConfig(weight_limit=5, ban_s=90, ban_after_violations=1)
    with SandboxExchange(SandboxConfig(clock=clock, fapi=fapi)) as ex:
        assert [call(http, ex, FAPI_KLINES).status_code for _ in range(5)] == [200] * 5
        over = call(http, ex, FAPI_KLINES)
        assert over.status_code == 429 and over.headers["Retry-After"] == "40"
        assert over.json() == {"code": -1003, "msg": "Too many requests; current limit is 5 "
                               "requests per minute. Please use the websocket for live updates "
                               "to avoid polling the API."}  # fmt: skip
        assert call(http, ex, FAPI_KLINES).status_code == 429
        banned = call(http, ex, FAPI_KLINES)
        assert banned.status_code == 418 and banned.headers["Retry-After"] == "90"
        until = int((clock.now + 90) * 1000)
        assert banned.json()["msg"] == (
            f"Way too many requests; IP banned until {until}. Please "
            "use the websocket for live updates to avoid bans."
        )
        assert get(http, ex, "/fapi/v1/ping").status_code == 418  # the whole family
        assert get(http, ex, "/fapi/v1/fundingRate", symbol="BTCUSDT").status_code == 418
        assert call(http, ex, SPOT_KLINES).status_code == 200
        assert call(http, ex, DAPI_KLINES).status_code == 200
        assert call(http, ex, SPOT_KLINES).headers["X-MBX-USED-WEIGHT-1M"] == "4"
        families = ex.stats()["families"]
        assert (families["fapi"]["responses_429"], families["fapi"]["responses_418"]) == (2, 3)
        assert families["spot"]["responses_418"] == families["dapi"]["responses_418"] == 0
        assert ex.stats()["responses_418"] == 3 and families["fapi"]["klines_requests"] == 8
        clock.now += 91
        assert call(http, ex, FAPI_KLINES).status_code == 200  # the ban is over


def test_spot_limit_is_its_own(http):
    clock = Clock(1_700_000_000.0)
    with SandboxExchange(SandboxConfig(clock=clock, weight_limit=4)) as ex:
        assert [call(http, ex, SPOT_KLINES).status_code for _ in range(3)] == [200, 200, 429]
        assert (
            call(http, ex, SPOT_KLINES)
            .json()["msg"]
            .startswith(
                "Too much request weight used; current limit is 4 request weight per 1 MINUTE."
            )
        )
        assert call(http, ex, FAPI_KLINES).status_code == 200
        weights = {f: c["weight_used"] for f, c in ex.stats()["families"].items()}
        assert weights == {"spot": 8, "fapi": 1, "dapi": 0}
        assert ex.stats()["weight_used_total"] == 9


def test_a_configured_418_on_fapi_klines_answers_every_request(http):
    rule = Always("/fapi/v1/klines", 418, retry_after=30)
    config = SandboxConfig(clock=Clock(), fapi=FamilyConfig(always=(rule,)))
    with SandboxExchange(config) as ex:
        for _ in range(3):
            r = call(http, ex, FAPI_KLINES)
            assert r.status_code == 418 and r.headers["Retry-After"] == "30"
            assert r.json()["code"] == -1003 and "IP banned until" in r.json()["msg"]
        assert get(http, ex, "/fapi/v1/markPriceKlines", **FAPI_KLINES[1]).status_code == 200
        assert call(http, ex, SPOT_KLINES).status_code == 200
        assert ex.stats()["families"]["fapi"]["responses_418"] == 3


def test_injected_faults_and_fail_every_belong_to_their_family(http):
    config = SandboxConfig(clock=Clock(), dapi=FamilyConfig(fail_every=2, funding_limit=0))
    with SandboxExchange(config) as ex:
        ex.inject(429, count=2, retry_after=7, path="/fapi/v1/premiumIndexKlines")
        premium = ("/fapi/v1/premiumIndexKlines", FAPI_KLINES[1])
        assert [call(http, ex, premium).status_code for _ in range(3)] == [429, 429, 200]
        assert call(http, ex, SPOT_KLINES).status_code == 200
        mark = ("/dapi/v1/markPriceKlines", DAPI_KLINES[1])
        codes = [call(http, ex, e).status_code for e in (DAPI_KLINES, mark) * 2]
        assert codes == [200, 503, 200, 503]  # every 2nd klines call of any kind
        assert ex.stats()["families"]["dapi"]["responses_5xx"] == 2


def test_latency_is_per_family(http):
    config = SandboxConfig(clock=Clock(), fapi=FamilyConfig(latency_ms=150))
    with SandboxExchange(config) as ex:
        call(http, ex, SPOT_KLINES)  # connect first
        t0 = time.perf_counter()
        call(http, ex, FAPI_KLINES)
        t1 = time.perf_counter()
        call(http, ex, SPOT_KLINES)
        t2 = time.perf_counter()
        assert t1 - t0 >= 0.15 > t2 - t1


def test_usdm_funding_has_its_own_limit_of_500_per_5_minutes(http):
    clock = Clock(1_700_000_200.0)  # 100 s into a 5-minute window
    with SandboxExchange(SandboxConfig(clock=clock)) as ex:
        ok = [get(http, ex, "/fapi/v1/fundingRate", symbol="BTCUSDT", limit=1).status_code
              for _ in range(500)]  # fmt: skip
        assert ok == [200] * 500
        over = get(http, ex, "/fapi/v1/fundingRate", symbol="BTCUSDT", limit=1)
        assert over.status_code == 429 and over.headers["Retry-After"] == "200"
        assert over.json() == {"code": -1003, "msg": "Too many requests; current limit is 500 "
                               "requests per 5 MINUTE. Please use the websocket for live "
                               "updates to avoid polling the API."}  # fmt: skip
        assert call(http, ex, FAPI_KLINES).status_code == 200  # weight is a separate budget
        assert get(http, ex, "/dapi/v1/fundingRate", symbol="BTCUSD_PERP").status_code == 200
        stats = ex.stats()
        assert stats["funding_requests"] == 502 and stats["families"]["fapi"]["weight_used"] == 1
        assert stats["families"]["dapi"]["weight_used"] == 1  # COIN-M funding weighs 1
        clock.now += 200
        assert get(http, ex, "/fapi/v1/fundingRate", symbol="BTCUSDT").status_code == 200


def test_defaults_are_binances():
    config = SandboxConfig()
    spot, fapi, dapi = (config.family(name) for name in ("spot", "fapi", "dapi"))
    assert (spot.weight_limit, fapi.weight_limit, dapi.weight_limit) == (6000, 2400, 2400)
    assert spot.window_s == fapi.window_s == dapi.window_s == 60
    assert (fapi.funding_limit, fapi.funding_window_s) == (500, 300)  # USDⓈ-M docs
    assert dapi.funding_limit == 0 and spot.funding_limit == 0  # COIN-M funding weighs 1
