import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import population  # noqa: E402

PERSON_RECORD_COLS = ["source", "source_record_id", "agency_type", "org_code", "forename", "middle_names", "surname",
                      "dob", "dob_precision", "sex", "address", "postcode", "nhs_number", "upn", "ethnicity_self",
                      "ethnicity_ons21", "ethnicity_observed", "nationality", "role"]


def make_warehouse(path: Path, df: pd.DataFrame) -> None:
    """Create person_record (the warehouse contract) from a synthetic frame."""
    pr = df.copy()
    for c in PERSON_RECORD_COLS:
        if c not in pr.columns:
            pr[c] = None
    pr["dob"] = pd.to_datetime(pr["dob"]).dt.date
    pr["dob_precision"] = "day"
    pr["agency_type"] = "police"
    pr["org_code"] = "X"
    pr["role"] = "victim"
    from joinedup.warehouse import connect

    con = connect(path)  # the schema from the migrations, as ingest makes it
    con.register("pr", pr[PERSON_RECORD_COLS])
    con.execute("INSERT INTO person_record BY NAME SELECT *, []::VARCHAR[] AS aliases, []::VARCHAR[] AS phones, "
                "[]::VARCHAR[] AS vehicles, NULL::BOOLEAN AS looked_after, NULL AS disability_sen, "
                "'L1' AS load_id, 'f.csv' AS file, 1 AS row_number, now()::TIMESTAMP AS loaded_at FROM pr")
    con.close()


@pytest.fixture(scope="session")
def people() -> pd.DataFrame:
    return population(300, seed=11)


@pytest.fixture(scope="session")
def linked_warehouse(tmp_path_factory, people):
    """A warehouse linked once (shared by the warehouse tests; they copy it before changing it)."""
    from joinedup.link.warehouse import link_warehouse

    d = tmp_path_factory.mktemp("wh")
    db = d / "w.duckdb"
    make_warehouse(db, people)
    summary = link_warehouse(str(db))
    return db, summary
