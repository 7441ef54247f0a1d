"""Every market and kind through the API, a real worker process and the sandbox over HTTP."""

from __future__ import annotations

import json
import time

import pytest
import requests
from rq import Queue

from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.exchange.client import BinanceClient
from cl3_common.exchange.markets import MARKETS
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import (
    DELISTED_SPOT_SYMBOL,
    DELISTED_USDM_SYMBOL,
    SETTLED_COINM_SYMBOL,
    expected_klines,
)

MIN, DAY = 60_000, 86_400_000
# 2023-03-23 22:00 .. 2023-03-26 03:00 UTC of 1m: REST for the partial days, the archive for
# the two whole ones, across the exchange's 80-minute outage on 2023-03-24 (every market).
START, END = 1_679_608_800_000, 1_679_799_600_000
GAP = {
    "start": 1_679_661_600_000,
    "end": 1_679_666_400_000,
    "missing": 80,
    "cause": "exchange_outage",
}
SERIES = [
    ("spot", "trade", "BTCUSDT", "BTCUSDT"),
    ("usdm", "trade", "BTCUSDT", "BTCUSDT"),
    ("usdm", "mark", "ETHUSDT", "ETHUSDT"),
    ("usdm", "index", "BTCUSDT", "BTCUSDT"),
    ("usdm", "premium", "ETHUSDT", "ETHUSDT"),
    ("coinm", "trade", "BTCUSD_PERP", "BTCUSD_PERP"),
    ("coinm", "mark", "BTCUSD_PERP", "BTCUSD_PERP"),
    ("coinm", "index", "BTCUSD_PERP", "BTCUSD"),  # index klines are the pair's
    ("coinm", "premium", "BTCUSD_PERP", "BTCUSD_PERP"),
]
FIELDS = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
          "trades", "taker_buy_base", "taker_buy_quote")  # fmt: skip


def _post(api, headers, path, body):
    return api.http.post(path, headers=headers, body=json.dumps(body))


def _get(api, headers, path):
    response = api.http.get(path, headers=headers)
    return response.status_code, json.loads(response.body) if response.body else None


def as_api(row: list) -> dict:
    """A kline as the API serves a candle: numbers as numbers."""
    candle = dict(zip(FIELDS, row[:11], strict=True))
    return {k: v if isinstance(v, int) else float(v) for k, v in candle.items()}


def read_all(api, headers, symbol: str, market: str, kind: str, start: int, end: int) -> list:
    candles, cursor = [], None
    while True:
        query = f"start={start}&end={end}&limit=5000&market={market}&kind={kind}"
        if cursor:
            query += f"&cursor={cursor}"
        status, page = _get(api, headers, f"/api/market-data/{symbol}/1m?{query}")
        assert status == 200, page
        candles += page["candles"]
        cursor = page["next_cursor"]
        if cursor is None:
            return candles


def _stored_ids(env: dict[str, str], key: SeriesKey) -> tuple[list[int], int]:
    stores = open_stores(Settings.from_env(env))
    try:
        bounds = stores.candles.bounds(key)
        return stores.candles.open_times(key, 0, 2**62), bounds.count if bounds else 0
    finally:
        stores.close()


def test_every_market_and_kind_round_trips_through_the_api(
    api, auth_headers, env, run_worker_burst
):
    headers = auth_headers(tier="enterprise")
    tasks = {}
    for market, kind, asked, _stored in SERIES:
        body = {"symbol": asked, "interval": "1m", "start": START, "end": END}
        if (market, kind) != ("spot", "trade"):  # spot requests stay as they always were
            body |= {"market": market, "kind": kind}
        response = _post(api, headers, "/api/market-data/fetch", body)
        assert response.status_code == 202, response.body
        tasks[(market, kind)] = json.loads(response.body)["task_id"]
    done = run_worker_burst("cl3-ingest", timeout_s=240)
    assert done.returncode == 0, done.stderr[-3000:]

    for market, kind, _asked, stored in SERIES:
        task = tasks[(market, kind)]
        status, result = _get(api, headers, f"/api/task/{task}/result")
        assert status == 200, result
        expected = expected_klines(stored, "1m", START, END - 1, now_ms=END + 400 * DAY,
                                   market=market, kind=kind)  # fmt: skip
        assert len(expected) == (END - START) // MIN - 80
        assert (result["market"], result["kind"], result["symbol"]) == (market, kind, stored)
        assert result["candles_in_range"] == result["candles_written"] == len(expected)
        assert result["gaps"] == [GAP], (market, kind)
        assert (result["archive_files"], result["rest_pages"]) == (2, 2)  # 120 + 180 minutes
        got = read_all(api, headers, stored, market, kind, START, END)
        assert got == [as_api(r) for r in expected], (market, kind)
        ids, count = _stored_ids(env, SeriesKey(stored, "1m", market, kind))
        assert len(ids) == len(set(ids)) == count == len(expected)

    status, coverage = _get(api, headers, "/api/market-data/coverage?market=coinm&kind=index")
    assert [(s["symbol"], s["count"], s["missing"]) for s in coverage["series"]] == [
        ("BTCUSD", len(expected), 80)]  # fmt: skip
    # Spot, as before: no market or kind needed to read it.
    status, page = _get(api, headers, f"/api/market-data/BTCUSDT/1m?start={START}&limit=2")
    assert (page["market"], page["kind"]) == ("spot", "trade") and len(page["candles"]) == 2


def test_halted_settled_and_delisted_symbols_are_fetched_for_their_history(
    api, auth_headers, run_worker_burst
):
    headers = auth_headers(tier="enterprise")
    cases = [  # market, symbol, interval, start, end
        ("spot", "LUNAUSDT", "1h", 1_651_363_200_000, 1_652_572_800_000),  # halted mid-range
        ("coinm", SETTLED_COINM_SYMBOL, "1h", 1_679_616_000_000, 1_680_480_000_000),
        ("usdm", DELISTED_USDM_SYMBOL, "15m", 1_640_995_200_000, 1_643_673_600_000),
        ("spot", DELISTED_SPOT_SYMBOL, "1h", 1_514_764_800_000, 1_517_443_200_000),
    ]
    tasks = []
    for market, symbol, interval, start, end in cases:
        body = {"symbol": symbol, "interval": interval, "start": start, "end": end,
                "market": market}  # fmt: skip
        response = _post(api, headers, "/api/market-data/fetch", body)
        assert response.status_code == 202, (symbol, response.body)
        tasks.append(json.loads(response.body)["task_id"])
    done = run_worker_burst("cl3-ingest", timeout_s=240)
    assert done.returncode == 0, done.stderr[-3000:]
    for task, (market, symbol, interval, start, end) in zip(tasks, cases, strict=True):
        status, result = _get(api, headers, f"/api/task/{task}/result")
        assert status == 200, result
        expected = expected_klines(symbol, interval, start, end - 1, now_ms=end + 400 * DAY,
                                   market=market)  # fmt: skip
        assert expected and result["candles_in_range"] == len(expected), symbol
        status, page = _get(api, headers, f"/api/market-data/{symbol}/{interval}?start={start}"
                            f"&end={end}&limit=5000&market={market}")  # fmt: skip
        assert page["candles"] == [as_api(r) for r in expected], symbol
    # The delisted symbols came from the archive alone: REST was never asked for them.
    delisted = [r for r in _results(api, headers, tasks) if r["symbol"] in (
        DELISTED_SPOT_SYMBOL, DELISTED_USDM_SYMBOL)]  # fmt: skip
    assert len(delisted) == 2
    assert all(r["rest_pages"] == 0 and r["archive_files"] > 0 for r in delisted)


def _results(api, headers, tasks: list[str]) -> list[dict]:
    return [_get(api, headers, f"/api/task/{t}/result")[1] for t in tasks]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"symbol": "NOPEUSDT", "market": "usdm"}, "invalid_symbol"),
        ({"symbol": "BTCUSD_PERP", "market": "usdm"}, "invalid_symbol"),  # a COIN-M name
        ({"symbol": DELISTED_SPOT_SYMBOL}, "invalid_symbol"),  # the archive has nothing in 2024
        ({"symbol": "BTCUSDT", "market": "spot", "kind": "index"}, "invalid_request"),
        ({"symbol": "BTCUSDT", "market": "coin"}, "invalid_request"),
        ({"symbol": "BTCUSDT", "market": "usdm", "interval": "1s"}, "invalid_interval"),
    ],
)
def test_unknown_symbols_and_bad_markets_are_400_before_anything_is_enqueued(
    api, auth_headers, redis_client, body, code
):
    request = {"interval": "1h", "start": "2024-01-01T00:00:00Z",
               "end": "2024-01-05T00:00:00Z"} | body  # fmt: skip
    response = _post(api, auth_headers(tier="enterprise"), "/api/market-data/fetch", request)
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["code"] == code
    assert Queue("cl3-ingest", connection=redis_client).count == 0


def test_a_symbol_listed_after_the_list_was_cached_is_accepted(
    api, auth_headers, redis_client, exchange
):
    catalog = SymbolCatalog(redis_client, BinanceClient(exchange.url, requests.Session(),
                                                        market=MARKETS["usdm"]))  # fmt: skip
    stale = catalog.info()
    del stale.symbols["ETHUSDT"]  # cached before ETHUSDT's perpetual was listed
    redis_client.set(catalog.key, json.dumps(stale.to_json()), ex=3600)
    body = {"symbol": "ETHUSDT", "market": "usdm", "interval": "1h",
            "start": "2024-01-01T00:00:00Z", "end": "2024-01-05T00:00:00Z"}  # fmt: skip
    response = _post(api, auth_headers(), "/api/market-data/fetch", body)
    assert response.status_code == 202, response.body
    assert "ETHUSDT" in catalog.info().symbols  # the list was refreshed, for everyone


def test_symbols_per_market_and_status(api, auth_headers):
    headers = auth_headers(tier="free")
    status, spot = _get(api, headers, "/api/symbols")
    assert status == 200 and spot["market"] == "spot" and spot["status"] == "trading"
    assert "BTCUSDT" in spot["symbols"] and "LUNAUSDT" not in spot["symbols"]
    assert spot["count"] == len(spot["symbols"]) == len(spot["listings"])
    _, everything = _get(api, headers, "/api/symbols?status=all")
    luna = next(s for s in everything["listings"] if s["symbol"] == "LUNAUSDT")
    assert luna == {"symbol": "LUNAUSDT", "status": "BREAK"}
    _, coinm = _get(api, headers, "/api/symbols?market=coinm&status=all")
    settled = next(s for s in coinm["listings"] if s["symbol"] == SETTLED_COINM_SYMBOL)
    assert settled["status"] == "DELIVERED" and settled["delivery_date"] == 1_680_249_600_000
    assert settled["pair"] == "BTCUSD" and settled["onboard_date"] < settled["delivery_date"]
    _, trading = _get(api, headers, "/api/symbols?market=coinm")
    assert SETTLED_COINM_SYMBOL not in trading["symbols"] and "BTCUSD_PERP" in trading["symbols"]
    perp = next(s for s in trading["listings"] if s["symbol"] == "BTCUSD_PERP")
    assert perp["contract_type"] == "PERPETUAL" and perp["delivery_date"] == 4_133_404_800_000
    status, bad = _get(api, headers, "/api/symbols?status=delisted")
    assert status == 400 and bad["error"]["code"] == "invalid_request"
    status, bad = _get(api, headers, "/api/symbols?market=options")
    assert status == 400 and bad["error"]["code"] == "invalid_request"


def test_a_banned_futures_host_answers_503_while_spot_is_served(
    api, auth_headers, redis_client, exchange, settings
):
    from cl3_common.exchange import RedisWeightGate, WeightBudget
    from cl3_common.exchange.hosts import gate_namespace

    # The fapi host banned us (another process saw the 418): nothing is sent to it.
    namespace = gate_namespace(MARKETS["usdm"], settings.BINANCE_USDM_BASE_URL)
    gate = RedisWeightGate(redis_client, WeightBudget(), clock=time.time, sleep=time.sleep,
                           namespace=namespace)  # fmt: skip
    gate.ban(time.time() + 600)
    before = exchange.stats()["families"]["fapi"]["requests"]
    body = {"symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z",
            "end": "2024-01-02T00:00:00Z"}  # fmt: skip
    banned = _post(api, auth_headers(), "/api/market-data/fetch", {**body, "market": "usdm"})
    assert banned.status_code == 503, banned.body
    assert json.loads(banned.body)["error"]["code"] == "unavailable"
    assert exchange.stats()["families"]["fapi"]["requests"] == before
    spot = _post(api, auth_headers(), "/api/market-data/fetch", body)
    assert spot.status_code == 202, spot.body
