"""Klines JSON bodies, with complete blocks of closed candles rendered once and cached.

Generating and formatting a 1000-row page costs a few milliseconds of CPU under the GIL; a
benchmark that pulls a year of 1m candles through 16 connections would make that the limit.
Closed candles never change, so the rows of aligned blocks of ``BLOCK`` candles are kept as
rendered JSON bytes with per-row offsets, and any page (whatever its ``startTime`` alignment)
is cut out of at most two blocks. Blocks that still contain an open or future candle are
rendered per request. Concurrent requests for the same cold block wait for one builder.
Pages in a non-UTC ``timeZone`` and pages a data-quality fixture corrupts are rendered fresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .config import SandboxConfig
from .intervals import candle_index, index_open
from .klines import merge_gaps, select_opens
from .quality import Quality
from .render import json_rows, json_rows_indexed
from .rollup import Rollup
from .series import Candles
from .sources import Series

BLOCK = 1000  # candles per cached block (same as Binance's spot maximum page)
_Key = tuple[tuple[str, str, str], str, int]


@dataclass(frozen=True)
class _Block:
    opens: np.ndarray  # open times of the block's existing candles
    rows: bytes  # their JSON arrays, each followed by ","
    offsets: np.ndarray  # byte offset of each row, plus the end

    @property
    def size(self) -> int:
        return len(self.rows) + self.opens.nbytes + self.offsets.nbytes


class KlinesRenderer:
    def __init__(self, config: SandboxConfig, rollup: Rollup, quality: Quality) -> None:
        self._config = config
        self._gaps = merge_gaps(config.gaps)
        self._rollup = rollup
        self._quality = quality
        self._budget = config.page_cache_mb * 1024 * 1024
        self._cache: OrderedDict[_Key, _Block] = OrderedDict()
        self._cached_bytes = 0
        self._building: dict[_Key, threading.Event] = {}
        self._lock = threading.Lock()
        # One page is generated at a time: numpy drops and retakes the GIL around every
        # operation, and 16 threads doing that at once spent more CPU on the hand-offs
        # (futex storms, cache thrash) than on the work. Waiting here is one sleep.
        self._work = threading.Lock()

    def body(
        self, series: Series, interval: str, opens: np.ndarray, now_ms: int, tz_ms: int = 0
    ) -> bytes:
        """The JSON array of the candles opening at ``opens`` (ascending), as of ``now_ms``."""
        if len(opens) == 0:
            return b"[]"
        corruptions = self._quality.corruptions(series, interval, opens)
        if corruptions:
            with self._work:
                page = self._candles(series, interval, opens, now_ms, tz_ms)
                page = Quality.corrupt(page, corruptions)
                return b"[" + json_rows(page, series.fmt)[:-1] + b"]"
        if self._budget <= 0 or tz_ms != 0:
            return b"[" + self._fresh(series, interval, opens, now_ms, tz_ms)[:-1] + b"]"
        blocks = candle_index(interval, opens) // BLOCK
        cuts = np.flatnonzero(np.diff(blocks)) + 1
        parts: list[bytes] = []
        for group, block_id in zip(np.split(opens, cuts), blocks[np.r_[0, cuts]], strict=True):
            # A block is cacheable once the candle after it has opened: all its candles closed.
            if index_open(interval, (int(block_id) + 1) * BLOCK) > now_ms:
                parts.append(self._fresh(series, interval, group, now_ms, 0))
                continue
            block = self._block(series, interval, int(block_id), now_ms)
            first = int(np.searchsorted(block.opens, group[0]))
            parts.append(block.rows[block.offsets[first] : block.offsets[first + len(group)]])
        return b"[" + b"".join(parts)[:-1] + b"]"

    def _candles(
        self, series: Series, interval: str, opens: np.ndarray, now_ms: int, tz_ms: int
    ) -> Candles:
        page = self._rollup.candles(series, interval, opens, now_ms, tz_ms)
        return self._quality.apply_rest_edits(series, interval, page)

    def _fresh(
        self, series: Series, interval: str, opens: np.ndarray, now_ms: int, tz_ms: int
    ) -> bytes:
        with self._work:
            return json_rows(self._candles(series, interval, opens, now_ms, tz_ms), series.fmt)

    def _block(self, series: Series, interval: str, block_id: int, now_ms: int) -> _Block:
        key = (series.key, interval, block_id)
        while True:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
                building = self._building.get(key)
                if building is None:
                    self._building[key] = threading.Event()
            if building is None:
                break
            building.wait()  # another thread is rendering it; then take it from the cache
        try:
            block = self._build(series, interval, block_id, now_ms)
            with self._lock:
                self._cache[key] = block
                self._cached_bytes += block.size
                while self._cached_bytes > self._budget and self._cache:
                    _, old = self._cache.popitem(last=False)
                    self._cached_bytes -= old.size
        finally:
            with self._lock:
                self._building.pop(key).set()
        return block

    def _build(self, series: Series, interval: str, block_id: int, now_ms: int) -> _Block:
        start = index_open(interval, block_id * BLOCK)
        end = index_open(interval, (block_id + 1) * BLOCK)
        # The block is complete, so its content does not depend on now_ms.
        opens = select_opens(series, interval, start, end - 1, None, now_ms, self._gaps)
        with self._work:
            page = self._candles(series, interval, opens, now_ms, 0)
            rows, offsets = json_rows_indexed(page, series.fmt)
        return _Block(opens, rows, offsets)

    def prewarm(
        self, series: Series, interval: str, start_ms: int, end_ms: int, now_ms: int
    ) -> int:
        """Render every complete block overlapping [start_ms, end_ms]; returns how many."""
        if self._budget <= 0:
            return 0
        first, last = candle_index(interval, np.array([start_ms, end_ms], dtype=np.int64))
        done = 0
        for block_id in range(int(first) // BLOCK, int(last) // BLOCK + 1):
            if index_open(interval, (block_id + 1) * BLOCK) <= now_ms:
                self._block(series, interval, block_id, now_ms)
                done += 1
        return done

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cached_bytes = 0
