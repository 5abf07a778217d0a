"""Shared CLI helpers: one-line errors, JSON output, progress bars."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from joinedup.errors import UserError
from typer.core import TyperGroup

err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
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


def one_line(e: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _database_message(e: Exception) -> str | None:
    # DuckDB's own wording ("Catalog Error: Table with name x does not exist!") means nothing to a user;
    # what it nearly always means here is a file that is not (or not yet) a joinedup warehouse
    kind = type(e).__name__
    if "duckdb" not in type(e).__module__:
        return None
    if kind in ("CatalogException", "BinderException"):
        return ("the warehouse lacks a table or column this command needs (is it a joinedup warehouse, "
                "ingested and linked?); JOINEDUP_DEBUG=1 shows the database's message")
    if kind == "IOException":
        return f"cannot read or write the warehouse: {one_line(e).split(': ', 1)[-1]}"
    return None


# the contract's options every command shares, described once (a command may still say more)
_SHARED_HELP = {"--json": "Print a machine-readable summary (JSON) on stdout.",
                "--as-of": "Read the warehouse as it was known on this date (YYYY-MM-DD)."}
_METAVARS = {"Path": "PATH", "str": "TEXT", "int": "INTEGER", "float": "NUMBER", "date": "DATE", "datetime": "DATE"}


def _tidy_metavars(command: Any) -> Any:
    """Give every value a metavar a user reads (PATH, TEXT, EXTRACTS) instead of Typer's `<path>` or `{extracts}`,
    and the shared options (--json, --as-of) their description where a command gave none."""
    for p in getattr(command, "params", ()):
        if not getattr(p, "help", None):
            p.help = next((_SHARED_HELP[o] for o in getattr(p, "opts", ()) if o in _SHARED_HELP), p.help)
        if getattr(p, "param_type_name", "") == "argument":
            # Typer writes a required argument as {extracts} in the usage line, and its type as <path> beside it
            shown = p.metavar = p.metavar or p.name.upper()
            p._usage_display_name = lambda shown=shown, required=p.required: shown if required else f"[{shown}]"
            p.display_type_rich = lambda ctx: None
            continue
        if p.metavar is not None or getattr(p, "is_flag", False):
            continue
        ann = getattr(getattr(p, "type_descriptor", None), "annotation", None)
        name = getattr(ann, "__name__", str(ann))
        inner = getattr(ann, "__args__", ())  # list[str], Optional[str]
        if inner:
            name = next((getattr(a, "__name__", "") for a in inner if a is not type(None)), name)
        p.metavar = _METAVARS.get(name, "VALUE")
    return command


class UserErrorGroup(TyperGroup):
    """The one place where a UserError (bad input) becomes one line on stderr and exit code 2."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> Any:
        """A subcommand, with metavars a user can read in its help."""
        return _tidy_metavars(super().get_command(ctx, cmd_name))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; print a UserError or a database error about the warehouse as one line, exit 2."""
        try:
            return super().invoke(ctx)
        except UserError as e:
            if debug():
                raise
            fail(one_line(e))
        except Exception as e:  # noqa: BLE001 - only database errors are translated; the rest propagate
            msg = _database_message(e)
            if msg is None or debug():
                raise
            fail(msg)
