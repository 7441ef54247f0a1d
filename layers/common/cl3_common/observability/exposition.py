"""What a `/metrics` answer is made of, in one process or across a worker and its horses.

A worker runs each job in a forked work horse that exits when the job ends; a count kept in the
horse's memory would vanish with it. With `enable_multiprocess` (before any metric exists)
prometheus_client keeps values in memory-mapped files in a directory private to this worker,
and the worker's `/metrics` adds up the files of the worker and its horses.

RQ runs one horse at a time, so every horse of a worker writes the same files (named "horse"
instead of by pid): the files do not pile up with each job, and a finished horse's counts stay
in them for the next scrape. After a horse exits, its live gauges (jobs running) are cleared.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from cl3_common.observability.metrics import (
    in_process_registry,
    multiprocess_enabled,
    use_multiprocess_values,
)

HORSE = "horse"


class _Role:
    horse_pid: int | None = None
    directory: Path | None = None


_role = _Role()


def _process_identifier() -> str:
    pid = os.getpid()
    return HORSE if pid == _role.horse_pid else str(pid)


def enable_multiprocess(parent_dir: str | None = None) -> Path:
    """Switch this process (a worker, before it forks anything) to multiprocess values kept
    in a fresh private directory, removed when the worker exits."""
    directory = Path(tempfile.mkdtemp(prefix=f"cl3-metrics-{os.getpid()}-", dir=parent_dir))
    use_multiprocess_values()
    # prometheus_client reads the directory from the environment when it opens a file.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.MultiProcessValue(_process_identifier)
    _role.directory = directory
    atexit.register(shutil.rmtree, directory, True)
    return directory


def become_horse() -> None:
    """Called first thing in a work horse: its values go to the shared horse files."""
    _role.horse_pid = os.getpid()


def horse_exited() -> None:
    """Called by the worker after each horse: jobs it ran no longer count as running."""
    if _role.directory is not None:
        mark_process_dead(HORSE, str(_role.directory))


class _InProcess(Collector):
    def collect(self) -> Iterator[Any]:
        return in_process_registry().collect()


def exposition_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """The registry a `/metrics` endpoint serves: this process's metrics (or the worker's
    and its horses' files), the process's CPU and memory, and scrape-time collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_enabled():
        assert _role.directory is not None
        MultiProcessCollector(registry, path=str(_role.directory))
    else:
        registry.register(_InProcess())
    ProcessCollector(registry=registry)
    for collector in extra:
        registry.register(collector)
    return registry
