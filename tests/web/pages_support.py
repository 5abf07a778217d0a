"""A warehouse with the network and justice stages run, for the groups, justice and statistics page tests."""

from __future__ import annotations

from pathlib import Path


def staged_db(linked_world, folder: Path, tamper_csv: bool = True) -> Path:
    """A copy of the shared linked world with `run_network` and `run_justice` run on it.

    With tamper_csv, the first case to reopen gets a 'closed as' text that a spreadsheet would run as a formula,
    so that the CSV export's neutralisation is tested on real output.
    """
    import duckdb

    from joinedup.justice.core import run_justice
    from joinedup.network.core import run_network

    db = linked_world.copy_db(folder)
    run_network(str(db))
    run_justice(str(db), folder / "justice-out", charts=False)
    if tamper_csv:
        con = duckdb.connect(str(db))
        con.execute("UPDATE justice_reopen SET closed_as = '=HYPERLINK(\"http://example.invalid\")' WHERE rank = 1")
        con.close()
    return db
