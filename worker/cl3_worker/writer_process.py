"""The fetch job's candle writer, in a process of its own.

A fetch is bound by one core: its page threads (HTTP, JSON, checks) and its writer share
the work horse's GIL, and binding a year of 1m's 5.8 M values to SQLite statements held it
about half as long as all the page threads together (py-spy --gil), so storing slowed the
fetch by ~30%. The page threads therefore hand over numpy columns (they build them for the
plausibility screen anyway); this process ships them as raw bytes (a memory copy) to a child
that builds the rows and binds them with a GIL of its own, on the other core.

Writes are pipelined: `submit` returns once the batch is sent, and `completed` hands back
the writes the child has finished, so the job's pager never waits for the store unless it
is `MAX_IN_FLIGHT` batches behind (the bound also keeps both ends' socket buffers from
filling, so neither can block the other). A write is only counted, and its pages reported
stored, once the child says it is stored.

The child is forked when the job starts, before the job's threads exist, and opens its own
store connections (none may cross a fork). Reads stay in the job's process. A write the
store refuses comes back as the same error family; a child that died is an outage (the job
is retried and resumes from what was stored).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import numpy as np

from cl3_common.errors import CL3Error, PermanentError, RetryableError, Unavailable
from cl3_common.observability import record
from cl3_common.settings import Settings
from cl3_common.store import Row, SeriesKey, Stores, open_stores
from cl3_common.store.protocols import CandleStore

log = logging.getLogger("cl3.worker.writer")

INT_FIELDS = (0, 1, 8)  # open time, close time, trades; the others are float64
FIELDS = 11
MAX_IN_FLIGHT = 8
PageColumns = tuple[Any, ...]  # numpy arrays, one per stored-row field


def as_arrays(columns: Sequence[Sequence[Any]]) -> PageColumns:
    """A page's columns as the arrays the writer takes (int64 times and trades, float64)."""
    return tuple(
        np.asarray(column, dtype=np.int64 if i in INT_FIELDS else np.float64)
        for i, column in enumerate(columns)
    )


class WriterProcess:
    """A CandleSink whose column writes run in a child process (`with` starts and stops it)."""

    def __init__(self, settings: Settings, candles: CandleStore) -> None:
        self._settings = settings
        self._candles = candles
        self._conn: Connection | None = None
        self._process: Any = None
        self._in_flight: deque[tuple[object, SeriesKey]] = deque()  # sent, not yet answered
        self._answered: list[tuple[object, int]] = []  # answered, not yet handed back

    def __enter__(self) -> WriterProcess:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, self._conn, self._settings), name="cl3-writer",
            daemon=True,
        )  # fmt: skip
        self._process.start()
        child.close()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            with suppress(OSError):  # it has ended already
                self._conn.send(None)  # after the writes sent: the child finishes them first
            self._conn.close()
        if self._process is not None:
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()

    # -- ColumnSink ---------------------------------------------------------------------------
    def submit(self, key: SeriesKey, pages: Sequence[PageColumns], tag: object) -> None:
        """Sends the pages' candles to be stored; `completed` later answers with `tag`."""
        conn = self._connection()
        while len(self._in_flight) >= MAX_IN_FLIGHT:
            self._answered.append(self._answer(conn))
        arrays = [np.concatenate([page[i] for page in pages]) for i in range(FIELDS)]
        try:
            conn.send((key, [a.tobytes() for a in arrays]))
        except OSError as e:
            raise Unavailable("the candle writer process ended", system="store") from e
        self._in_flight.append((tag, key))

    def completed(self, *, wait: bool = False) -> list[tuple[object, int]]:
        """(tag, candles new to the store) of each write finished since the last call, in the
        order submitted; with `wait`, of every write sent. A write the store refused raises
        its error; the writes answered before it are handed back by the next call."""
        conn = self._connection()
        done, self._answered = self._answered, []
        try:
            while self._in_flight and (wait or conn.poll()):
                done.append(self._answer(conn))
        except CL3Error:
            self._answered = done  # the writes before the failed one did land: kept for later
            raise
        return done

    def insert_columns(self, key: SeriesKey, pages: Sequence[PageColumns]) -> int:
        """Stores the pages' candles and waits for it; how many were new."""
        self.submit(key, pages, None)
        return sum(written for _, written in self.completed(wait=True))

    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        return self._candles.insert(key, rows)

    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> Iterable[int]:
        return self._candles.open_times(key, start_ms, end_ms)

    def _connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("WriterProcess used outside its `with` block")
        return self._conn

    def _answer(self, conn: Connection) -> tuple[object, int]:
        try:
            answer = conn.recv()
        except (EOFError, OSError) as e:
            raise Unavailable("the candle writer process ended", system="store") from e
        tag, key = self._in_flight.popleft()
        if answer[0] == "ok":
            _, written, seconds = answer
            # ops: the child's store call, counted here (its own metrics die with it)
            record.store_call(self._settings.STORE_BACKEND, "candles", "insert", seconds)
            record.candles_stored(key.market, written)
            return tag, int(written)
        _, retryable, system, code, message = answer
        if retryable:
            raise Unavailable(message, system=system, code=code)
        raise PermanentError(message, system=system, code=code)


def _serve(conn: Connection, parents_end: Connection, settings: Settings) -> None:
    # The fork copied the job's end of the pipe too: closed here, so that when the job's
    # process dies (even by SIGKILL) the pipe is closed at both ends and recv() ends this one.
    parents_end.close()
    opened: list[Stores] = []  # opened on the first write, so that failing to open is answered
    try:
        while (message := conn.recv()) is not None:
            key, blobs = message
            conn.send(_write(opened, settings, key, blobs))
    except (EOFError, KeyboardInterrupt):
        pass  # the job's process is gone or stopping: so is this one
    finally:
        for stores in opened:
            stores.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building a year's 525,600 row tuples let the cyclic collector traverse them again and
    again (0.43 s against 0.22 s paused); they hold no cycles and die by reference count."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _write(
    opened: list[Stores], settings: Settings, key: SeriesKey, blobs: list[bytes]
) -> tuple[Any, ...]:
    try:
        if not opened:
            # Not instrumented: the job's process records these calls (its tally, its metrics).
            opened.append(open_stores(settings, instrumented=False))
        arrays = [
            np.frombuffer(blob, dtype=np.int64 if i in INT_FIELDS else np.float64)
            for i, blob in enumerate(blobs)
        ]
        began = time.perf_counter()
        with _collector_paused():
            rows = list(zip(*(a.tolist() for a in arrays), strict=True))
            written = opened[0].candles.insert(key, rows)
        return ("ok", written, time.perf_counter() - began)
    except CL3Error as e:
        system = getattr(e, "system", "store")
        return ("error", isinstance(e, RetryableError), system, e.code, str(e))
    except Exception as e:  # reported to the job, which fails the task with it
        log.exception("candle writer: %s", key.label())
        return ("error", False, "store", "rejected", f"{type(e).__name__}: {e}")
