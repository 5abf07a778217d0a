"""`joinedup ingest` and `joinedup quarantine`: load extracts, and show what was not loaded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from joinedup.cli_common import err_console, print_json, progress_bar

if TYPE_CHECKING:
    from joinedup.ingest.load import IngestSummary


def render_summary(s: IngestSummary, console: Console) -> None:
    """A short human summary of an ingest: one row per file, then the balance."""
    t = Table(title=f"Ingest {s.load_id}", show_lines=False)
    t.add_column("file", overflow="fold", ratio=3)
    t.add_column("table", overflow="fold", ratio=2)
    for col in ("read", "loaded", "quarantined", "issues"):
        t.add_column(col, justify="right")
    for f in s.files:
        if f.status == "skipped":
            t.add_row(f.file, f.table, "-", "already loaded", "-", "-")
        else:
            t.add_row(f.file, f.table, f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_quarantined:,}", f"{f.field_issues:,}")
    console.print(t)
    check = "balanced" if s.balanced else "DOES NOT BALANCE"
    console.print(
        f"{s.rows_read:,} rows read = {s.rows_loaded:,} loaded + {s.rows_quarantined:,} quarantined ({check}); "
        f"{s.files_skipped} file(s) already loaded and skipped; {s.field_issues:,} field issues; {s.seconds:.1f} s"
    )
    if s.rows_quarantined:
        console.print(f"See why: joinedup quarantine --db {s.warehouse}")


def register(app: typer.Typer) -> None:
    """Add the ingest commands to the CLI."""

    @app.command("ingest")
    def ingest_cmd(
        extracts: Annotated[Path, typer.Argument(help="Folder of extracts, laid out as <source>/<file>.")],
        db: Annotated[Path, typer.Option("--db", help="Warehouse file (DuckDB); created if missing.")],
        mappings: Annotated[Optional[Path], typer.Option("--mappings", help="Extra folder of mapping YAML files.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
    ) -> None:
        """Validate and load agency extracts into the warehouse (all or nothing; re-runs load nothing twice)."""
        try:
            from joinedup.ingest.load import ingest  # here: other commands need not import DuckDB

            with progress_bar("ingest", enabled=not json_out) as update:
                summary = ingest(extracts, db, mappings_dir=mappings, progress=update)
        except KeyboardInterrupt:
            # ingest has rolled back and stopped its workers by now: say so in one line.
            err_console.print("ingest interrupted: nothing was loaded; the warehouse is as it was", highlight=False)
            raise typer.Exit(130) from None
        if json_out:
            print_json(summary.to_dict())
        else:
            render_summary(summary, Console())

    @app.command("quarantine")
    def quarantine_cmd(
        db: Annotated[Path, typer.Option("--db", help="Warehouse file.")],
        limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
        json_out: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Show quarantined rows: file, row number, field and reason."""
        from joinedup.warehouse import connect

        con = connect(db, read_only=True)
        by_reason = con.execute(
            "SELECT table_name, field, count(*) n FROM quarantine GROUP BY ALL ORDER BY n DESC"
        ).fetchall()
        rows = con.execute(
            "SELECT file, row_number, field, reason FROM quarantine ORDER BY file, row_number LIMIT ?", [limit]
        ).fetchall()
        con.close()
        if json_out:
            print_json({"by_field": [dict(zip(("table", "field", "rows"), r)) for r in by_reason],
                        "rows": [dict(zip(("file", "row", "field", "reason"), r)) for r in rows]})
            return
        t = Table(title="Quarantined rows by field")
        for c in ("table", "field", "rows"):
            t.add_column(c)
        for r in by_reason:
            t.add_row(*(str(x) for x in r))
        Console().print(t)
        t = Table(title=f"First {limit} quarantined rows")
        for c in ("file", "row", "field", "reason"):
            t.add_column(c)
        for r in rows:
            t.add_row(*(str(x) for x in r))
        Console().print(t)
