"""One request in, one reply out: the exchange's pipeline, independent of the HTTP transport.

Order, as a request meets Binance's stack: count it, wait the configured latency, route it
(archive files bypass the API weight entirely), apply an injected fault (gateway level),
charge request weight (429/418 before any validation, like Binance), then validate and answer.
Every API reply carries ``X-MBX-USED-WEIGHT`` and ``X-MBX-USED-WEIGHT-1M``.

Spot (``/api``), USDⓈ-M (``/fapi``) and COIN-M (``/dapi``) are separate *families*, like
Binance's separate hosts: each has its own weight limiter and ban state, faults and latency, so
a 418 on fapi leaves spot and dapi alone. ``fundingRate`` also meets its family's separate
per-IP request limit (USDⓈ-M: 500 per 5 minutes), answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..httpd import Reply
from . import errors
from .api import RestApi
from .archive import ARCHIVE_PREFIX, ArchiveStore, archive_key
from .catalog import Catalog
from .config import DAPI, FAPI, SPOT, FamilyConfig, SandboxConfig
from .errors import BinanceError
from .faults import DROP, Fault, FaultPlan
from .funding import funding_handler
from .futures_api import KLINES_ENDPOINTS, FuturesApi
from .klines import merge_gaps
from .limits import Verdict, WeightLimiter
from .pages import KlinesRenderer
from .params import Params
from .quality import Quality
from .rollup import Rollup
from .sources import COINM, USDM
from .stats import Stats

JSON = "application/json;charset=UTF-8"
HTML = "text/html"
_PREFIXES = {SPOT: "/api/v3", FAPI: "/fapi/v1", DAPI: "/dapi/v1"}


@dataclass(frozen=True)
class Route:
    family: str
    weight: int | Callable[[Params], int]
    handler: Callable[[Params, int], bytes]
    counts_as: str = ""  # "klines" or "funding"


class Family:
    """The limits, faults and headers of one API family."""

    def __init__(self, name: str, config: FamilyConfig) -> None:
        self.name = name
        self.config = config
        self.futures = name != SPOT
        self.limiter = WeightLimiter(
            config.weight_limit, config.window_s, config.ban_s, config.ban_after_violations
        )
        self.funding = (
            WeightLimiter(config.funding_limit, config.funding_window_s, 0, 2**31)
            if config.funding_limit
            else None
        )
        prefix = _PREFIXES[name]
        klines = {f"{prefix}/{e}" for e in (KLINES_ENDPOINTS if self.futures else ("klines",))}
        self.faults = FaultPlan(config.fail_every, config.fail_status, config.fail_paths,
                                frozenset(klines), config.always)  # fmt: skip
        num, unit = errors.window_unit(config.window_s)
        # The scaled window gets its own honest header; -1M is always sent because clients
        # (CL3 included) read that one.
        self.window_header = f"X-MBX-USED-WEIGHT-{num}{unit[0]}"

    def weight_headers(self, used: int) -> list[tuple[str, str]]:
        value = str(used)
        headers = [("X-MBX-USED-WEIGHT", value), ("X-MBX-USED-WEIGHT-1M", value)]
        if self.window_header != "X-MBX-USED-WEIGHT-1M":
            headers.append((self.window_header, value))
        return headers

    def throttled(self, verdict: Verdict, headers: list[tuple[str, str]]) -> Reply:
        headers = [*headers, ("Retry-After", str(verdict.retry_after))]
        limit, window = self.config.weight_limit, self.config.window_s
        if verdict.status == 418:
            body = (errors.futures_banned if self.futures else errors.banned)(
                verdict.banned_until_ms
            )
        elif self.futures:
            body = errors.too_many_requests(limit, window)
        else:
            body = errors.too_much_weight(limit, window)
        return Reply(verdict.status, body, JSON, headers)


class ExchangeApp:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.catalog = Catalog(config)
        self.quality = Quality(config.rest_edits, config.corrupt_pages)
        gaps = merge_gaps(config.gaps)
        self.rollup = Rollup(gaps, config.seed, config.rollup_cache_mb << 20)
        self.renderer = KlinesRenderer(config, self.rollup, self.quality)
        self.api = RestApi(config, self.catalog, self.renderer)
        self.archive = ArchiveStore(config, self.catalog, self.rollup)
        self.families = {name: Family(name, config.family(name)) for name in (SPOT, FAPI, DAPI)}
        self.stats = Stats()
        self.routes: dict[str, Route] = {
            path: Route(SPOT, weight, handler)
            for path, (weight, handler) in self.api.routes.items()
        }
        self.routes["/api/v3/klines"] = Route(SPOT, 2, self.api.klines, "klines")
        self.routes["/api/v3/uiKlines"] = Route(SPOT, 2, self.api.klines, "klines")
        for family, market in ((FAPI, USDM), (DAPI, COINM)):
            funding = funding_handler(market, self.catalog, config.seed)
            futures = FuturesApi(market, _PREFIXES[family], config.family(family), self.catalog,
                                 self.renderer, gaps, funding)  # fmt: skip
            for path, (weight, handler, counts_as) in futures.routes.items():
                self.routes[path] = Route(family, weight, handler, counts_as)

    def family_of(self, path: str) -> Family:
        for name, prefix in _PREFIXES.items():
            if path.startswith(prefix.rsplit("/", 1)[0] + "/"):
                return self.families[name]
        return self.families[SPOT]

    def handle(self, target: str, client_ip: str) -> Reply:
        path, _, query_string = target.partition("?")
        if path.startswith(ARCHIVE_PREFIX):
            self.stats.request(archive_key(path))
            self._sleep(self.config.latency_ms)
            return self._archive(path)
        route = self.routes.get(path)
        if route is None:
            self.stats.request(path)
            self._sleep(self.config.latency_ms)
            return Reply(404, b"", HTML)
        family = self.families[route.family]
        self.stats.request(path, family.name, route.counts_as)
        self._sleep(self.config.latency_ms + family.config.latency_ms)
        fault = family.faults.take(path)
        if fault is not None:
            return self._fault(family, fault, client_ip)
        params = dict(parse_qsl(query_string, keep_blank_values=True)[::-1])
        weight = route.weight(params) if callable(route.weight) else route.weight
        now = self.config.clock()
        verdict = family.limiter.admit(client_ip, weight, now)
        headers = family.weight_headers(verdict.used)
        if verdict.status != 418:
            self.stats.weight(family.name, weight)
        if verdict.status != 200:
            self.stats.status(verdict.status, family.name)
            return family.throttled(verdict, headers)
        if route.counts_as == "funding" and family.funding is not None:
            limited = self._funding_limited(family, client_ip, now, headers)
            if limited is not None:
                return limited
        try:
            body = route.handler(params, int(now * 1000))
        except BinanceError as exc:
            return Reply(exc.status, exc.body(), JSON, headers)
        return Reply(200, body, JSON, headers)

    def _funding_limited(self, family: Family, ip: str, now: float, headers) -> Reply | None:
        assert family.funding is not None
        verdict = family.funding.admit(ip, 1, now)
        if verdict.status == 200:
            return None
        self.stats.status(429, family.name)
        body = errors.too_many_requests(family.config.funding_limit, family.config.funding_window_s)
        return Reply(429, body, JSON, [*headers, ("Retry-After", str(verdict.retry_after))])

    @staticmethod
    def _sleep(latency_ms: float) -> None:
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)

    def _fault(self, family: Family, fault: Fault, client_ip: str) -> Reply:
        self.stats.add("faults_injected")
        if fault.delay_ms > 0:
            time.sleep(fault.delay_ms / 1000)
        if fault.status == DROP:
            return Reply(0, drop=True)
        self.stats.status(fault.status, family.name)
        now = self.config.clock()
        if fault.status in (418, 429):
            retry_after = fault.retry_after if fault.retry_after is not None else 1
            used = family.limiter.used(client_ip, now)
            verdict = Verdict(fault.status, used, retry_after, int((now + retry_after) * 1000))
            reply = family.throttled(verdict, family.weight_headers(used))
        else:
            body = errors.GATEWAY_BODY.get(fault.status, b"")
            reply = Reply(fault.status, body, HTML)
            if fault.retry_after is not None:
                reply.headers.append(("Retry-After", str(fault.retry_after)))
        if fault.body is not None:
            reply.body = fault.body
        return reply

    def _archive(self, path: str) -> Reply:
        reply = self.archive.get(path, self.config.now_ms())
        if reply.kind == "zip":
            self.stats.archive(reply.data_kind)
        return Reply(reply.status, reply.body, reply.content_type)

    def reset_limits(self) -> None:
        for family in self.families.values():
            family.limiter.reset()
            if family.funding is not None:
                family.funding.reset()

    def clear_faults(self) -> None:
        for family in self.families.values():
            family.faults.clear()
