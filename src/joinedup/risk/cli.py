"""CLI: `joinedup risk` (the review queue as of a date) and `joinedup risk review` (a practitioner's decision)."""

from __future__ import annotations

from typing import Optional

import typer

from joinedup.cli_common import print_json


def register(app: typer.Typer) -> None:
    """Add the `risk` command group to the main app."""
    risk = typer.Typer(help="Children at risk: indicators with evidence, a transparent score, the review queue.",
                       no_args_is_help=False)

    @risk.callback(invoke_without_command=True)
    def risk_cmd(
        ctx: typer.Context,
        db: Optional[str] = typer.Option(None, "--db", help="Warehouse DuckDB file (linked)."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Compute the queue as known on this date (YYYY-MM-DD)."),
        export: Optional[str] = typer.Option(None, "--export", help="Write the ranked queue: person_id,score,reasons,..."),
        org: Optional[str] = typer.Option(None, "--org", help="Only children with a record from this organisation (e.g. LA01)."),
        top: int = typer.Option(20, "--top", help="Rows of the queue to print (without --json)."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    ) -> None:
        """Rank children aged 10-17 for review; every flag shows its reasons and evidence and triggers no action."""
        if ctx.invoked_subcommand is not None:
            return
        from joinedup.errors import UserError
        from joinedup.risk.queue import run_queue
        from joinedup.warehouse.asof import parse_as_of

        if db is None:
            raise UserError("missing --db FILE (the linked warehouse)")
        res = run_queue(db, parse_as_of(as_of), org=org, export=export)
        if as_json:
            print_json(res.summary())
            return
        typer.echo(f"as of {res.as_of}{' for ' + org if org else ''}: {res.children} children aged 10-17, "
                   f"{res.flagged} with at least one indicator (run {res.run_id})")
        for r in res.rows[:top]:
            typer.echo(f"{r['rank']:>5}  {r['person_id']}  {r['score']:>3}  {r['reasons']}")
        typer.echo("A flag asks a practitioner to look; it never triggers action by itself. "
                   "Record a decision: joinedup risk review PERSON_ID --decision ... --by ... --db FILE")

    @risk.command("review")
    def review_cmd(
        person_id: str = typer.Argument(..., help="The person_id from the queue."),
        decision: Optional[str] = typer.Option(None, "--decision", help="no-concern | referred | action-taken"),
        by: Optional[str] = typer.Option(None, "--by", help="Who made the decision."),
        note: Optional[str] = typer.Option(None, "--note", help="Free text: why."),
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file (state is kept beside it)."),
        state: Optional[str] = typer.Option(None, "--state", help="State DB URL (default: sqlite beside the warehouse)."),
        as_json: bool = typer.Option(False, "--json", help="Print the decision (or the history) as JSON."),
    ) -> None:
        """Record a review decision on a child in the queue (or, without --decision, show the decisions so far)."""
        from joinedup.risk.review import decisions_for, record_decision

        if decision is None:
            rows = decisions_for(db, person_id, state_url=state)
            if as_json:
                print_json(rows)
                return
            if not rows:
                typer.echo(f"no review decisions for {person_id}")
            for r in rows:
                typer.echo(f"{r['decided_at']}  {r['decision']:<13} by {r['decided_by']}  {r['note'] or ''}")
            return
        row = record_decision(db, person_id, decision, by or "", note=note, state_url=state)
        if as_json:
            print_json(row)
        else:
            typer.echo(f"recorded: {person_id} {row['decision']} by {row['decided_by']} at {row['decided_at']}")

    app.add_typer(risk, name="risk")
