"""The standard is data: it loads, its code lists are consistent, and its legacy maps land in lists."""

from __future__ import annotations

import pytest

from joinedup.standard import PROTECTED_FIELDS, code_list, code_lists, legacy_map, standard


def test_tables_and_keys() -> None:
    tables = standard()
    assert set(tables) == {"person_record", "event", "crime", "crime_person", "outcome"}
    for t in tables.values():
        assert t.key == ("source", "source_record_id")
        assert all(t.field(k).required for k in t.key)


def test_every_code_field_names_an_existing_list() -> None:
    lists = code_lists()
    for t in standard().values():
        for f in t.fields:
            if f.type == "code" or (f.type == "list" and f.item == "code"):
                assert f.codes in lists, f"{t.name}.{f.name} names missing code list {f.codes}"


def test_not_stated_and_not_recorded_are_distinct_values() -> None:
    eth = code_list("ethnicity")
    assert {"NS", "NR", "REFU"} <= eth.codes
    assert eth.label("NS") != eth.label("NR")
    assert "NR" in code_list("nationality").codes and "NR" in code_list("ethnicity_observed").codes


def test_police_18_plus_1_is_complete() -> None:
    eighteen = {"W1", "W2", "W3", "W9", "M1", "M2", "M3", "M9", "A1", "A2", "A3", "A4", "A9", "B1", "B2", "B9", "O2", "O9"}
    assert eighteen <= code_list("ethnicity").codes
    assert len(code_list("ethnicity_ons21").codes - {"NS", "NR", "REFU"}) == 19


@pytest.mark.parametrize("list_name", ["ethnicity", "offence", "nationality"])
def test_legacy_maps_target_valid_codes(list_name: str) -> None:
    valid = code_list(list_name).codes
    rows = legacy_map(list_name)
    assert rows
    for r in rows:
        assert r["code"] in valid, r


def test_legacy_16_plus_1_chinese_moves_to_a4_and_roma_is_kept_for_ons() -> None:
    rows = {(r["scheme"], r["legacy_code"]): r for r in legacy_map("ethnicity")}
    assert rows[("police_16plus1", "O1")]["code"] == "A4"
    assert rows[("dfe", "WROM")]["code"] == "W9" and rows[("dfe", "WROM")]["ons21"] == "WR"
    assert rows[("dfe", "REFU")]["code"] == "REFU" and rows[("dfe", "NOBT")]["code"] == "NR"


def test_downgrade_categories_present() -> None:
    off = {r["code"]: r for r in code_list("offence").rows}
    for rape in ("19D", "19G", "SOA03-S5", "SOA03-S6"):
        assert off[rape]["penetrative"] == "1"
    for lesser in ("22B", "SOA03-S9"):
        assert off[lesser]["penetrative"] == "0"


def test_protected_fields_are_the_aggregate_only_ones() -> None:
    assert PROTECTED_FIELDS == {"ethnicity_self", "ethnicity_ons21", "ethnicity_observed", "nationality"}
    for name in PROTECTED_FIELDS:
        assert not standard()["person_record"].field(name).matchable


def test_every_field_and_code_list_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "data-standard.md").read_text(encoding="utf-8")
    for t in standard().values():
        assert f"## Table `{t.name}`" in doc
        for f in t.fields:
            assert f"| `{f.name}` |" in doc, f"{t.name}.{f.name} is not in docs/data-standard.md"
    for name in code_lists():
        assert f"| `{name}` |" in doc, f"code list {name} is not in docs/data-standard.md"
