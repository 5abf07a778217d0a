"""The `joinedup` command line: one command per stage, plus `demo`."""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from joinedup.cli_common import debug, err_console
from joinedup.errors import UserError

app = typer.Typer(
    name="joinedup",
    help="joinedup: one joined-up picture of group-based child sexual exploitation (synthetic data only).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each stage registers its own commands; a stage that is not installed yet is simply absent.
STAGE_CLIS = ("joinedup.synth.cli", "joinedup.ingest.cli", "joinedup.link.cli", "joinedup.demo", "joinedup.web.cli")
for _mod in STAGE_CLIS:
    try:
        _m = importlib.import_module(_mod)
    except ModuleNotFoundError as _e:
        if _e.name != _mod:
            raise
        continue
    _m.register(app)


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
        if debug():
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        err_console.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
        sys.exit(2 if isinstance(e, UserError) else 1)


if __name__ == "__main__":
    main()
