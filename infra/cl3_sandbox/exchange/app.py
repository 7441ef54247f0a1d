"""One request in, one reply out: the exchange's pipeline, independent of the HTTP transport.

Order, as a request meets Binance's stack: count it, wait the configured latency, route it
(archive files bypass the API weight entirely), apply an injected fault (gateway level),
charge request weight (429/418 before any validation, like Binance), then validate and answer.
Every API reply carries ``X-MBX-USED-WEIGHT`` and ``X-MBX-USED-WEIGHT-1M``.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from ..httpd import Reply
from . import errors
from .api import RestApi
from .archive import ARCHIVE_PREFIX, ArchiveStore
from .config import SandboxConfig
from .errors import BinanceError
from .faults import DROP, Fault, FaultPlan
from .limits import Verdict, WeightLimiter
from .stats import Stats

JSON = "application/json;charset=UTF-8"
HTML = "text/html"


class ExchangeApp:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.api = RestApi(config)
        self.archive = ArchiveStore(config)
        self.limiter = WeightLimiter(
            config.weight_limit, config.window_s, config.ban_s, config.ban_after_violations
        )
        self.faults = FaultPlan(config.fail_every, config.fail_status, config.fail_paths)
        self.stats = Stats()
        num, unit = errors.window_unit(config.window_s)
        # The scaled window gets its own honest header; -1M is always sent because clients
        # (CL3 included) read that one.
        self._window_header = f"X-MBX-USED-WEIGHT-{num}{unit[0]}"

    def handle(self, target: str, client_ip: str) -> Reply:
        path, _, query_string = target.partition("?")
        is_archive = path.startswith(ARCHIVE_PREFIX)
        self.stats.request(_archive_key(path) if is_archive else path)
        if self.config.latency_ms > 0:
            time.sleep(self.config.latency_ms / 1000)
        if is_archive:
            return self._archive(path)
        route = self.api.routes.get(path)
        if route is None:
            return Reply(404, b"", HTML)
        fault = self.faults.take(path)
        if fault is not None:
            return self._fault(fault, client_ip)
        weight, handler = route
        now = self.config.clock()
        verdict = self.limiter.admit(client_ip, weight, now)
        headers = self._weight_headers(verdict.used)
        if verdict.status != 418:
            self.stats.add("weight_used_total", weight)
        if verdict.status != 200:
            self.stats.status(verdict.status)
            return self._throttled(verdict, headers)
        params = dict(parse_qsl(query_string, keep_blank_values=True)[::-1])
        try:
            body = handler(params, int(now * 1000))
        except BinanceError as exc:
            return Reply(exc.status, exc.body(), JSON, headers)
        return Reply(200, body, JSON, headers)

    def _weight_headers(self, used: int) -> list[tuple[str, str]]:
        value = str(used)
        headers = [("X-MBX-USED-WEIGHT", value), ("X-MBX-USED-WEIGHT-1M", value)]
        if self._window_header != "X-MBX-USED-WEIGHT-1M":
            headers.append((self._window_header, value))
        return headers

    def _throttled(self, verdict: Verdict, headers: list[tuple[str, str]]) -> Reply:
        headers = [*headers, ("Retry-After", str(verdict.retry_after))]
        if verdict.status == 418:
            return Reply(418, errors.banned(verdict.banned_until_ms), JSON, headers)
        body = errors.too_much_weight(self.config.weight_limit, self.config.window_s)
        return Reply(429, body, JSON, headers)

    def _fault(self, fault: Fault, client_ip: str) -> Reply:
        self.stats.add("faults_injected")
        if fault.delay_ms > 0:
            time.sleep(fault.delay_ms / 1000)
        if fault.status == DROP:
            return Reply(0, drop=True)
        self.stats.status(fault.status)
        now = self.config.clock()
        if fault.status in (418, 429):
            retry_after = fault.retry_after if fault.retry_after is not None else 1
            used = self.limiter.used(client_ip, now)
            verdict = Verdict(fault.status, used, retry_after, int((now + retry_after) * 1000))
            reply = self._throttled(verdict, self._weight_headers(used))
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
            self.stats.add("archive_downloads")
        return Reply(reply.status, reply.body, reply.content_type)


def _archive_key(path: str) -> str:
    """Archive paths are counted per kind, not per file, so ``by_path`` stays small."""
    parts = path.split("/")
    period = parts[3] if len(parts) > 3 else "?"
    suffix = ".zip.CHECKSUM" if path.endswith(".CHECKSUM") else ".zip"
    return f"/data/spot/{period}/klines/*{suffix}"
