"""A progress bar for long runs (rich, on a terminal only): the phase, then the probes sent
so far, their total and the rate. `Lab.run(progress=...)` and the prober call it."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} probes/s" if speed else "", style="cyan")


class RunProgress:
    """`with RunProgress(console, lab) as p: lab.run(progress=p)`: p(done, total) after each
    wave; nothing is drawn when the console is not a terminal (CI logs, pipes)."""

    def __init__(self, console: Console, lab: str):
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            _Rate(), TimeElapsedColumn(), console=console, transient=True,
                            disable=not console.is_terminal)
        self.task = self.bar.add_task(f"building {lab}", total=None)
        self.lab = lab

    def __enter__(self) -> RunProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, description=f"probing {self.lab}", completed=done,
                        total=total)
