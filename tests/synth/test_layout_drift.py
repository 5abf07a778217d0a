"""Drift between the generator's layouts and the shipped mappings (the mappings are the source of truth).

A data manager edits src/joinedup/ingest/mappings/*.yaml by hand. These tests fail when the generator writes
a column the shipped mapping does not read, or the mapping reads a column the generator never writes, so the
synthetic extracts always exercise exactly what the shipped mappings promise.
"""

from __future__ import annotations

import fnmatch

import pytest
import yaml

from joinedup.ingest.mapping import Mapping, parse_mapping
from joinedup.synth.generate import all_sources, source_name
from joinedup.synth.layouts import LAYOUTS, mapping_path


def shipped(system: str) -> Mapping:
    """The shipped mapping of one system, parsed by ingest's own parser."""
    path = mapping_path(system)
    return parse_mapping(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("system", sorted(LAYOUTS))
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
