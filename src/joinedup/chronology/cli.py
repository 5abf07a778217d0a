"""CLI: `joinedup chronology PERSON_ID` (one person's records across agencies) and `--all --out DIR`."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the `chronology` command to the main app."""

    @app.command("chronology")
    def chronology_cmd(
        person_id: Optional[str] = typer.Argument(None, help="The person_id (from link, match or the risk queue)."),
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file (linked)."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Only what was recorded and delivered by this date."),
        html: Optional[str] = typer.Option(None, "--html", help="Write a printable HTML chronology to this file."),
        as_json: bool = typer.Option(False, "--json", help="Print the chronology as JSON."),
        all_children: bool = typer.Option(False, "--all", help="One chronology per child (with --out DIR)."),
        out: Optional[str] = typer.Option(None, "--out", help="Folder for --all (HTML per child, and index.html)."),
    ) -> None:
        """Every record of a linked person from every agency in date order: who knew what, when, and missed chances."""
        from pathlib import Path

        from joinedup.chronology.build import chronology
        from joinedup.chronology.bulk import write_all
        from joinedup.chronology.render import to_html, to_json
        from joinedup.cli_common import print_json
        from joinedup.errors import UserError
        from joinedup.warehouse import connect
        from joinedup.warehouse.asof import check_as_of, parse_as_of

        if not Path(db).exists():
            raise UserError(f"--db {db}: no such warehouse file")
        day = parse_as_of(as_of)
        if all_children:
            if person_id:
                raise UserError("give a PERSON_ID or --all, not both")
            if not out:
                raise UserError("--all needs --out DIR")
            summary = write_all(db, out, day)
            if as_json:
                print_json(summary)
            else:
                typer.echo(f"wrote {summary['children']} chronologies to {out} (index.html lists them)")
            return
        if not person_id:
            raise UserError("give a PERSON_ID (find one with `joinedup match`), or --all --out DIR")
        con = connect(db, read_only=True)
        try:
            check_as_of(con, day)
            c = chronology(con, person_id, day)
        finally:
            con.close()
        if html:
            p = Path(html)
            if p.parent and not p.parent.exists():
                raise UserError(f"--html {html}: folder {p.parent} does not exist")
            p.write_text(to_html(c), encoding="utf-8")
        if as_json:
            typer.echo(to_json(c))
            return
        typer.echo(f"{person_id}: {len(c['entries'])} records, {len(c['records'])} linked person records, "
                   f"agencies {', '.join(c['agencies'])}; {len(c['missed_chances'])} missed chance(s)")
        for e in c["entries"]:
            typer.echo(f"  {e['happened'] or '          '}  {e['org_code']:<6} {e['summary']}  "
                       f"[{e['source']}:{e['record_id']}, p={e['match_probability']:.3f}]")
        for m in c["missed_chances"]:
            typer.echo(f"  missed chance {m['date']}: {m['text']}")
        if html:
            typer.echo(f"HTML written to {html}")
        _ = print_json  # the JSON path prints the full chronology above
