"""The code lists the justice rules read (offence groups, outcome groups, exploitation evidence), as temp tables."""

from __future__ import annotations

import csv
import io
from importlib import resources

import duckdb

# temp table name -> code list file under joinedup/standard/codes/
CODE_TABLES = {
    "j_offence_group": "offence_group.csv",
    "j_outcome_group": "outcome_group.csv",
    "j_exploitation_code": "exploitation_evidence.csv",
    "j_court_stage": "court_stage.csv",
    "j_offence": "offence.csv",
    "j_outcome_type": "outcome_type.csv",
}


def read_code_file(name: str) -> list[dict[str, str]]:
    """Rows of one code list CSV shipped in joinedup.standard/codes."""
    text = resources.files("joinedup.standard").joinpath("codes", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def load_codes(con: duckdb.DuckDBPyConnection) -> None:
    """Create one temp table per code list (all columns VARCHAR)."""
    for table, name in CODE_TABLES.items():
        rows = read_code_file(name)
        cols = list(rows[0])
        decl = ", ".join(f'"{c}" VARCHAR' for c in cols)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({decl})")
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in cols)})",
                        [[r[c] if r[c] != "" else None for c in cols] for r in rows])


def codes_in(group: str, table: str = "j_offence_group") -> str:
    """SQL subquery: the codes of one group of a grouping code list."""
    return f"(SELECT code FROM {table} WHERE \"group\" = '{group}')"
