"""synth -> ingest on a generated world: conservation, exact quarantine, idempotency, atomicity."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from helpers import rows as q

from joinedup.ingest import MappingError, ingest
from joinedup.synth import generate


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    generate(out, people=1500, seed=20261130, forces=3)
    return out


def test_every_row_loaded_or_quarantined_and_exactly_the_planted_errors(world, tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    s = ingest(world / "extracts", db)
    assert s.balanced and s.rows_read > 1000
    planted = {(r["source"], r["source_record_id"]) for r in csv.DictReader(open(world / "truth" / "invalid.csv"))}
    quarantined = set(q(db, "SELECT source, source_record_id FROM quarantine"))
    assert planted, "the generator plants invalid rows"
    assert quarantined == planted  # every planted error caught, and nothing valid thrown away
    # keys are unique in every standard table
    for t in ("person_record", "event", "crime", "crime_person", "outcome"):
        assert q(db, f"SELECT count(*) FROM (SELECT 1 FROM {t} GROUP BY source, source_record_id HAVING count(*) > 1)") == [(0,)]
    # every person record the generator wrote is either loaded or quarantined
    truth_recs = {(r["source"], r["source_record_id"]) for r in csv.DictReader(open(world / "truth" / "records.csv"))}
    loaded = set(q(db, "SELECT source, source_record_id FROM person_record"))
    assert loaded | {k for k in quarantined if k in truth_recs} == truth_recs


def test_second_run_loads_nothing(world, tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    first = ingest(world / "extracts", db)
    counts = q(db, "SELECT count(*) FROM person_record")
    again = ingest(world / "extracts", db)
    assert again.rows_loaded == 0 and again.files_skipped == first.files_loaded
    assert q(db, "SELECT count(*) FROM person_record") == counts


def test_crash_half_way_leaves_warehouse_unchanged(world, tmp_path) -> None:
    ext = tmp_path / "extracts"
    shutil.copytree(world / "extracts", ext)
    db = tmp_path / "w.duckdb"
    # Truncate one late file so that a mapped column is missing: the batch must roll back whole.
    victim = sorted(p for p in ext.rglob("*.csv"))[-1]
    victim.write_text(victim.read_text(encoding="utf-8-sig", errors="replace").splitlines()[0].split(",")[0] + "\nX\n")
    with pytest.raises(MappingError):
        ingest(ext, db)
    assert not db.exists()  # a warehouse the failed run created is not left behind
    ingest(world / "extracts", db)
    before = q(db, "SELECT (SELECT count(*) FROM person_record), (SELECT count(*) FROM event), (SELECT count(*) FROM load_batch)")
    shutil.copy(victim, victim.with_name(victim.stem + "_20991231" + victim.suffix))
    with pytest.raises(MappingError):
        ingest(victim.parent.parent, db)
    assert q(db, "SELECT (SELECT count(*) FROM person_record), (SELECT count(*) FROM event), (SELECT count(*) FROM load_batch)") == before


def test_provenance_on_every_row(world, tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest(world / "extracts", db)
    for t in ("person_record", "event", "crime", "crime_person", "outcome"):
        assert q(db, f"SELECT count(*) FROM {t} WHERE load_id IS NULL OR file IS NULL OR row_number < 2 OR loaded_at IS NULL") == [(0,)]


def test_suspect_ethnicity_completeness_is_low_and_varies_by_force(world, tmp_path) -> None:
    from joinedup.demo import suspects_ethnicity_completeness

    db = tmp_path / "w.duckdb"
    ingest(world / "extracts", db)
    rows = suspects_ethnicity_completeness(db)
    share = [rec / n for _, n, rec in rows if n >= 20]
    overall = sum(r[2] for r in rows) / sum(r[1] for r in rows)
    assert 0.2 <= overall <= 0.5, overall  # about a third nationally, as in the real data
    assert max(share) - min(share) > 0.3, share
