"""CLI command `joinedup justice` (registered on the main typer app)."""

from __future__ import annotations

from typing import Optional

import typer

from joinedup.cli_common import fail, print_json
from joinedup.errors import UserError


def register(app: typer.Typer) -> None:
    """Add the justice command to the main app."""

    @app.command("justice")
    def justice_cmd(
        db: str = typer.Option(..., "--db", help="Linked warehouse DuckDB file."),
        export_dir: str = typer.Option(..., "--export-dir", help="Folder for attrition.csv, downgrades.csv, disregards.csv, reopen.csv and charts."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Use the warehouse as known on this date (YYYY-MM-DD)."),
        no_charts: bool = typer.Option(False, "--no-charts", help="Skip the attrition PNG charts."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    ) -> None:
        """Attrition, downgraded charges, convictions to disregard, and closed cases to reopen."""
        from joinedup.justice import run_justice

        try:
            s = run_justice(db, export_dir, as_of=as_of, charts=not no_charts)
        except UserError as e:
            fail(str(e).splitlines()[0])
            return
        if as_json:
            print_json(s)
            return
        n = s["attrition_national"]
        typer.echo(f"{s['crimes_in_scope']} crimes in scope: {n.get('suspect_identified')} suspect identified, "
                   f"{n.get('charged')} charged, {n.get('prosecuted')} prosecuted, {n.get('convicted')} convicted")
        typer.echo(f"{s['downgrades']} downgrades, {s['disregards']} convictions to disregard, "
                   f"{s['reopen']} closed cases to reopen ({s['run_time_seconds']} s)")
        net = s["network"]  # "used: ...", "absent: ...", or a reason that names the network itself
        typer.echo(net if net.startswith("network") else f"network: {net}")
        typer.echo(f"files in {export_dir}: {', '.join(sorted(s['files']))}")
