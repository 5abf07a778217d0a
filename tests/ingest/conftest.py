"""A tiny two-source extract folder with its own mappings, independent of the generator."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

POLICE_MAPPING = """
system: testforce
agency_type: police
folders: "*-testforce"
org_code: {folder_regex: "^([A-Z0-9]+)-"}
null_values: ["", "N/K", "NULL"]
files:
  - file: "nominals*.csv"
    table: person_record
    fields:
      source_record_id: NominalRef
      forename: Forename
      surname: Surname
      aliases: {column: AKA, split: "|"}
      dob: {column: DOB, format: ["%d/%m/%Y", "%m/%Y", "%Y"]}
      sex: {column: Gender, map: {Male: M, Female: F, Unknown: U}}
      postcode: Postcode
      phones: {column: Phones, split: ";"}
      vehicles: {column: VRM, split: ";"}
      nhs_number: NHSNo
      ethnicity_self: {column: SDE, scheme: police_16plus1}
      ethnicity_observed: {column: IC, prefix: IC}
      nationality: {column: Nat, scheme: iso_alpha2}
      role: {column: Role, map: {V: VICTIM, S: SUSPECT, W: WITNESS}}
  - file: "crimes*.csv"
    table: crime
    fields:
      source_record_id: CrimeRef
      offence_code: {column: HOCode, scheme: ho_pre2004}
      cse_flag: CSE
      date_committed: {column: Committed, format: "%d/%m/%Y"}
      date_reported: {column: Reported, format: "%d/%m/%Y"}
"""

CSC_MAPPING = """
system: testcsc
agency_type: csc
folders: "*-testcsc"
org_code: {folder_regex: "^([A-Z0-9]+)-"}
files:
  - file: "children*.xlsx"
    table: person_record
    fields:
      source_record_id: ChildID
      forename: {column: Name1}
      surname: {column: Name2}
      dob: {column: BirthDate, format: ["%Y-%m-%d"]}
      sex: {column: Sex, map: {"1": M, "2": F}}
      nhs_number: NHS
      ethnicity_self: {column: Eth, scheme: dfe}
      looked_after: LAC
      role: {const: CHILD}
  - file: "assessments*.parquet"
    table: event
    fields:
      source_record_id: AssessID
      person_record_id: ChildID
      event_type: {const: ASSESSMENT}
      start_date: {column: Date, format: "%Y-%m-%d"}
      codes: {column: Factors, split: ","}
"""

NOMINALS = """NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role
N1,Mohammed,Khan,Mo|Moe,03/04/1985,Male,ls1 4ab,07700 900123;+44 7700 900456,ab12 cde,,A2,4,GB,S
N2,Zoë,O'Brien-Smith,,1999,Female,NOTAPOSTCODE,,,,,,,V
N3,Kate,Jones,,31/02/2009,Female,M1 1AA,,,,W1,1,GB,V
N4,Amy,Bell,,12/2008,Female,,,,9434765919,NS,9,PK,V
N5,Sam,Lee,,01/01/2001,Unknown,,,,9434765918,O1,,,W
N6,Joe,Bloggs,,01/01/2001,Male,,,,,Z7,,,S
N1,Dup,Licate,,01/01/1990,Male,,,,,,,,S
N8,Future,Child,,01/01/2091,Male,,,,,,,,V
N9,No,Role,,01/01/1990,Male,,,,,,,,
"""

CRIMES = """CrimeRef,HOCode,CSE,Committed,Reported
C1,19/4,Y,01/06/1999,02/03/2015
C2,22/1,N,,05/05/2020
C3,ABC,Y,01/01/2020,01/01/2020
"""


def write_world(root: Path) -> Path:
    """Write the tiny extracts and mappings under root; return the extracts folder."""
    ext = root / "extracts"
    (ext / "F01-testforce").mkdir(parents=True)
    (ext / "LA1-testcsc").mkdir(parents=True)
    maps = root / "mappings"
    maps.mkdir()
    (maps / "testforce.yaml").write_text(POLICE_MAPPING, encoding="utf-8")
    (maps / "testcsc.yaml").write_text(CSC_MAPPING, encoding="utf-8")
    # One file in cp1252 with a BOM-less accented name, one in UTF-8 with a BOM.
    (ext / "F01-testforce" / "nominals.csv").write_bytes(NOMINALS.encode("cp1252"))
    (ext / "F01-testforce" / "crimes.csv").write_bytes(CRIMES.encode("utf-8-sig"))
    wb = xlsxwriter.Workbook(str(ext / "LA1-testcsc" / "children.xlsx"))
    ws = wb.add_worksheet()
    import datetime as dt

    rows = [
        ["ChildID", "Name1", "Name2", "BirthDate", "Sex", "NHS", "Eth", "LAC"],
        ["K1", "Ayesha", "Hussain", dt.datetime(2008, 5, 17), 2, "943 476 5919", "APKN", "Y"],
        ["K2", "Liam", "Smith", dt.datetime(2010, 1, 2), 1, None, "WROM", "N"],
        ["K3", "Eve", "Adams", "not a date", 2, None, None, None],
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, wb.add_format({"num_format": "dd/mm/yyyy"}))
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"AssessID": ["A1", "A2"], "ChildID": ["K1", "K2"], "Date": ["2021-03-04", "2022-01-01"],
                  "Factors": ["11A,10A", "11A,99Z"]}),
        ext / "LA1-testcsc" / "assessments.parquet",
    )
    return ext


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """(extracts folder, mappings folder) of the tiny world."""
    ext = write_world(tmp_path)
    return ext, tmp_path / "mappings"
