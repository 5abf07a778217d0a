"""Shared CLI helpers: one-line errors, JSON output, progress bars."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err_console = Console(stderr=True)


from joinedup.errors import UserError  # noqa: E402,F401 - re-exported: commands raise it for bad input


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error to stderr and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Print a machine-readable summary on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def debug() -> bool:
    """True when JOINEDUP_DEBUG asks for full tracebacks."""
    return os.environ.get("JOINEDUP_DEBUG", "") not in ("", "0")


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr; yields update(description, done, total)."""
    if not enabled:
        yield lambda *a, **k: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as p:
        task = p.add_task(label, total=None)

        def update(description: str, done: int, total: int) -> None:
            p.update(task, description=f"{label}: {description}", completed=done, total=total)

        yield update
