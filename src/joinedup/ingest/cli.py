"""`joinedup ingest` and `joinedup quarantine`: load extracts, and show what was not loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from joinedup.cli_common import err_console, print_json, progress_bar
from joinedup.errors import UserError

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
    skipped = f" + {s.rows_skipped:,} skipped by a rule" if s.rows_skipped else ""
    console.print(
        f"{s.rows_read:,} rows read = {s.rows_loaded:,} loaded + {s.rows_quarantined:,} quarantined{skipped} ({check}); "
        f"{s.files_skipped} file(s) already loaded and skipped; {s.field_issues:,} field issues; {s.seconds:.1f} s"
    )
    if s.rows_changed or s.rows_unchanged or s.rows_deleted or s.records_withdrawn:
        console.print(
            f"delivery{' of ' + str(s.extract_date) if s.extract_date else ''}: {s.rows_new:,} new, {s.rows_changed:,} changed, "
            f"{s.rows_unchanged:,} unchanged, {s.rows_deleted:,} deletions; {s.records_withdrawn:,} record(s) withdrawn"
        )
    for f in s.files:
        for rule, count in f.skipped_by.items():
            console.print(f"{f.file}: {count:,} row(s) skipped by rule {rule}")
    if s.rows_quarantined:
        console.print(f"See why: joinedup quarantine --db {s.warehouse}")


def _extract_date(value: str | None) -> date | None:
    """--extract-date as a date; a clear error for anything else."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--extract-date {value!r} is not a date (use YYYY-MM-DD)") from None


def register(app: typer.Typer) -> None:
    """Add the ingest commands to the CLI."""

    @app.command("ingest")
    def ingest_cmd(
        extracts: Annotated[Path, typer.Argument(help="Folder of extracts, laid out as <source>/<file>.")],
        db: Annotated[Path, typer.Option("--db", help="Warehouse file (DuckDB); created if missing.")],
        mappings: Annotated[Optional[Path], typer.Option("--mappings", help="Extra folder of mapping YAML files.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
        extract_date: Annotated[Optional[str], typer.Option(
            "--extract-date", metavar="YYYY-MM-DD",
            help="The date the extracts were taken (else read from each file's name, else today).")] = None,
    ) -> None:
        """Validate and load agency extracts into the warehouse, or apply a later delivery (all or nothing; history kept)."""
        try:
            from joinedup.ingest.load import ingest  # here: other commands need not import DuckDB

            with progress_bar("ingest", enabled=not json_out) as update:
                summary = ingest(extracts, db, mappings_dir=mappings, progress=update,
                                 extract_date=_extract_date(extract_date))
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
        limit: Annotated[int, typer.Option(help="Rows to show (1 or more).")] = 20,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
        as_of: Annotated[Optional[str], typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="Only rows quarantined on or before this date.")] = None,
    ) -> None:
        """Show quarantined rows: file, row number, field and reason."""
        from joinedup.warehouse import connect
        from joinedup.warehouse.asof import parse_as_of

        if limit < 1:
            raise UserError(f"--limit {limit}: give 1 or more")
        when = parse_as_of(as_of)
        con = connect(db, read_only=True)
        cond = "WHERE CAST(quarantined_at AS DATE) <= ?" if when else "WHERE ? IS NULL"
        by_reason = con.execute(
            f"SELECT table_name, field, count(*) n FROM quarantine {cond} GROUP BY ALL ORDER BY n DESC", [when]
        ).fetchall()
        rows = con.execute(
            f"SELECT file, row_number, field, reason FROM quarantine {cond} ORDER BY file, row_number LIMIT ?", [when, limit]
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
