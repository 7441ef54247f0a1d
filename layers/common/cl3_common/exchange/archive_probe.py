"""Does the public archive know a symbol the REST API no longer lists (delisted, settled)?

The archive keeps what REST forgets, so a fetch of a delisted pair is valid when the archive
holds files of it. The probe asks for a few `.CHECKSUM` files (a hundred bytes each) of the
requested range: monthly files of complete months, or daily ones of complete days when the
range holds no complete month, sampled so a long range costs at most `MAX_PROBES` requests.
Files found are remembered in Redis for a day (a missing one is asked again: it may appear).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import redis
import requests

from cl3_common.errors import Unavailable
from cl3_common.exchange.archive_paths import funding_file, klines_file
from cl3_common.intervals import align_down, next_open
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

MAX_PROBES = 6
KNOWN_TTL_S = 86_400
FUNDING = "funding"  # the dataset name a probe of funding-rate files uses instead of a kind


class ArchiveProbe:
    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        client: redis.Redis,
        *,
        clock_ms: Callable[[], int],
        timeout_s: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._redis = client
        self._clock_ms = clock_ms
        self._timeout_s = timeout_s

    def knows(self, market: str, kind: str, symbol: str, start_ms: int, end_ms: int) -> bool:
        """True when the archive holds a file of `symbol` within [start_ms, end_ms).

        `kind` is a kline kind, or FUNDING for the monthly funding-rate files."""
        for path in self._candidates(market, kind, symbol, start_ms, end_ms):
            if self._exists(path + ".CHECKSUM"):
                return True
        return False

    def _candidates(
        self, market: str, kind: str, symbol: str, start_ms: int, end_ms: int
    ) -> list[str]:
        now = self._clock_ms()
        months = _periods(start_ms, min(end_ms, now), "1M", now)
        if kind == FUNDING:
            return [funding_file(symbol, m, market=market) for m in _sample(months)]
        if months:
            return [klines_file(symbol, "1d", m, False, market=market, kind=kind)
                    for m in _sample(months)]  # fmt: skip
        days = _periods(start_ms, min(end_ms, now), "1d", now)
        return [klines_file(symbol, "1d", d, True, market=market, kind=kind)
                for d in _sample(days)]  # fmt: skip

    def _exists(self, path: str) -> bool:
        host = hashlib.sha256(self.base_url.encode()).hexdigest()[:16]
        key = f"{KEY_PREFIX}:archive_file:{host}:{path}"
        with redis_errors_translated():
            if self._redis.exists(key):
                return True
        found = self._ask(path)
        if found:
            with redis_errors_translated():
                self._redis.set(key, "1", ex=KNOWN_TTL_S)
        return found

    def _ask(self, path: str) -> bool:
        try:
            response = self._session.get(self.base_url + path, timeout=self._timeout_s)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise Unavailable(f"archive unreachable: {e}", system="binance archive") from e
        if response.status_code == 200:
            return True
        if response.status_code in (403, 404):  # S3 answers either for a missing key
            return False
        raise Unavailable(f"archive answered HTTP {response.status_code}",
                          system="binance archive")  # fmt: skip


def _periods(start_ms: int, end_ms: int, unit: str, now_ms: int) -> list[int]:
    """Starts of the UTC days or months overlapping [start_ms, end_ms) that are over by now."""
    found: list[int] = []
    cursor = align_down(start_ms, unit)
    while cursor < end_ms and len(found) < 10_000:
        if next_open(cursor, unit) <= now_ms:
            found.append(cursor)
        cursor = next_open(cursor, unit)
    return found


def _sample(periods: list[int]) -> list[int]:
    """At most MAX_PROBES periods, spread evenly, the first and the last included."""
    if len(periods) <= MAX_PROBES:
        return periods
    step = (len(periods) - 1) / (MAX_PROBES - 1)
    return [periods[round(i * step)] for i in range(MAX_PROBES)]
