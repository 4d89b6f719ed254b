"""The one progress bar of calib (rich): runs count steps, fits count iterations."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def progress_bar(
    label: str, total: int, unit: str, *, console: Console | None = None, extra: str = ""
) -> Progress:
    """A transient bar 'label [=====] done/total unit [extra] elapsed remaining' on `console`
    (stderr by default; rich draws it in notebooks too). Use as a context manager."""
    columns = [
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} " + unit + (f"  {extra}" if extra else "")),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=console or Console(stderr=True), transient=True)


__all__ = ["progress_bar"]
