"""The `joinedup` command line: one command per stage, plus `demo`."""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from joinedup import __version__
from joinedup.cli_common import UserErrorGroup, debug, err_console, one_line

app = typer.Typer(
    name="joinedup",
    help="joinedup: one joined-up picture of group-based child sexual exploitation (synthetic data only).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=UserErrorGroup,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"joinedup {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """joinedup: one joined-up picture of group-based child sexual exploitation (synthetic data only)."""


# Each stage registers its own commands; a stage that is not installed yet is simply absent.
STAGE_CLIS = (
    "joinedup.synth.cli",
    "joinedup.ingest.cli",
    "joinedup.link.cli",
    "joinedup.chronology.cli",
    "joinedup.network.cli",
    "joinedup.risk.cli",
    "joinedup.justice.cli",
    "joinedup.stats.cli",
    "joinedup.web.cli",
    "joinedup.demo",
)


def _register_stages() -> None:
    """Add every installed stage's commands to the app."""
    for mod in STAGE_CLIS:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise
            continue
        m.register(app)


try:
    _register_stages()
except KeyboardInterrupt:  # Ctrl-C while the commands load: one line, as during a run
    err_console.print("interrupted")
    sys.exit(130)


def main() -> None:
    """Entry point: run the CLI and turn any unexpected error into one line (JOINEDUP_DEBUG=1 for traceback)."""
    if not debug():
        # Splink logs every training step and unobserved level at WARNING; users want our summary.
        logging.getLogger("splink").setLevel(logging.ERROR)
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the CLI contract is one line, never a traceback
        # bad input (UserError) already left with exit 2 in UserErrorGroup; this is a bug or a broken machine
        if debug():
            raise
        err_console.print(f"[bold red]error:[/] {one_line(e)} (JOINEDUP_DEBUG=1 shows where)", highlight=False,
                          soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
