"""stats --as-of D counts the network stage's groups only when its stored run was computed on data as of D or before;
otherwise the publication is made without them (as when the network stage never ran) and says why.

A copy of the shared world gets a second delivery: some F01 person records moved into a file extracted on LATE, the
rest extracted on BEFORE (as tests/justice/test_justice_asof_network.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path


import helpers

BEFORE, LATE, AS_OF, EARLIER = dt.date(2020, 1, 1), dt.date(2024, 1, 1), dt.date(2022, 1, 1), dt.date(2021, 6, 1)


def late_delivery(db) -> set[str]:
    """40 F01 person records moved into a second delivery extracted on LATE (the rest extracted on BEFORE)."""
    return helpers.late_delivery(db, BEFORE, LATE)




def _table_15(out: Path) -> dict:
    with open(out / "csv" / "table_15.csv", newline="") as f:
        return {r["Size of group"]: r for r in csv.DictReader(f)}


def test_network_groups_counted_only_when_computed_by_the_date(linked_world, tmp_path, capsys):
    from joinedup.network.core import run_network
    from joinedup.stats import run_stats

    db = linked_world.copy_db(tmp_path)
    late_delivery(db)
    assert run_network(str(db))["groups"] > 0, "no groups: the test would prove nothing"  # as_of NULL: today's data

    # as of an earlier date: no groups counted, the reason in the summary (--json prints it), one note on stderr
    capsys.readouterr()
    s = run_stats(db, tmp_path / "then", as_of=AS_OF.isoformat(), pdf=False)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert s["network_used"] is False and s["network_stage"] is False
    why = s["network_skipped_reason"]
    assert f"computed on data as of {today}, after {AS_OF}" in why and f"--as-of {AS_OF}" in why, why
    err = capsys.readouterr().err
    notes = [ln for ln in err.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and why in notes[0], err
    assert "Network run on later data" in _table_15(tmp_path / "then")
    assert any("computed on data from after" in k for k in s["key_points"]), s["key_points"]

    # the network as of an earlier date: counted as of AS_OF
    assert run_network(str(db), as_of=EARLIER)["groups"] > 0
    s = run_stats(db, tmp_path / "now", as_of=AS_OF.isoformat(), pdf=False)
    assert s["network_used"] is True and s["network_stage"] is True and s["network_skipped_reason"] is None
    rows = _table_15(tmp_path / "now")
    assert "Network run on later data" not in rows and rows["Total"]["Groups (number)"] != "[x]", rows
    assert "note:" not in capsys.readouterr().err
