"""The generator never makes invalid or damages the rows a planted downgrade or disregard rests on, and keeps the
number of invalid rows and faults; its truth/reopen.csv lists closing outcomes with their reasons."""

from __future__ import annotations

import importlib
from collections import Counter

from joinedup.synth.truth import read_csv

gen = importlib.import_module("joinedup.synth.generate")  # the module (the package exports its function)


def _world(tmp_path, monkeypatch, name: str, protect: bool):
    # invalid rows and faults far more often than usual, so that they would hit the planted cases without protection
    monkeypatch.setattr(gen, "INVALID_PERSON_P", 0.15)
    monkeypatch.setattr(gen, "INVALID_OTHER_P", 0.15)
    monkeypatch.setattr("joinedup.synth.faults.RATE", 1 / 40)
    if not protect:
        monkeypatch.setattr(gen, "justice_rows", lambda rec, ch: (set(), set()))
    out = tmp_path / name
    summary = gen.generate(out, people=3000, seed=5, faults=True)
    return out, summary


def _case_rows(out) -> tuple[set, set]:
    """(source, crime record id) of every planted downgrade or disregard, and (source, true person) of their people."""
    down = {(r["source"], r["source_record_id"]) for r in read_csv(out / "truth" / "downgrades.csv")}
    crimes, people = set(), set()
    for r in read_csv(out / "truth" / "offences.csv"):
        if (r["source"], r["outcome_record_id"]) in down or r["kind"] == "soliciting":
            crimes.add((r["source"], r["crime_record_id"]))
            people |= {(r["source"], r["victim_true_person_id"]), (r["source"], r["suspect_true_person_id"])}
    return crimes, people


def _damaged(out) -> set:
    bad = {(r["source"], r["source_record_id"]) for r in read_csv(out / "truth" / "invalid.csv")}
    return bad | {(r["source"], r["source_record_id"]) for r in read_csv(out / "truth" / "faults.csv") if r["source_record_id"]}


def test_planted_cases_never_invalid_or_damaged(tmp_path, monkeypatch) -> None:
    out, summary = _world(tmp_path, monkeypatch, "protected", True)
    crimes, people = _case_rows(out)
    assert crimes and people
    damaged = _damaged(out)
    person_rows = {(r["source"], r["source_record_id"]) for r in read_csv(out / "truth" / "records.csv")
                   if (r["source"], r["true_person_id"]) in people}
    assert not crimes & damaged
    assert not person_rows & damaged

    # the same world without the protection: the invalid rows and faults hit planted cases, and their numbers are the same
    out2, summary2 = _world(tmp_path, monkeypatch, "unprotected", False)
    damaged2 = _damaged(out2)
    person_rows2 = {(r["source"], r["source_record_id"]) for r in read_csv(out2 / "truth" / "records.csv")
                    if (r["source"], r["true_person_id"]) in people}
    assert (crimes | person_rows2) & damaged2, "the rates are too low for this test to prove anything"
    assert summary["invalid_rows"] == summary2["invalid_rows"]
    assert summary["structural_faults"] == summary2["structural_faults"]


def test_reopen_truth_rows_are_closing_outcomes_with_reasons(linked_world) -> None:
    import duckdb

    rows = read_csv(linked_world.world / "truth" / "reopen.csv")
    assert rows
    reasons = Counter(x for r in rows for x in r["reasons"].split(";"))
    # the world plants every kind of new intelligence the rules look for
    assert set(reasons) == {"group", "charge", "victim", "pivot"}, reasons
    con = duckdb.connect(str(linked_world.db), read_only=True)
    try:
        out = {(s, i): (t, c) for s, i, t, c in con.execute(
            "SELECT source, source_record_id, outcome_type, court_result FROM outcome").fetchall()}
    finally:
        con.close()
    for r in rows:
        t, court = out[(r["source"], r["source_record_id"])]
        assert t in ("14", "15", "16", "18", "21") or (t == "1" and court == "DISCONTINUED"), r
        assert r["closed_as"] == ("charged, discontinued" if t == "1" else t)


def test_spare_keeps_count_and_skips_protected() -> None:
    import numpy as np

    protect = np.array([False, True, True, False, False, True])
    assert gen.spare([1, 4], protect) == [3, 4]
    assert gen.spare([5], protect) == [0]  # wraps round
    assert gen.spare([0, 3], None) == [0, 3]
