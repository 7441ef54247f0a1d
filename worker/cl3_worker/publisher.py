"""Progress published from a thread of its own, so the job's writer never waits on Redis.

The pager's writer thread is a fetch's critical path; a Redis round trip per page on it
(contended by a dozen fetch threads for the GIL) took ~40% of its time. The writer now hands
the latest figures over and goes on; the publisher thread writes them as fast as Redis answers.
If several pages finish during one round trip, only the newest figures are written (progress
only rises, so nothing a reader could see is lost). `close()` flushes the last figures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("cl3.worker.progress")


class ProgressPublisher:
    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self._write = write
        self._latest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="cl3-progress", daemon=True)
        self._thread.start()

    def publish(self, fields: dict[str, Any]) -> None:
        with self._lock:
            self._latest = fields
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                fields, self._latest = self._latest, None
            if fields is not None:
                try:
                    self._write(fields)
                except Exception:  # progress is informative; the job's outcome is not at stake
                    log.warning("progress update failed", exc_info=True)
            if self._closed and self._latest is None:
                return

    def __enter__(self) -> ProgressPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
