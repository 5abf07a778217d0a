"""CLI commands for networks: `network` (build, store, export) and `group` (show one group)."""

from __future__ import annotations

from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the network commands to the main app."""

    @app.command("network")
    def network_cmd(
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file (linked)."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Use the warehouse as known on this date (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
        export_groups: Optional[str] = typer.Option(None, "--export-groups", help="Write group_id,person_id,role,... CSV."),
        graphml: Optional[str] = typer.Option(None, "--graphml", help="Write GraphML (Gephi, Cytoscape)."),
        i2: Optional[str] = typer.Option(None, "--i2", help="Write i2 Analyst's Notebook CSVs and import spec to DIR."),
        export_priority: Optional[str] = typer.Option(None, "--export-priority", help="Write the ranked groups CSV."),
        no_linkage: bool = typer.Option(False, "--no-linkage", help="Treat each record as its own person (to measure what linkage adds)."),
    ) -> None:
        """Build the association graph, find offender groups, score them and store them in the warehouse."""
        from joinedup.cli_common import print_json
        from joinedup.network import exports
        from joinedup.network.core import open_warehouse, run_network

        # refuse unwritable exports before the work, not after it
        for path in (export_groups, graphml, export_priority):
            if path:
                exports.check_writable(path)
        if i2:
            exports.check_writable(i2, is_dir=True)
        summary = run_network(db, as_of=as_of, linkage=not no_linkage)
        con = open_warehouse(db, read_only=True)
        try:
            written = {}
            if export_groups:
                written["groups"] = exports.export_groups(con, export_groups)
            if export_priority:
                written["priority"] = exports.export_priority(con, export_priority)
            if graphml:
                written["graphml_nodes"] = exports.export_graphml(con, graphml)
            if i2:
                written["i2"] = exports.export_i2(con, i2)
        finally:
            con.close()
        summary["written"] = written
        if as_json:
            print_json(summary)
            return
        typer.echo(f"{summary['groups']} groups ({summary['members']} members, {summary['cross_force_groups']} across "
                   f"forces) from {summary['persons']:,} persons and {summary['edges']:,} edges in {summary['seconds']} s")
        for grp in summary["top_groups"]:
            typer.echo(f"  {grp['group_id']}  priority {grp['priority']:>5.0f}  {grp['n_suspects']} suspects, "
                       f"{grp['n_victims']} victims, forces {','.join(grp['forces'] or [])}, first detectable "
                       f"{grp['first_detectable']}, first charged {grp['first_charged']}")

    @app.command("group")
    def group_cmd(
        group_id: str = typer.Argument(..., help="A group_id from `joinedup network`."),
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        png: Optional[str] = typer.Option(None, "--png", help="Draw the group's briefing picture to this PNG."),
    ) -> None:
        """Show one group: members and why, victims, forces, time span, crimes and outcomes."""
        from joinedup.cli_common import print_json
        from joinedup.network.core import open_warehouse
        from joinedup.network.show import draw_group, group_detail

        con = open_warehouse(db, read_only=True)
        try:
            detail = group_detail(con, group_id)
            if png:
                draw_group(con, group_id, png)
        finally:
            con.close()
        if as_json:
            print_json(detail)
            return
        g = detail["group"]
        typer.echo(f"{group_id}: {g['n_suspects']} suspects, {g['n_victims']} victims, {g['n_associates']} associates; "
                   f"{g['first_seen']} to {g['last_seen']}; forces {', '.join(g['forces'] or [])}; "
                   f"organisations {', '.join(g['orgs'] or [])}")
        typer.echo(f"first detectable {g['first_detectable']}; first charged {g['first_charged'] or 'never'}")
        typer.echo(f"priority {g['priority']:.0f}: {g['priority_reasons']}")
        typer.echo(f"offences: {', '.join(g['offences'] or [])}")
        for m in detail["members"]:
            typer.echo(f"  {m['role']:<9} {m['person_id']}  {m['name'] or ''}  {m['first_seen']}..{m['last_seen']}  "
                       f"{m['evidence']} records: {m['reason']}" + (f"  [{m['key_role']}]" if m["key_role"] else ""))
        typer.echo(f"{len(detail['crimes'])} crimes:")
        for c in detail["crimes"]:
            typer.echo(f"  {c['source']}:{c['crime_id']} {c['offence']} committed {c['committed']} reported "
                       f"{c['reported']}: {c['outcomes'] or 'no outcome'}")
