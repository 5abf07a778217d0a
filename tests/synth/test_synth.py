"""Tests of the synthetic world generator: determinism, truth coverage, identifiers, justice patterns,
streaming, and the mapping contract with ingest (checked from file headers, without the ingest engine)."""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from stdnum.gb import nhs
from typer.testing import CliRunner

from joinedup.synth import generate
from joinedup.synth.layouts import LAYOUTS, mappings_dir

PEOPLE = 6000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("w") / "world"
    return out, generate(out, PEOPLE, seed=11, chunk_people=2500)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of any extract file as dicts of text (blank for empty)."""
    folder = path.parent.name
    lay = LAYOUTS[folder.split("-", 1)[1]]
    if path.suffix == ".parquet":
        t = pq.read_table(path).to_pylist()
        return [{k: ("" if v is None else v) for k, v in r.items()} for r in t]
    if path.suffix == ".xlsx":
        import openpyxl
        ws = openpyxl.load_workbook(path, read_only=True).active
        it = ws.iter_rows(values_only=True)
        head = list(next(it))
        # streamed sheets carry no dimension, so rows stop at their last filled cell: pad them
        return [{h: ("" if v is None else str(v)) for h, v in zip(head, list(r) + [None] * len(head))} for r in it]
    text = path.read_bytes().decode(lay.encoding)
    return list(csv.DictReader(io.StringIO(text), delimiter=lay.delimiter))


def headers(path: Path) -> list[str]:
    """Column headers of an extract file."""
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    if path.suffix == ".xlsx":
        import openpyxl
        ws = openpyxl.load_workbook(path, read_only=True).active
        return [c for c in next(ws.iter_rows(values_only=True))]
    lay = LAYOUTS[path.parent.name.split("-", 1)[1]]
    first = path.read_bytes().decode(lay.encoding).splitlines()[0]
    return next(csv.reader([first], delimiter=lay.delimiter))


def table_rows(out: Path, source: str, table: str) -> list[dict[str, str]]:
    """Rows of one standard table of a source, keyed by standard field name via the layout columns."""
    lay = LAYOUTS[source.split("-", 1)[1]]
    rows = []
    for fs in lay.files:
        if fs.table != table:
            continue
        for p in sorted((out / "extracts" / source).iterdir()):
            if fnmatch.fnmatch(p.name, f"{fs.stem}_*.xlsx" if lay.fmt == "xlsx" else f"{fs.stem}{lay.ext}"):
                rows += [{k: r[h] for h, k in fs.columns} | {"_file": p.name} for r in read_rows(p)]
    return rows


def truth(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / "truth" / f"{name}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_deterministic_and_seed_sensitive(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 1500, seed=3, chunk_people=700)
    generate(b, 1500, seed=3, chunk_people=700)
    generate(c, 1500, seed=4, chunk_people=700)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_records_truth_covers_every_person_row(world: tuple[Path, dict]) -> None:
    out, summary = world
    rec = {(r["source"], r["source_record_id"]) for r in truth(out, "records")}
    seen = set()
    for src in summary["sources"]:
        for r in table_rows(out, src, "person_record"):
            seen.add((src, r["srid"]))
    assert seen == rec
    assert len(rec) == summary["person_records"]
    # keys unique per source and table
    for src in summary["sources"]:
        for table in ("person_record", "event", "crime", "crime_person", "outcome"):
            ids = [r["srid"] for r in table_rows(out, src, table)]
            assert len(ids) == len(set(ids)), (src, table)


def test_nhs_numbers_valid_except_deliberate(world: tuple[Path, dict]) -> None:
    out, summary = world
    bad = {(r["source"], r["source_record_id"]) for r in truth(out, "invalid") if r["field"] == "nhs_number"}
    n_valid = 0
    for src in summary["sources"]:
        for r in table_rows(out, src, "person_record"):
            v = r["nhs_number"]
            if not v:
                continue
            if (src, r["srid"]) in bad:
                assert not nhs.is_valid(v)
            else:
                assert nhs.is_valid(v), (src, r["srid"], v)
                n_valid += 1
    assert n_valid > 500
    assert 0 < summary["invalid_rows"] < 0.01 * summary["total_rows"]


def test_suspect_ethnicity_recording_varies_by_force(world: tuple[Path, dict]) -> None:
    out, summary = world
    rates, tot, rec = {}, 0, 0
    for src in summary["sources"]:
        if not src.startswith("F"):
            continue
        rows = [r for r in table_rows(out, src, "person_record") if r["role"] in ("Suspect", "SUS", "S")]
        k = sum(1 for r in rows if r["ethnicity_self"] not in ("", "NS", "Z7"))
        rates[src] = k / len(rows)
        tot += len(rows)
        rec += k
    assert 0.25 <= rec / tot <= 0.45, rec / tot
    assert min(rates.values()) < 0.2 and max(rates.values()) > 0.8, rates


def test_groups_have_several_offenders(world: tuple[Path, dict]) -> None:
    out, _ = world
    groups: dict[str, dict[str, int]] = {}
    for r in truth(out, "groups"):
        g = groups.setdefault(r["true_group_id"], {"offender": 0, "victim": 0})
        g[r["role"]] += 1
    assert groups
    assert all(2 <= g["offender"] <= 15 and 1 <= g["victim"] <= 30 for g in groups.values())


def _day(s: str, fmt: str) -> date:
    from datetime import datetime
    return datetime.strptime(s, fmt).date()


def test_downgrades_point_to_outcomes_for_victims_13_to_15(world: tuple[Path, dict]) -> None:
    out, _ = world
    people = {r["true_person_id"]: r for r in truth(out, "people")}
    tp = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in truth(out, "records")}
    down = truth(out, "downgrades")
    assert down
    by_src: dict[str, list[str]] = {}
    for d in down:
        by_src.setdefault(d["source"], []).append(d["source_record_id"])
    for src, ids in by_src.items():
        lay = LAYOUTS[src.split("-", 1)[1]]
        outc = {r["srid"]: r for r in table_rows(out, src, "outcome")}
        crimes = {r["srid"]: r for r in table_rows(out, src, "crime")}
        links = table_rows(out, src, "crime_person")
        for i in ids:
            o = outc[i]
            assert o["charged_offence"] in ("22B", "SOA03-S9", "22/1")
            cr = crimes[o["crime_record_id"]]
            assert cr["offence_code"] in ("19D", "19G", "19/4", "19/6")
            vic = [lk for lk in links if lk["crime_record_id"] == o["crime_record_id"] and lk["role"] in ("Victim", "VIC", "V")]
            assert vic
            dob = date.fromisoformat(people[tp[(src, vic[0]["person_record_id"])]]["dob"])
            age = (_day(cr["date_committed"], lay.date_fmt) - dob).days / 365.25
            assert 13 <= age < 16


def test_disregards_are_convicted_victims(world: tuple[Path, dict]) -> None:
    out, summary = world
    dis = {r["true_person_id"] for r in truth(out, "disregards")}
    tp = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in truth(out, "records")}
    children = {r["true_person_id"]: r for r in truth(out, "children")}
    found = set()
    for src in summary["sources"]:
        if not src.startswith("F"):
            continue
        crimes = {r["srid"]: r for r in table_rows(out, src, "crime")}
        for o in table_rows(out, src, "outcome"):
            if crimes.get(o["crime_record_id"], {}).get("offence_code") in ("SOA59-S1", "SOL") and o["outcome_type"] == "1":
                found.add(tp[(src, o["person_record_id"])])
    assert dis and dis <= found
    assert all(children[p]["exploited"] == "1" for p in dis)


def test_exploited_children_and_boys(world: tuple[Path, dict]) -> None:
    out, _ = world
    people = {r["true_person_id"]: r for r in truth(out, "people")}
    ch = truth(out, "children")
    exp = [r for r in ch if r["exploited"] == "1"]
    assert exp and all(r["first_harm_date"] for r in exp)
    boys = sum(1 for r in exp if people[r["true_person_id"]]["sex"] == "M") / len(exp)
    assert 0.05 <= boys <= 0.3
    assert len(ch) > 5 * len(exp)  # most children known to agencies were not exploited


def test_chunks_share_schema(tmp_path: Path) -> None:
    s = generate(tmp_path / "w", 900, seed=5, chunk_people=200)
    assert s["chunks"] == 5
    for p in (tmp_path / "w" / "extracts").rglob("*.csv"):
        lay = LAYOUTS[p.parent.name.split("-", 1)[1]]
        lines = list(csv.reader(io.StringIO(p.read_bytes().decode(lay.encoding)), delimiter=lay.delimiter))
        assert all(len(r) == len(lines[0]) for r in lines), p
        assert sum(1 for r in lines if r == lines[0]) == 1  # one header, however many chunks


def test_xlsx_split_into_parts(tmp_path: Path) -> None:
    generate(tmp_path / "w", 2000, seed=2, forces=1, xlsx_max_rows=40)
    parts = sorted((tmp_path / "w" / "extracts" / "ED01-sims").glob("pupils_*.xlsx"))
    assert len(parts) >= 2
    for p in parts:
        assert zipfile.is_zipfile(p)
        assert len(read_rows(p)) <= 40


def test_mappings_parse_claim_every_file_and_columns_exist(world: tuple[Path, dict]) -> None:
    out, _ = world
    maps = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(mappings_dir().glob("*.yaml"))]
    for folder in sorted((out / "extracts").iterdir()):
        ms = [m for m in maps if fnmatch.fnmatch(folder.name, m["folders"])]
        assert len(ms) == 1, folder.name
        m = ms[0]
        for f in sorted(folder.iterdir()):
            claims = [spec for spec in m["files"] if fnmatch.fnmatch(f.name, spec["file"])]
            assert len(claims) == 1, f
            head = set(headers(f))
            for field, spec in claims[0]["fields"].items():
                cols = [spec] if isinstance(spec, str) else spec.get("concat", [spec["column"]] if "column" in spec else [])
                for c in cols:
                    assert c in head, (f, field, c)


def test_cli_errors_and_json(tmp_path: Path) -> None:
    import json

    import typer

    from joinedup.synth.cli import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), "--people", "0"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x.txt").write_text("x")
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "busy"), "--people", "10"])
    assert r.exit_code != 0
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), "--people", "300", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["people"] == 300
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), "--people", "300", "--json"])
    assert r.exit_code == 0  # a previous synth output may be overwritten


def test_names_have_a_long_tail_and_namesakes_stay_rare() -> None:
    # A population's names: a head of common names (with their variants) and a long tail. With only the head
    # pools, two people shared forename, surname and birth year ~20 times as often as in a real population,
    # and a 10M-record world was mostly namesakes. Arabic names have no tail list and stay in the head.
    import collections

    import numpy as np

    from joinedup.synth.world import HEAD_SHARE_SURNAME, ORIGINS, Chunk, name_pools

    ch = Chunk(5, 0, 0, 20_000, 3, {})
    pools = name_pools()
    sur = np.asarray(ch.surname)
    assert len(set(sur.tolist())) > 1500
    for oi, o in enumerate(ORIGINS):
        m = np.asarray(ch.origin) == oi
        head = set(pools.surnames[o].tolist())
        # household surnames (partners may keep their own, from any origin) come mostly from the origin's head
        share = float(np.mean([s in head for s in sur[m]]))
        assert share >= HEAD_SHARE_SURNAME[o] - 0.1, (o, share)
        if HEAD_SHARE_SURNAME[o] < 1.0:
            assert share <= HEAD_SHARE_SURNAME[o] + 0.15, (o, share)
    years = np.asarray(ch.dob_y)
    keys = collections.Counter(zip(np.asarray(ch.forename).tolist(), sur.tolist(), years.tolist()))
    namesake_pairs = sum(c * (c - 1) // 2 for c in keys.values())
    # head pools alone: 0.015 pairs per person at 20,000 people (growing with the population); with the tail 0.0016
    assert namesake_pairs / 20_000 < 0.005
