"""Drift between the generator's layouts and the shipped mappings (the mappings are the source of truth).

A data manager edits src/joinedup/ingest/mappings/*.yaml by hand. These tests fail when the generator writes
a column the shipped mapping does not read, or the mapping reads a column the generator never writes, so the
synthetic extracts always exercise exactly what the shipped mappings promise.
"""

from __future__ import annotations

import fnmatch
import re

import pytest
import yaml

from joinedup.ingest.mapping import Mapping, parse_mapping
from joinedup.synth.generate import all_sources, source_name
from joinedup.synth.layouts import LAYOUTS, mapping_path, mappings_dir, pending_systems

PENDING = pending_systems()


def shipped(system: str) -> Mapping:
    """The shipped mapping of one system, parsed by ingest's own parser."""
    path = mapping_path(system)
    return parse_mapping(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("system", sorted(set(LAYOUTS) - PENDING))
def test_generator_columns_equal_mapped_columns(system: str) -> None:
    lay = LAYOUTS[system]
    m = shipped(system)
    assert m.agency_type == lay.agency_type
    claimed = set()
    for fs in lay.files:
        name = lay.file_name(fs)
        spec = m.file_spec(name)
        assert spec is not None, f"{system}: no files[] entry of the shipped mapping claims {name}"
        claimed.add(spec.pattern)
        assert spec.table == fs.table, (name, spec.table, fs.table)
        assert spec.delimiter == lay.delimiter, name
        written = {h for h, _ in fs.columns}
        # a column split by a regular expression (ingest's `columns:`) is read through the parts it gives
        derived = {d[0]: d[1] for d in getattr(spec, "derived", ())}
        mapped = {derived.get(c, c) for f in spec.fields.values() for c in f.columns}
        assert written - mapped == set(), f"{system}/{name}: written but not mapped: {sorted(written - mapped)}"
        assert mapped - written == set(), f"{system}/{name}: mapped but never written: {sorted(mapped - written)}"
    # every files[] entry of the mapping is a file the generator writes
    assert claimed == {f.pattern for f in m.files}, (system, sorted({f.pattern for f in m.files} - claimed))


def test_every_source_folder_is_claimed_by_its_mapping() -> None:
    for kind, org in all_sources(3, extra=True):
        folder, system = source_name(kind, org)
        assert fnmatch.fnmatch(folder, shipped(system).folders), folder
    folder, system = source_name("csc", 0, legacy=True)
    assert fnmatch.fnmatch(folder, yaml.safe_load(mapping_path(system).read_text())["folders"])


@pytest.mark.parametrize("system", sorted(PENDING))
def test_pending_mapping_columns_equal_written_columns(system: str) -> None:
    # a pending mapping uses keys today's parser rejects, so read its columns from the YAML itself
    doc = yaml.safe_load(mapping_path(system).read_text(encoding="utf-8"))
    assert not (mappings_dir() / f"{system}.yaml").exists()  # never where today's ingest would load it
    lay = LAYOUTS[system]
    assert [e["file"] for e in doc["files"]] == [lay.file_name(fs) for fs in lay.files]
    for fs, ent in zip(lay.files, doc["files"]):
        assert ent["table"] == fs.table
        # a column split by a regular expression: its named groups are columns the fields read
        split = {src: set(re.compile(spec["regex"]).groupindex) for src, spec in (ent.get("columns") or {}).items()}
        mapped = set(split)
        for spec in ent["fields"].values():
            if isinstance(spec, str):
                mapped.add(spec)
            else:
                mapped |= {spec["column"]} if "column" in spec else set(spec.get("concat", []))
        mapped -= {g for groups in split.values() for g in groups}
        assert mapped == {h for h, _ in fs.columns}, (system, fs.stem)


def test_drift_is_detected() -> None:
    # the check above can fail: a column renamed in the mapping is no longer among the written headers
    m = shipped("niche")
    spec = m.file_spec("nominals.csv")
    mapped = {c for f in spec.fields.values() for c in f.columns}
    text = (mappings_dir() / "niche.yaml").read_text(encoding="utf-8").replace("Surname", "FamilyName", 1)
    m2 = parse_mapping(text, "edited")
    mapped2 = {c for f in m2.file_spec("nominals.csv").fields.values() for c in f.columns}
    assert mapped2 != mapped and "FamilyName" in mapped2 - {h for h, _ in LAYOUTS["niche"].files[0].columns}
