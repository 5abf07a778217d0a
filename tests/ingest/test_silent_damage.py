"""Bad input that used to damage data silently: each case loads what it can and says what it did not."""

from __future__ import annotations


import pytest

from helpers import rows

from joinedup.ingest import ingest

HEADER = "CrimeRef,HOCode,CSE,Committed,Reported\n"


def _crimes(n: int) -> list[str]:
    return [f"C{i},22/1,N,01/01/2020,0{1 + i % 9}/02/2020\n" for i in range(1, n + 1)]


def test_an_unclosed_quote_quarantines_only_its_line(tiny, tmp_path) -> None:
    ext, maps = tiny
    lines = _crimes(50)
    lines[9] = 'C10,"22/1,N,01/01/2020,02/02/2020\n'  # opens a quote it never closes
    lines[30] = 'C31,22/1,N,"01/01/2020,02/02/2020\n'  # a second one, after another quote pair below
    lines[40] = 'C41,22/1,"N",01/01/2020,02/02/2020\n'
    lines.insert(20, 'C99,22/1,N,"01/01/2020",02/02/2020\n')
    (ext / "F01-testforce" / "crimes.csv").write_text(HEADER + "".join(lines))
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    crimes = next(f for f in s.files if f.file.endswith("crimes.csv"))
    assert s.balanced and crimes.rows_read == 51  # the file's physical data lines
    assert crimes.rows_loaded == 49 and crimes.rows_quarantined == 2
    q = rows(db, "SELECT row_number, reason, raw FROM quarantine WHERE file = 'F01-testforce/crimes.csv' ORDER BY 1")
    assert [r[0] for r in q] == [11, 33]
    assert all("never closed" in r[1] for r in q) and q[0][2] == 'C10,"22/1,N,01/01/2020,02/02/2020'
    assert rows(db, "SELECT row_number FROM crime WHERE source_record_id = 'C11'") == [(12,)]


def test_values_with_line_breaks_still_load(tiny, tmp_path) -> None:
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_text(
        HEADER + 'C1,"22/1",N,01/01/2020,"02/02/2020"\n\nC2,22/1,"N\n",,05/05/2020\nC3,22/1,N,,05/05/2020\n')
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    crimes = next(f for f in s.files if f.file.endswith("crimes.csv"))
    assert s.balanced and (crimes.rows_read, crimes.rows_quarantined) == (3, 0)
    assert [r[0] for r in rows(db, "SELECT source_record_id FROM crime ORDER BY 1")] == ["C1", "C2", "C3"]


def test_a_row_with_more_fields_than_the_header_is_never_loaded_shifted(tiny, tmp_path) -> None:
    ext, maps = tiny
    # An unquoted comma inside a value: with the last column blank the row has one field too many.
    (ext / "F01-testforce" / "crimes.csv").write_text(
        HEADER + "C1,19/4,Y,01/06/1999,02/03/2015\nC2,22/1,N,01/01/2020,05/05/2020,\nC3,22/1,N,01,02,2020,\n")
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert s.balanced
    assert rows(db, "SELECT source_record_id FROM crime") == [("C1",)]
    q = dict(rows(db, "SELECT row_number, reason FROM quarantine WHERE file = 'F01-testforce/crimes.csv'"))
    assert sorted(q) == [3, 4]
    assert q[3].startswith("the row has more fields than the header's 5")


def test_one_cp1252_line_in_a_utf8_file_is_decoded_and_flagged(tiny, tmp_path) -> None:
    ext, maps = tiny
    text = ("NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role\n"
            "N1,Zoë,Brontë,,01/01/1990,Female,,,,,,,,V\n"
            "N2,Renée,Smith,,01/01/1990,Female,,,,,,,,V\n")
    data = text.encode("utf-8").replace("Renée".encode("utf-8"), "Renée".encode("cp1252"))
    (ext / "F01-testforce" / "nominals.csv").write_bytes(data)
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    names = dict(rows(db, "SELECT source_record_id, forename FROM person_record WHERE source = 'F01-testforce'"))
    assert names == {"N1": "ZOE", "N2": "RENEE"}
    issues = rows(db, "SELECT source_record_id, field, reason FROM field_issue WHERE file = 'F01-testforce/nominals.csv'")
    assert [(i[0], i[1]) for i in issues] == [("N2", "row")] and "Windows-1252" in issues[0][2]


def test_an_undecodable_byte_names_the_file(tiny, tmp_path) -> None:
    ext, maps = tiny
    mapping = (maps / "testforce.yaml").read_text().replace("null_values:", "encoding: utf-8\nnull_values:")
    (maps / "testforce.yaml").write_text(mapping)
    (ext / "F01-testforce" / "crimes.csv").write_bytes((HEADER + "C1,22/1,N,,05/05/2020\n").encode() + b"C2,\xff\xfe,N,,05/05/2020\n")
    from joinedup.errors import UserError

    with pytest.raises(UserError, match="crimes.csv"):
        ingest(ext, tmp_path / "w.duckdb", mappings_dir=maps)


def test_orphan_references_are_noted_with_the_reason(tiny, tmp_path) -> None:
    ext, maps = tiny
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"AssessID": ["A1", "A2", "A3"], "ChildID": ["K1", "K3", "K404"],
                  "Date": ["2021-03-04", "2022-01-01", "2022-01-01"], "Factors": ["11A", "11A", "11A"]}),
        ext / "LA1-testcsc" / "assessments.parquet",
    )
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert s.balanced
    got = dict(rows(db, "SELECT source_record_id, reason FROM field_issue WHERE table_name = 'event'"))
    assert set(got) == {"A2", "A3"}  # K1 was loaded; K3 was quarantined (bad date); K404 was never sent
    assert got["A2"].startswith("refers to person record 'K3', which was quarantined (LA1-testcsc/children.xlsx row 4")
    assert got["A3"] == "refers to person record 'K404', which is in no extract loaded"
    assert rows(db, "SELECT count(*) FROM event")[0][0] == 3  # loaded, with the note


def test_unknown_protected_codes_and_nul_bytes(tiny, tmp_path) -> None:
    ext, maps = tiny
    text = ("NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role\n"
            "N1,Amy,Bell,,01/01/1990,Female,,,,,ZZ,,XX,V\n"
            "N2,Jo\x00e,Smith,,01/01/1990,Female,,,,,,,,V\n")
    (ext / "F01-testforce" / "nominals.csv").write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    rec = {r[0]: r[1:] for r in rows(db, "SELECT source_record_id, ethnicity_self, nationality, forename FROM person_record "
                                         "WHERE source = 'F01-testforce'")}
    assert rec["N1"][:2] == ("NR", "NR") and rec["N2"][2] in ("JO E", "JOE")
    issues = {(i, f) for i, f in rows(db, "SELECT source_record_id, field FROM field_issue")}
    assert {("N1", "ethnicity_self"), ("N1", "nationality"), ("N2", "forename")} <= issues
    assert rows(db, "SELECT count(*) FROM quarantine WHERE file = 'F01-testforce/nominals.csv'")[0][0] == 0


def test_protected_fields_never_decide_what_loads(tiny, tmp_path) -> None:
    """Ethnicity and nationality changed on every record (to valid, unknown or blank codes): every other output is identical."""
    import csv
    import io

    ext, maps = tiny
    db1 = tmp_path / "a.duckdb"
    ingest(ext, db1, mappings_dir=maps)
    f = ext / "F01-testforce" / "nominals.csv"
    table = list(csv.reader(io.StringIO(f.read_bytes().decode("cp1252"))))
    swaps = ["W1", "ZZ", "", "A2", "Q9"]
    for i, r in enumerate(table[1:]):
        r[10], r[11], r[12] = swaps[i % 5], swaps[(i + 1) % 5][:1], ["GB", "XX", "", "PK", "??"][i % 5]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    f.write_bytes(out.getvalue().encode("cp1252"))
    db2 = tmp_path / "b.duckdb"
    ingest(ext, db2, mappings_dir=maps)
    keep = ("source, source_record_id, forename, surname, aliases, dob, sex, postcode, phones, vehicles, nhs_number, role, "
            "file, row_number")
    assert rows(db1, f"SELECT {keep} FROM person_record ORDER BY 1, 2") == rows(db2, f"SELECT {keep} FROM person_record ORDER BY 1, 2")
    assert rows(db1, "SELECT file, row_number, reason FROM quarantine ORDER BY 1, 2") == rows(
        db2, "SELECT file, row_number, reason FROM quarantine ORDER BY 1, 2")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_of_every_kind_count_their_rows(tiny, tmp_path, newline) -> None:
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_bytes(
        newline.join(["CrimeRef,HOCode,CSE,Committed,Reported", *(x.rstrip("\n") for x in _crimes(5))]).encode())
    s = ingest(ext, tmp_path / "w.duckdb", mappings_dir=maps)
    crimes = next(f for f in s.files if f.file.endswith("crimes.csv"))
    assert (crimes.rows_read, crimes.rows_loaded) == (5, 5) and s.balanced


@pytest.mark.parametrize("seed", range(12))
def test_random_quoting_faults_never_lose_a_row(tiny, tmp_path, seed) -> None:
    """Unclosed quotes, values with line breaks, short and long rows, mixed together: every row is read."""
    import random

    ext, maps = tiny
    rng = random.Random(seed)
    lines = []
    for i in range(rng.randint(5, 40)):
        f = [f"C{i}", "22/1", "N", "01/01/2020", "02/02/2020"]
        r = rng.random()
        if r < 0.15:
            f[1] = '"' + f[1]  # a quote never closed
        elif r < 0.25:
            f[2] = '"N\nY"'  # a value with a line break, properly quoted
        elif r < 0.3:
            f.append("")  # one field too many
        elif r < 0.35:
            f = f[:3]  # too few
        lines.append(",".join(f))
    end = rng.choice(["\n", "\r\n"])
    (ext / "F01-testforce" / "crimes.csv").write_text(
        "CrimeRef,HOCode,CSE,Committed,Reported" + end + end.join(lines) + rng.choice([end, ""]))
    s = ingest(ext, tmp_path / "w.duckdb", mappings_dir=maps)
    crimes = next(f for f in s.files if f.file.endswith("crimes.csv"))
    assert s.balanced and crimes.rows_read == len(lines)
    clean = sum(1 for x in lines if x.count('"') in (0, 2) and x.count(",") == 4)
    assert crimes.rows_loaded == clean
