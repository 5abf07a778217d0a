"""run_justice: attrition, downgrades, disregards and cases to reopen, stored in the warehouse and exported."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from joinedup.cli_common import debug
from joinedup.errors import UserError
from joinedup.justice import attrition, disregards, downgrades, reopen
from joinedup.justice.codes import load_codes
from joinedup.justice.people import build_people
from joinedup.network.runs import network_for
from joinedup.warehouse import connect
from joinedup.warehouse.asof import as_of_sql, check_as_of, parse_as_of
from joinedup.warehouse.engine import has_rows

ATTRITION_COLUMNS = ("force", "year", *attrition.STAGES, "median_days_report_to_outcome",
                     "median_days_report_to_charge", "median_days_committed_to_report", *attrition.TIME_COLUMNS)
STAGE_COLUMNS = ("force", "year", "stage", "outcome_type", "outcome_label", "court_result", "crimes")


def check_export_dir(path: Path) -> Path:
    """Create the export folder if needed and prove it can be written, or raise a one-line UserError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".joinedup-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise UserError(f"--export-dir {path}: cannot write there ({e.strerror or e})") from None
    return path


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    quoted = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"COPY ({sql}) TO {quoted} (HEADER, DELIMITER ',')")


def run_justice(db: str | Path, export_dir: str | Path, as_of: str | date | None = None,
                charts: bool = True) -> dict[str, Any]:
    """Build the four justice lists for a linked warehouse, store them with run id and as-of, write CSVs and charts."""
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if not Path(db).exists():
        raise UserError(f"--db {db}: no such warehouse file")
    day = parse_as_of(as_of)
    con = connect(db)
    try:
        if not has_rows(con, "link_person"):
            raise UserError(f"warehouse {db} has never been linked (no link_person rows): run `joinedup link --db {db}` first")
        check_as_of(con, day)
        out = check_export_dir(Path(export_dir))
        run_id = f"J{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        tables = {t: as_of_sql(con, t, day) for t in ("person_record", "crime", "crime_person", "outcome", "event")}
        link_run = con.execute("SELECT max(run_id) FROM link_person").fetchall()[0][0]
        net = network_for(con, day, str(db))  # as of a date: a network run computed on data by then, else none
        net.note()
        network = net.member_sql()
        link_pair = "link_pair" if has_rows(con, "link_pair") else None

        load_codes(con)
        build_people(con, tables["person_record"])
        attrition.build_scope(con, tables["crime"], tables["crime_person"], tables["outcome"])
        counts, stages = attrition.attrition_rows(con)
        down = downgrades.find_downgrades(con, tables["crime_person"])
        dis = disregards.find_disregards(con, tables["crime"], tables["crime_person"], tables["event"],
                                        tables["person_record"], link_pair)
        reo = reopen.find_reopen(con, tables["crime"], tables["crime_person"], network)

        con.execute("BEGIN TRANSACTION")
        for t in ("justice_attrition", "justice_attrition_outcome", "justice_downgrade", "justice_disregard", "justice_reopen"):
            con.execute(f"DELETE FROM {t}")
        for table, res in (("justice_attrition", "j_res_attrition"), ("justice_attrition_outcome", "j_res_stages"),
                           ("justice_downgrade", "j_res_downgrade"), ("justice_disregard", "j_res_disregard"),
                           ("justice_reopen", "j_res_reopen")):
            con.execute(f"INSERT INTO {table} SELECT ?, ?, * FROM {res}", [run_id, day])
        n_scope = con.execute("SELECT count(*) FROM j_crime").fetchall()[0][0]
        corroboration = dict(con.execute("SELECT corroboration, count(*) FROM j_res_disregard GROUP BY ALL ORDER BY 1").fetchall())
        certainty = dict(con.execute("SELECT age_certainty, count(*) FROM j_res_downgrade GROUP BY ALL ORDER BY 1").fetchall())
        con.execute("INSERT INTO justice_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, day, started, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), link_run,
                     network is not None, n_scope, len(down), len(dis), len(reo)])
        con.execute("COMMIT")

        files = {}
        for name, table, cols in (("attrition.csv", "justice_attrition", ATTRITION_COLUMNS),
                                  ("attrition_outcomes.csv", "justice_attrition_outcome", STAGE_COLUMNS),
                                  ("downgrades.csv", "justice_downgrade", downgrades.COLUMNS),
                                  ("disregards.csv", "justice_disregard", disregards.COLUMNS),
                                  ("reopen.csv", "justice_reopen", reopen.COLUMNS)):
            order = "rank" if table == "justice_reopen" else ", ".join(cols[:2])
            _copy(con, f"SELECT {', '.join(cols)} FROM {table} WHERE run_id = '{run_id}' ORDER BY {order}", out / name)
            files[name] = str(out / name)
        _copy(con, f"""SELECT coalesce(force, 'ALL') AS force, year, count(*) AS downgrades FROM justice_downgrade
                       WHERE run_id = '{run_id}' GROUP BY GROUPING SETS ((force, year), (force), (year), ())
                       ORDER BY force = 'ALL', force, year NULLS LAST""", out / "downgrades_by_force_year.csv")
        files["downgrades_by_force_year.csv"] = str(out / "downgrades_by_force_year.csv")
        if charts:
            from joinedup.justice.chart import attrition_charts

            rows = [dict(zip(ATTRITION_COLUMNS, r)) for r in counts]
            for p in attrition_charts(rows, out):
                files[p.name] = str(p)
    except duckdb.Error as e:
        # a failed query is our fault, not the user's: one line (exit 1), the database's words only on request
        if debug():
            raise
        raise RuntimeError(f"justice: a query on {db} failed ({type(e).__name__}); "
                           "run with JOINEDUP_DEBUG=1 for details") from None
    finally:
        con.close()
    national = next((dict(zip(ATTRITION_COLUMNS, r)) for r in counts if r[0] == "ALL" and r[1] is None), {})
    return {
        "run_id": run_id, "as_of": day.isoformat() if day else None, "link_run_id": link_run,
        "crimes_in_scope": n_scope, "attrition_national": {k: national.get(k) for k in ATTRITION_COLUMNS[2:]},
        "downgrades": len(down), "downgrades_by_age_certainty": certainty,
        "disregards": len(dis), "disregards_by_corroboration": corroboration, "reopen": len(reo),
        "network": ("used: suspects in detected groups (network_member)" if network else net.reason or
                    "absent: no network_member rows, so 'suspect in a detected group' is not a reason in this run"),
        **net.summary(),
        "files": files, "run_time_seconds": round(time.perf_counter() - t0, 2),
    }
