"""CLI command for national statistics: `joinedup stats` (registered on the main typer app)."""

from __future__ import annotations

from typing import Optional

import typer

from joinedup.cli_common import err_console, print_json


def register(app: typer.Typer) -> None:
    """Add the stats command to the main app."""

    @app.command("stats")
    def stats_cmd(
        db: str = typer.Option(..., "--db", help="Linked warehouse (DuckDB file)."),
        out: str = typer.Option(..., "--out", help="Folder for the publication (ODS, CSVs, HTML, PDF, charts)."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Use the data as known on this date (YYYY-MM-DD)."),
        threshold: int = typer.Option(5, "--threshold", help="Suppress counts below this (default 5: 1-4 hidden)."),
        round_base: int = typer.Option(0, "--round", help="Round shown counts to this base (0: no rounding)."),
        min_completeness: float = typer.Option(0.6, "--min-completeness",
                                               help="Share recorded below which no group share is published."),
        baseline: Optional[str] = typer.Option(None, "--baseline", help="CSV of population shares by area "
                                               "(columns as src/joinedup/stats/data/census2021_ethnic_group_ew.csv)."),
        no_pdf: bool = typer.Option(False, "--no-pdf", help="Skip the PDF report."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    ) -> None:
        """Publish national statistics: completeness, ethnicity and nationality profiles, disclosure-controlled."""
        from joinedup.stats.run import run_stats

        summary = run_stats(db, out, as_of, threshold, round_base, min_completeness, pdf=not no_pdf, baseline=baseline)
        if as_json:
            print_json(summary)
            return
        err_console.print(summary["headline"]["text"], highlight=False, soft_wrap=True)
        print(f"{len(summary['tables'])} tables, {summary['suppressed_cells']} cells suppressed -> {summary['out']} "
              f"({summary['run_time_seconds']} s)")
