"""How a long command shows its progress: a progress bar per task on a terminal (rich: a well-kept library whose bars
show the time elapsed and an estimate of the time left), lines of text otherwise (a log, a pipe)."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.domain.upgrades import Note, UpgradeEvent

# Without a terminal, a task's progress is written at most this often (and when it ends).
LINE_SECONDS = 5.0


class Shown:
    """Shows an upgrade's events as they come: notes as lines, progress as bars (or lines when piped)."""

    def __init__(self, *, terminal: bool | None = None, write: Callable[[str], None] = click.echo):
        self._terminal = sys.stderr.isatty() if terminal is None else terminal
        self._write = write
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._last_line: dict[str, float] = {}
        self._started: dict[str, float] = {}

    def __enter__(self) -> Shown:
        if self._terminal:
            self._bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def show(self, event: UpgradeEvent) -> None:
        if isinstance(event, Note):
            if self._bars is not None:
                self._bars.console.print(event.text, markup=False, highlight=False)
            else:
                self._write(event.text)
            return
        if self._bars is not None:
            if event.task not in self._tasks:
                self._tasks[event.task] = self._bars.add_task(event.task, total=event.total)
            self._bars.update(self._tasks[event.task], completed=event.done, total=event.total)
            return
        now = time.monotonic()
        self._started.setdefault(event.task, now)
        finished = event.total is not None and event.done >= event.total
        if not finished and now - self._last_line.get(event.task, float("-inf")) < LINE_SECONDS:
            return
        self._last_line[event.task] = now
        self._write(progress_line(event.task, event.done, event.total, now - self._started[event.task], event.unit))


def progress_line(task: str, done: int, total: int | None, seconds: float, unit: str = "documents") -> str:
    """'task: done of total (share), rate, time left' for a log."""
    rate = done / seconds if seconds > 0 else 0.0
    if total is None:
        return f"{task}: {done} {unit}, {rate:.0f}/s"
    share = done / total if total else 1.0
    left = (total - done) / rate if rate > 0 else None
    remaining = f", about {left:.0f} s left" if left is not None and done < total else ""
    return f"{task}: {done} of {total} {unit} ({share:.0%}), {rate:.0f}/s{remaining}"
