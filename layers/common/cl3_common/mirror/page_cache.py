"""Rendered stretches of settled candles, kept briefly in each API process.

Bots sharing a mirror ask for the same pages at about the same time (ten clients paging the
same year ask for every page ten times). Settled candles do not change, so the JSON text of a
store read is kept for `ttl_s` (a repair of stored candles shows after at most that long),
least recently used first out beyond `max_bytes`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

Texts = list[str]


class PageCache:
    def __init__(
        self,
        *,
        max_bytes: int = 64 << 20,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_bytes = max_bytes
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, Texts]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], Texts]) -> Texts:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self._ttl_s:
                self._entries.move_to_end(key)
                return hit[2]
        texts = render()
        size = sum(len(t) for t in texts) + 64
        if size > self._max_bytes:
            return texts
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (now, size, texts)
            self._bytes += size
            while self._bytes > self._max_bytes:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return texts
