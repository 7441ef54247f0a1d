"""Following a task to its end, with a rich progress bar on the terminal (or without)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cl3.client.types import Progress as TaskProgress

ENDED = frozenset({"finished", "failed", "canceled", "stopped"})


def follow(
    poll: Callable[[], TaskProgress],
    sleep: Callable[[float], None],
    *,
    interval_s: float = 0.5,
    show: bool = True,
    console: Console | None = None,
) -> TaskProgress:
    """Polls until the task ends; returns its last progress record."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not show,
        transient=False,
    ) as bar:
        record = poll()
        line = bar.add_task(f"{record['type']} {record['task_id'][:8]}", total=100, detail="")
        while True:
            bar.update(line, completed=record["progress"], detail=_detail(record))
            if record["status"] in ENDED:
                return record
            sleep(interval_s)
            record = poll()


def _detail(record: TaskProgress) -> str:
    pages = f"{record['pages_done']}/{record['pages_total']} pages" if record["pages_total"] else ""
    candles = f"{record['candles_written']:,} candles" if record["candles_written"] else ""
    return " ".join(p for p in (record["status"], pages, candles) if p)
