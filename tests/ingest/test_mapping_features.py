"""Mapping features real layouts need, on a youth-offending-service style export (tests/ingest/fixtures/yos)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from helpers import rows

from joinedup.ingest import MappingError, ingest, parse_mapping
from joinedup.ingest.load import REPEAT_RULE

YOS = Path(__file__).parent / "fixtures" / "yos"


@pytest.fixture(scope="module")
def yos(tmp_path_factory) -> tuple[Path, object]:
    db = tmp_path_factory.mktemp("yos") / "w.duckdb"
    s = ingest(YOS / "extracts", db, mappings_dir=YOS / "mappings", today=dt.date(2026, 12, 4))
    return db, s


def test_one_wide_file_feeds_four_tables_and_skipped_rows_are_counted(yos) -> None:
    db, s = yos
    assert s.balanced and s.rows_quarantined == 0 and s.extract_date == dt.date(2026, 11, 1)
    by_table = {f.table: f for f in s.files}
    assert set(by_table) == {"person_record", "crime", "crime_person", "outcome"}
    assert all(f.rows_read == 6 for f in s.files)
    # YP1 has two cases: the person is loaded once, the repeat counted as skipped (repeated_keys: skip)
    assert by_table["person_record"].skipped_by == {"RecordStatus in [TEST, Training]": 1, REPEAT_RULE: 1}
    assert by_table["crime"].rows_loaded == 5
    assert by_table["outcome"].skipped_by == {"Outcome is blank": 3, "RecordStatus in [TEST, Training]": 1}
    assert rows(db, "SELECT count(*) FROM quarantine")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM person_record WHERE source_record_id = 'YP3'")[0][0] == 0  # a test row
    assert rows(db, "SELECT crime_record_id, person_record_id, outcome_type FROM outcome ORDER BY 1") == [
        ("YC1", "YP1", "2"), ("YC4", "YP4", "8")]


def test_a_name_column_splits_by_named_groups(yos) -> None:
    db, _ = yos
    got = {r[0]: r[1:] for r in rows(db, "SELECT source_record_id, surname, forename, middle_names FROM person_record")}
    assert got["YP1"] == ("SMITH", "JORDAN", "LEE") and got["YP2"] == ("ONEILL", "KAYLA", None)
    assert got["YP5"] == (None, None, None)  # "Mononym" does not fit: loaded, and said so
    assert rows(db, "SELECT field, value FROM field_issue WHERE source_record_id = 'YP5'") == [("YoungPerson", "Mononym")]


def test_dates_two_digit_years_and_ordinals(yos) -> None:
    db, _ = yos
    dob = dict(rows(db, "SELECT source_record_id, dob FROM person_record"))
    assert dob["YP1"] == dt.date(2009, 10, 25)  # 25/10/09 with format %d/%m/%Y: not the year 9
    assert dob["YP2"] == dt.date(2010, 3, 3)  # "3rd March 2010"
    assert dob["YP4"] == dt.date(2011, 6, 17)
    assert rows(db, "SELECT date_committed FROM crime WHERE source_record_id = 'YC1'") == [(dt.date(2024, 3, 3),)]
    assert rows(db, "SELECT outcome_date FROM outcome WHERE source_record_id = 'YC1'") == [(dt.date(2024, 4, 14),)]


def test_blank_map_values_several_separators_yes_no_keys_and_non_police_crimes(yos) -> None:
    db, _ = yos
    got = {r[0]: r[1:] for r in rows(db, "SELECT source_record_id, sex, phones, cse_concern FROM person_record")}
    assert got["YP4"][0] == "NR"  # "Not known" mapped to blank: not recorded
    assert got["YP1"][1] == ["07700900123", "07700900456"]  # split on ' / '
    assert got["YP2"][1] == ["07700900789", "07700900790", "07700900791"]  # ';' and ' or '
    assert (got["YP1"][2], got["YP2"][2], got["YP5"][2]) == (True, False, None)  # YAML Yes/No keys
    assert rows(db, "SELECT count(*) FROM crime WHERE date_reported IS NULL")[0][0] == 5  # not police: not required


def test_mapping_errors_name_the_problem() -> None:
    base = "system: s\nagency_type: police\nfolders: '*'\norg_code: {const: X}\nfiles:\n  - file: a.csv\n    table: crime\n"
    fields = ("    fields: {source_record_id: A, offence_code: B, date_reported: C}\n")
    with pytest.raises(MappingError, match="required field 'date_reported'"):
        parse_mapping(base + "    fields: {source_record_id: A, offence_code: B}\n")
    with pytest.raises(MappingError, match="names no groups"):
        parse_mapping(base + "    columns: {A: {regex: '^(.*)$'}}\n" + fields)
    with pytest.raises(MappingError, match="delivery 'weekly'"):
        parse_mapping(base + "    delivery: weekly\n" + fields)
    with pytest.raises(MappingError, match="needs delivery: delta"):
        parse_mapping(base + "    deleted: {column: D}\n" + fields)
    with pytest.raises(MappingError, match="skip rule"):
        parse_mapping(base + "    skip: [{column: D}]\n" + fields)


def test_regular_expressions_duckdb_cannot_run_are_refused() -> None:
    base = "system: s\nagency_type: police\nfolders: '*'\norg_code: {const: X}\nfiles:\n  - file: a.csv\n    table: crime\n"
    fields = "    fields: {source_record_id: A, offence_code: B, date_reported: C}\n"
    with pytest.raises(MappingError, match="lookaround"):
        parse_mapping(base + "    skip: [{column: D, matches: '(?<=x)y'}]\n" + fields)
    with pytest.raises(MappingError, match="not a regular expression"):
        parse_mapping(base + "    columns: {A: {regex: '(?P<X>'}}\n" + fields)
