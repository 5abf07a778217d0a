"""CLI commands for linkage: link, link-file, match, judge (registered on the main typer app).

Bad input raises a UserError subclass; the main app prints it as one line and exits 2.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from joinedup.cli_common import print_json
from joinedup.errors import UserError
from joinedup.link import DEFAULT_THRESHOLD

_THRESHOLD_HELP = "Match probability (0 to 1) at which two records are linked."
_ENGINE_HELP = "Where the model runs: duckdb (default) or spark (needs pyspark and Java 17)."


def _quiet() -> None:
    # Splink sets its logger's level when imported; a CLI user wants our summary, not its training log
    import logging

    import splink  # noqa: F401

    logging.getLogger("splink").setLevel(logging.ERROR)


def _record_ref(s: str, opt: str) -> tuple[str, str]:
    src, sep, rid = s.partition(":")
    if not sep or not src or not rid:
        raise UserError(f"{opt} {s!r}: expected SOURCE:ID")
    return src, rid


def register(app: typer.Typer) -> None:
    """Add the linkage commands to the main app."""

    @app.command("link")
    def link_cmd(
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file (made by joinedup ingest)."),
        export: Optional[str] = typer.Option(None, "--export", help="Also write source,source_record_id,person_id to this CSV."),
        incremental: bool = typer.Option(False, "--incremental", help=(
            "Only what changed since the last run: new, changed and withdrawn records (default when little changed).")),
        full: bool = typer.Option(False, "--full", help="Train a new model and re-decide every cluster (default when "
                                  "never linked, after new judgements, or when much changed)."),
        engine: str = typer.Option("duckdb", "--engine", help=_ENGINE_HELP),
        threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", min=0.0, max=1.0, help=_THRESHOLD_HELP),
        state: Optional[str] = typer.Option(None, "--state", help="State database URL (default: SQLite beside the warehouse)."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    ) -> None:
        """Give every person record in the warehouse a person_id (dedupe and cross-source linkage)."""
        _quiet()
        from joinedup.link.warehouse import export_clusters, link_warehouse

        if incremental and full:
            raise UserError("--incremental and --full: choose one")
        mode = True if incremental else False if full else None
        summary = link_warehouse(db, engine=engine, threshold=threshold, state_url=state, incremental=mode)
        if export:
            export_clusters(db, export)
        if as_json:
            print_json(summary)
        else:
            typer.echo(f"{summary['records']} records -> {summary['persons']} persons, {summary['links']} links "
                       f"({summary['mode']}: {summary['why']}; {summary['run_time_seconds']} s)")

    @app.command("link-file")
    def link_file_cmd(
        input_csv: str = typer.Argument(..., metavar="CSV", help="CSV of people."),
        maps: list[str] = typer.Option([], "--map", metavar="FIELD=COLUMN", help=(
            "Which column holds a field; repeat per field. Fields: record_id, source, forename, surname, dob, "
            "sex, postcode, address, phone, nhs_number.")),
        out: str = typer.Option(..., "--out", help="Output CSV: record_id,person_id,match_probability."),
        engine: str = typer.Option("duckdb", "--engine", help=_ENGINE_HELP),
        threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", min=0.0, max=1.0, help=_THRESHOLD_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    ) -> None:
        """Link (dedupe, or link across the `source` column) any CSV of people, no warehouse needed."""
        _quiet()
        from joinedup.link.linkfile import link_file, parse_maps

        summary = link_file(input_csv, parse_maps(maps), out, engine=engine, threshold=threshold)
        if as_json:
            print_json(summary)
        else:
            typer.echo(f"{summary['records']} records -> {summary['persons']} persons "
                       f"({summary['run_time_seconds']} s): {out}")

    @app.command("match")
    def match_cmd(
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file, linked by joinedup link."),
        forename: Optional[str] = typer.Option(None, "--forename", help="First name."),
        surname: Optional[str] = typer.Option(None, "--surname", help="Family name."),
        dob: Optional[str] = typer.Option(None, "--dob", help="Date of birth: YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD."),
        sex: Optional[str] = typer.Option(None, "--sex", help="M or F."),
        postcode: Optional[str] = typer.Option(None, "--postcode", help="UK postcode."),
        address: Optional[str] = typer.Option(None, "--address", help="Address as one line."),
        phone: Optional[str] = typer.Option(None, "--phone", help="Phone number."),
        nhs_number: Optional[str] = typer.Option(None, "--nhs-number", help="NHS number (10 digits)."),
        limit: int = typer.Option(10, "--limit", min=1, help="At most this many persons (1 or more)."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Match against the records held on this date (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print the candidates as JSON on stdout."),
    ) -> None:
        """Is this child known? Rank known persons for one record (fields as options, or JSON on stdin)."""
        from joinedup.link.match import match_record
        from joinedup.warehouse.snapshot import parse_past_date

        day = parse_past_date(as_of)

        fields = {"forename": forename, "surname": surname, "dob": dob, "sex": sex, "postcode": postcode,
                  "address": address, "phones": phone, "nhs_number": nhs_number}
        fields = {k: v for k, v in fields.items() if v}
        if not fields and not sys.stdin.isatty():
            text = sys.stdin.read().strip()
            if text:
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError as e:
                    raise UserError(f"stdin is not JSON: {e.msg}") from None
                if not isinstance(rec, dict):
                    raise UserError("stdin JSON must be one object of fields")
                if "phone" in rec:
                    rec["phones"] = rec.pop("phone")
                fields = {k: v for k, v in rec.items() if v not in (None, "")}
        if day is None:
            found = match_record(db, limit=limit, **fields)
        else:  # the warehouse as known on that day: only the records held then can be candidates
            from joinedup.link.store import require_linked
            from joinedup.warehouse.snapshot import open_as_of

            con = open_as_of(db, day)
            try:
                require_linked(con, db)
                found = match_record(db, limit=limit, con=con, **fields)
            finally:
                con.close()
        if as_json:
            print_json({"candidates": found})
            return
        if not found:
            typer.echo("no known person matches")
        for c in found:
            why = ", ".join(f"{k} {v['level']} ({v['weight']:+.1f})" for k, v in c["explanation"].items())
            recs = ", ".join(f"{r['source']}:{r['source_record_id']}" for r in c["records"][:5])
            typer.echo(f"{c['person_id']}  p={c['match_probability']:.4f}  [{recs}]  {why}")

    @app.command("judge")
    def judge_cmd(
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file, linked by joinedup link."),
        a: str = typer.Option(..., "--a", metavar="SOURCE:ID", help="The first record."),
        b: str = typer.Option(..., "--b", metavar="SOURCE:ID", help="The second record."),
        decision: str = typer.Option(..., "--decision", metavar="same|not-same|unsure",
                                     help="Your judgement: same, not-same or unsure."),
        by: Optional[str] = typer.Option(None, "--by", help="Who decided (default: your login name)."),
        note: Optional[str] = typer.Option(None, "--note", help="Why, in a few words."),
        state: Optional[str] = typer.Option(None, "--state", help="State database URL (default: SQLite beside the warehouse)."),
        as_json: bool = typer.Option(False, "--json", help="Print the judgement as JSON on stdout."),
    ) -> None:
        """Record a person's judgement on two records; it overrides the model on every later run."""
        from joinedup.link.judgements import DECISIONS, judge

        if decision not in DECISIONS:
            raise UserError(f"--decision {decision!r}: use one of {', '.join(DECISIONS)}")
        ra, rb = _record_ref(a, "--a"), _record_ref(b, "--b")
        jid = judge(db, ra, rb, decision, by=by, note=note, state_url=state)
        msg = {"judgement_id": jid, "a": a, "b": b, "decision": decision}
        if as_json:
            print_json(msg)
        else:
            typer.echo(f"judgement {jid}: {a} {decision} {b} (applies from the next link run)")
