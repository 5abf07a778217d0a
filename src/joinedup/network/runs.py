"""Which stored network run a later stage may use when it runs --as-of D (justice, stats).

`joinedup network` replaces network_edge / network_member / network_group on every run and keeps a row per run in
network_run, so a warehouse holds one network output: the latest run's. A stage run with --as-of D reads records as
known on D ("only what had been recorded and delivered by then"), so it may use that output only when the network run
was computed on data as of a date on or before D. Otherwise it runs without the network's groups, as when the network
stage never ran, and says why.

A run's data date is its as_of, or (a run on the current data, as_of NULL) the day it ran
(warehouse.engine.run_data_date, which the risk stage and the web application's stage_runs.py use too). Without --as-of the stored output is used,
whatever its date, as before.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date

import duckdb

from joinedup.warehouse.engine import has_rows, run_data_date


@dataclass(frozen=True)
class NetworkChoice:
    """The stored network run a stage may use (run_id set), or why it may not (reason set; None: never ran)."""

    run_id: str | None = None
    data_as_of: date | None = None
    reason: str | None = None

    @property
    def used(self) -> bool:
        return self.run_id is not None

    def member_sql(self) -> str | None:
        """A subquery over the run's network_member rows, or None when the stage must run without them."""
        if self.run_id is None:
            return None
        return "(SELECT * FROM network_member WHERE run_id = '" + self.run_id.replace("'", "''") + "')"

    def summary(self) -> dict:
        """The two fields a --json summary gives: network_used and network_skipped_reason."""
        return {"network_used": self.used, "network_skipped_reason": self.reason}

    def note(self) -> None:
        """One line on stderr when the stored network output was left out for the as-of date."""
        if self.reason:
            print(f"note: {self.reason}", file=sys.stderr)


def stored_run(con: duckdb.DuckDBPyConnection) -> tuple[str, date | None] | None:
    """(run_id, data date) of the network output the warehouse holds, or None when it holds no groups.

    The data date is None when no network_run row records it (a hand-filled table).
    """
    if not has_rows(con, "network_member"):
        return None
    run_id = con.execute("SELECT max(run_id) FROM network_member").fetchall()[0][0]
    built = None
    if has_rows(con, "network_run"):
        row = con.execute(f"SELECT {run_data_date()} FROM network_run WHERE run_id = ? ORDER BY finished_at DESC NULLS LAST "
                          "LIMIT 1", [run_id]).fetchall()
        built = row[0][0] if row else None
    return run_id, built


def network_for(con: duckdb.DuckDBPyConnection, as_of: date | None, db: str = "FILE") -> NetworkChoice:
    """The network run a stage run as of `as_of` may use: the stored one if computed on data as of as_of or before.

    as_of None (the current data): the stored run whatever its date, as before. `db` names the warehouse in the
    command the reason gives.
    """
    run = stored_run(con)
    if run is None:
        return NetworkChoice()
    run_id, built = run
    if as_of is None or (built is not None and built <= as_of):
        return NetworkChoice(run_id, built)
    d = as_of.isoformat()
    when = f"was computed on data as of {built.isoformat()}, after {d}" if built else \
        "does not record the date its data was as of"
    return NetworkChoice(reason=f"network groups not used: the stored network run {when}; "
                                f"run joinedup network --db {db} --as-of {d} first to use them")
