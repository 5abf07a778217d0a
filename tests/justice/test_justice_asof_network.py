"""justice --as-of D uses the network stage's groups only when its stored run was computed on data as of D or before;
otherwise it runs without them (as when the network stage never ran) and says why (--json summary, a note on stderr).

A copy of the shared world gets a second delivery: some F01 person records are moved into a file extracted on LATE,
the rest extracted on BEFORE (as in tests/web/test_stage_asof.py on branch w2)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

import helpers

BEFORE, LATE, AS_OF, EARLIER = dt.date(2020, 1, 1), dt.date(2024, 1, 1), dt.date(2022, 1, 1), dt.date(2021, 6, 1)


def late_delivery(db) -> set[str]:
    """40 F01 person records moved into a second delivery extracted on LATE (the rest extracted on BEFORE)."""
    return helpers.late_delivery(db, BEFORE, LATE)




@pytest.fixture(scope="module")
def two_deliveries(linked_world, tmp_path_factory):
    d = tmp_path_factory.mktemp("justice-asof-network")
    db = linked_world.copy_db(d)
    late_delivery(db)
    return db, d


def test_network_run_today_is_not_used_as_of_an_earlier_date(two_deliveries, capsys):
    from joinedup.justice import run_justice
    from joinedup.network.core import run_network

    db, d = two_deliveries
    assert run_network(str(db))["groups"] > 0, "no groups: the test would prove nothing"  # as_of NULL: today's data
    capsys.readouterr()
    s = run_justice(db, d / "then", as_of=AS_OF.isoformat(), charts=False)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert s["network_used"] is False
    why = s["network_skipped_reason"]
    assert f"computed on data as of {today}, after {AS_OF}" in why, why
    assert f"joinedup network --db {db} --as-of {AS_OF}" in why, why
    assert s["network"] == why
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and why in err[0], err
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT network_used FROM justice_run WHERE run_id = ?", [s["run_id"]]).fetchall() == [(False,)]
        assert not con.execute("SELECT count(*) FROM justice_reopen WHERE run_id = ? AND reasons LIKE '%detected group%'",
                               [s["run_id"]]).fetchall()[0][0]
    finally:
        con.close()
    # without --as-of nothing changes: the stored run is used, no note
    s = run_justice(db, d / "now", charts=False)
    assert s["network_used"] is True and s["network_skipped_reason"] is None and s["network"].startswith("used")
    assert "note:" not in capsys.readouterr().err
    con = duckdb.connect(str(db), read_only=True)
    try:  # (so the check above that the as-of run gave no group reason is not empty)
        assert con.execute("SELECT count(*) FROM justice_reopen WHERE run_id = ? AND reasons LIKE '%detected group%'",
                           [s["run_id"]]).fetchall()[0][0]
    finally:
        con.close()


def test_network_run_as_of_the_date_or_before_is_used(two_deliveries, capsys):
    from joinedup.justice import run_justice
    from joinedup.network.core import run_network

    db, d = two_deliveries
    assert run_network(str(db), as_of=EARLIER)["groups"] > 0
    capsys.readouterr()
    for day in (EARLIER, AS_OF):  # the run's own date, and a later one
        s = run_justice(db, d / f"o-{day}", as_of=day.isoformat(), charts=False)
        assert s["network_used"] is True and s["network_skipped_reason"] is None, s["network_skipped_reason"]
        assert s["network"].startswith("used")
    assert "note:" not in capsys.readouterr().err
    s = run_justice(db, d / "before", as_of=dt.date(2021, 1, 1).isoformat(), charts=False)
    assert s["network_used"] is False and f"as of {EARLIER}, after 2021-01-01" in s["network_skipped_reason"]


def test_the_cli_says_once_that_the_network_was_not_used(two_deliveries):
    from typer.testing import CliRunner

    from joinedup.cli import app
    from joinedup.network.core import run_network

    db, d = two_deliveries
    run_network(str(db))  # today's data: not usable as of AS_OF
    out = CliRunner().invoke(app, ["justice", "--db", str(db), "--export-dir", str(d / "cli"), "--as-of", AS_OF.isoformat(),
                                 "--no-charts"])
    assert out.exit_code == 0, out.output
    line = [ln for ln in out.output.splitlines() if "network" in ln and "not used" in ln][0]
    assert line.startswith("network groups not used: ") and "network: network" not in out.output, out.output
