"""Structural faults: only where asked for, each listed in truth/faults.csv, and each really there in the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from joinedup.synth import generate


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("f") / "world"
    generate(out, 12_000, seed=5, profile="realistic")
    return out


def faults(out: Path) -> list[dict[str, str]]:
    with open(out / "truth" / "faults.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_kind_is_listed(faulty: Path) -> None:
    kinds = {f["kind"] for f in faults(faulty)}
    assert kinds == {"malformed_quote", "unquoted_comma", "orphan_reference", "stray_cp1252_byte", "combined_name_column",
                     "two_digit_years", "free_text_ethnicity"}


def test_each_listed_line_is_broken_as_it_says(faulty: Path) -> None:
    ex = faulty / "extracts"
    checked = 0
    for f in faults(faulty):
        if not f["row"]:
            continue
        raw = (ex / f["source"] / f["file"]).read_bytes().split(b"\n")
        line, header = raw[int(f["row"]) - 1], raw[0].decode("utf-8-sig")
        width = len(next(csv.reader([header])))
        if f["kind"] == "stray_cp1252_byte":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
            assert "\u00e9" in line.decode("cp1252")
        else:
            text = line.decode("utf-8")
            assert text.startswith(f["source_record_id"] + ",")
            if f["kind"] == "unquoted_comma":
                assert len(next(csv.reader([text]))) == width + 1
            elif f["kind"] == "malformed_quote":
                # read from this line on, the parser swallows the next line into one field
                rest = b"\n".join(raw[int(f["row"]) - 1:int(f["row"]) + 1]).decode("utf-8")
                assert any("\n" in cell for cell in next(csv.reader(io.StringIO(rest))))
            elif f["kind"] == "orphan_reference":
                ref = [c for c in next(csv.reader([text])) if "X9" in c][0]
                persons = {"F01-niche": "nominals.csv", "LA03-liquidlogic": "children.csv"}[f["source"]]
                ids = {r[0] for r in csv.reader(io.StringIO((ex / f["source"] / persons).read_bytes().decode("utf-8-sig", "replace")))}
                assert ref not in ids and len(next(csv.reader([text]))) == width
        checked += 1
    assert checked >= 5


def test_legacy_layout_writes_its_own_way(faulty: Path) -> None:
    with open(faulty / "extracts" / "LA01-carefirst" / "CF_CLIENTS.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(", " in r["CLIENT_NAME"] and r["CLIENT_NAME"].split(",")[0].isupper() for r in rows)
    assert all(len(r["DOB"]) == 8 for r in rows if r["DOB"])  # dd/mm/yy
    spellings = {r["ETHNIC_ORIGIN"] for r in rows}
    assert {"White British", "British"} & spellings and len(spellings) > 15


def test_no_faults_unless_asked(tmp_path: Path) -> None:
    generate(tmp_path / "e", 3000, seed=5, profile="enriched")
    assert not (tmp_path / "e" / "truth" / "faults.csv").exists()
    assert not (tmp_path / "e" / "extracts" / "LA01-carefirst").exists()
    s = generate(tmp_path / "f", 3000, seed=5, profile="enriched", faults=True)
    assert s["structural_faults"] > 0 and faults(tmp_path / "f")
