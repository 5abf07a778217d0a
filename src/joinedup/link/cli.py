"""CLI commands for linkage: link, link-file, match, judge (registered on the main typer app)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from joinedup.link import DEFAULT_THRESHOLD


def _quiet() -> None:
    # Splink logs every training step at INFO; a CLI user wants the summary (use -v style flags later)
    import logging

    import splink  # noqa: F401  (Splink sets its logger's level on import; quieten it afterwards)

    logging.getLogger("splink").setLevel(logging.ERROR)


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code=2)


def _record_ref(s: str, opt: str) -> tuple[str, str]:
    if ":" not in s:
        _fail(f"{opt} {s!r}: expected SOURCE:ID")
    src, rid = s.split(":", 1)
    if not src or not rid:
        _fail(f"{opt} {s!r}: expected SOURCE:ID")
    return src, rid


def register(app: typer.Typer) -> None:
    """Add the linkage commands to the main app."""

    @app.command("link")
    def link_cmd(
        db: str = typer.Option(..., "--db", help="Warehouse DuckDB file."),
        export: Optional[str] = typer.Option(None, "--export", help="Write source,source_record_id,person_id CSV."),
        incremental: bool = typer.Option(False, "--incremental", help="Only link records not linked before."),
        engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark."),
        threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="Match probability to link at."),
        state: Optional[str] = typer.Option(None, "--state", help="State DB URL (default: sqlite beside the warehouse)."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    ) -> None:
        """Give every person record in the warehouse a person_id (dedupe and cross-source linkage)."""
        _quiet()
        from pathlib import Path

        from joinedup.link.engine import EngineError
        from joinedup.link.warehouse import export_clusters, link_warehouse

        if not Path(db).exists():
            _fail(f"--db {db}: no such warehouse file")
        try:
            summary = link_warehouse(db, engine=engine, threshold=threshold, state_url=state, incremental=incremental)
            if export:
                export_clusters(db, export)
        except (ValueError, EngineError) as e:
            _fail(str(e))
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            typer.echo(f"{summary['records']} records -> {summary['persons']} persons, {summary['links']} links "
                       f"({summary['mode']}, {summary['run_time_seconds']} s)")

    @app.command("link-file")
    def link_file_cmd(
        input_csv: str = typer.Argument(..., help="CSV of people."),
        maps: list[str] = typer.Option([], "--map", help="FIELD=COLUMN (record_id, source, forename, surname, dob, sex, postcode, address, phone, nhs_number)."),
        out: str = typer.Option(..., "--out", help="Output CSV: record_id,person_id,match_probability."),
        engine: str = typer.Option("duckdb", "--engine"),
        threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Link (dedupe, or link across the `source` column) any CSV of people, no warehouse needed."""
        _quiet()
        from joinedup.link.engine import EngineError
        from joinedup.link.linkfile import InputError, link_file, parse_maps

        try:
            summary = link_file(input_csv, parse_maps(maps), out, engine=engine, threshold=threshold)
        except (InputError, ValueError, EngineError) as e:
            _fail(str(e))
        typer.echo(json.dumps(summary) if as_json else
                   f"{summary['records']} records -> {summary['persons']} persons ({summary['run_time_seconds']} s): {out}")

    @app.command("match")
    def match_cmd(
        db: str = typer.Option(..., "--db"),
        forename: Optional[str] = typer.Option(None, "--forename"),
        surname: Optional[str] = typer.Option(None, "--surname"),
        dob: Optional[str] = typer.Option(None, "--dob"),
        sex: Optional[str] = typer.Option(None, "--sex"),
        postcode: Optional[str] = typer.Option(None, "--postcode"),
        address: Optional[str] = typer.Option(None, "--address"),
        phone: Optional[str] = typer.Option(None, "--phone"),
        nhs_number: Optional[str] = typer.Option(None, "--nhs-number"),
        limit: int = typer.Option(10, "--limit"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Is this child known? Rank known persons for one record (fields as options, or JSON on stdin)."""
        _quiet()
        from pathlib import Path

        from joinedup.link.match import MATCH_FIELDS, match_record

        fields = {"forename": forename, "surname": surname, "dob": dob, "sex": sex, "postcode": postcode,
                  "address": address, "phones": phone, "nhs_number": nhs_number}
        fields = {k: v for k, v in fields.items() if v}
        if not fields and not sys.stdin.isatty():
            text = sys.stdin.read().strip()
            if text:
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError as e:
                    _fail(f"stdin is not JSON: {e.msg}")
                if not isinstance(rec, dict):
                    _fail("stdin JSON must be one object of fields")
                if "phone" in rec:
                    rec["phones"] = rec.pop("phone")
                fields = {k: v for k, v in rec.items() if v not in (None, "")}
        if not Path(db).exists():
            _fail(f"--db {db}: no such warehouse file")
        try:
            found = match_record(db, limit=limit, **fields)
        except ValueError as e:
            _fail(str(e))
        if as_json:
            typer.echo(json.dumps({"candidates": found}))
            return
        if not found:
            typer.echo("no known person matches")
        for c in found:
            why = ", ".join(f"{k} {v['level']} ({v['weight']:+.1f})" for k, v in c["explanation"].items())
            recs = ", ".join(f"{r['source']}:{r['source_record_id']}" for r in c["records"][:5])
            typer.echo(f"{c['person_id']}  p={c['match_probability']:.4f}  [{recs}]  {why}")
        _ = MATCH_FIELDS

    @app.command("judge")
    def judge_cmd(
        db: str = typer.Option(..., "--db"),
        a: str = typer.Option(..., "--a", help="SOURCE:ID"),
        b: str = typer.Option(..., "--b", help="SOURCE:ID"),
        decision: str = typer.Option(..., "--decision", help="same | not-same | unsure"),
        by: Optional[str] = typer.Option(None, "--by"),
        note: Optional[str] = typer.Option(None, "--note"),
        state: Optional[str] = typer.Option(None, "--state"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Record a person's judgement on two records; it overrides the model on every later run."""
        from joinedup.link.judgements import DECISIONS, record_judgement
        from joinedup.state import default_state_url

        if decision not in DECISIONS:
            _fail(f"--decision {decision!r}: use one of {', '.join(DECISIONS)}")
        ra, rb = _record_ref(a, "--a"), _record_ref(b, "--b")
        try:
            jid = record_judgement(state or default_state_url(db), ra, rb, decision, by=by, note=note)
        except ValueError as e:
            _fail(str(e))
        msg = {"judgement_id": jid, "a": a, "b": b, "decision": decision}
        typer.echo(json.dumps(msg) if as_json else f"judgement {jid}: {a} {decision} {b} (applies from the next link run)")
