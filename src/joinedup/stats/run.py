"""`joinedup stats` as a function: check the input, compute every table, write every file."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from joinedup.errors import UserError
from joinedup.stats import baseline as bl
from joinedup.stats import warehouse as wh
from joinedup.stats.build import build
from joinedup.stats.files import write_csvs, write_ods
from joinedup.stats.report import charts, write_html, write_pdf
from joinedup.stats.tables import Settings
from joinedup.warehouse import WarehouseError, connect
from joinedup.warehouse.asof import check_as_of, parse_as_of
from joinedup.warehouse.engine import has_table


def check_settings(threshold: int, round_base: int, min_completeness: float) -> Settings:
    """The disclosure settings, refused with one line when out of range."""
    if not 2 <= threshold <= 100:
        raise UserError(f"--threshold {threshold} is out of range: counts below it are suppressed; use 2 to 100 (default 5)")
    if not 0 <= round_base <= 100:
        raise UserError(f"--round {round_base} is out of range: use 0 (no rounding) to 100, e.g. 5 or 10")
    if not 0 <= min_completeness <= 1:
        raise UserError(f"--min-completeness {min_completeness} is out of range: use a share from 0 to 1 (default 0.6)")
    return Settings(threshold, round_base, min_completeness)


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out):
            pass
    except OSError as e:
        raise UserError(f"--out {out}: cannot write there ({e.strerror or e})") from None


def run_stats(db: str | os.PathLike, out: str | os.PathLike, as_of: str | None = None, threshold: int = 5,
              round_base: int = 0, min_completeness: float = 0.6, pdf: bool = True,
              baseline: str | os.PathLike | None = None) -> dict:
    """Write the statistical release (ODS, CSVs, HTML, PDF) for a linked warehouse; returns a summary."""
    t0 = time.perf_counter()
    s = check_settings(threshold, round_base, min_completeness)
    day = parse_as_of(as_of)
    base_rows = bl.load(baseline) if baseline else None
    if not Path(db).exists():
        raise UserError(f"--db {db}: no such warehouse file")
    out = Path(out)
    _writable(out)
    try:
        con = connect(db, read_only=True)
    except WarehouseError as e:
        raise UserError(str(e)) from None
    try:
        if not has_table(con, "person_record"):
            raise UserError(f"--db {db}: not a joinedup warehouse (no person_record table)")
        wh.require_linked(con)
        check_as_of(con, day)
        net = wh.prepare(con, day, str(db))  # as of a date: the network's groups only if computed on data by then
        net.note()
        steps = {"prepare": time.perf_counter() - t0}
        pub = build(con, s, day, base_rows)
        steps["tables"] = time.perf_counter() - t0 - sum(steps.values())
    finally:
        con.close()
    csvs = write_csvs(pub, out)
    ods = write_ods(pub, out)
    steps["ods_csv"] = time.perf_counter() - t0 - sum(steps.values())
    images = charts(pub, out)
    report = write_html(pub, out, images)
    files = [ods, *csvs, report, *(out / f for f, _ in images.values())]
    steps["charts_html"] = time.perf_counter() - t0 - sum(steps.values())
    if pdf:
        files.append(write_pdf(pub, out, images))
        steps["pdf"] = time.perf_counter() - t0 - sum(steps.values())
    suppressed = sum(1 for t in pub.tables for r in t.rows for v in r if v == "[c]")
    return {
        "out": str(out), "as_of": day.isoformat() if day else None, "threshold": s.threshold,
        "round": s.round_base, "min_completeness": s.min_completeness, "network_stage": pub.network,
        **net.summary(), "link_run": pub.link_run,
        "tables": [{"sheet": t.key, "title": t.title, "rows": len(t.rows)} for t in pub.tables],
        "suppressed_cells": suppressed, "suppression_rounds": pub.rounds, "headline": pub.headline, "key_points": pub.key_points, "files": [str(f) for f in files],
        "run_time_seconds": round(time.perf_counter() - t0, 2),
        "step_seconds": {k: round(v, 2) for k, v in steps.items()},
    }
