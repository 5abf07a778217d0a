"""The linkage model's Splink settings: the available comparisons and blocking rules, never a protected field.

The model's parts live in their own modules: comparisons.py (levels), blocking.py (rules), budget.py (the pair
budget), dialect.py (SQL for another engine) and training.py (unsupervised training).
"""

from __future__ import annotations

import json
from typing import Any

from joinedup.link.blocking import blocking_rules
from joinedup.link.comparisons import COMPARISONS
from joinedup.link.errors import LinkError
from joinedup.standard import PROTECTED_FIELDS


def settings_dict(avail: list[str], names_alone: bool = False) -> dict[str, Any]:
    """Splink settings (dedupe over one table that holds every source) for the available comparisons."""
    comps = []
    for name in avail:
        _, levels = COMPARISONS[name]
        comps.append({
            "output_column_name": name,
            "comparison_description": name,
            "comparison_levels": [
                {"sql_condition": lv.sql, "label_for_charts": lv.label, "is_null_level": lv.null,
                 **({"m_probability": lv.m} if lv.m is not None else {}),
                 **({"u_probability": lv.u} if lv.u is not None else {}),
                 **({"tf_adjustment_column": lv.tf, "tf_adjustment_weight": 1.0} if lv.tf else {})}
                for lv in levels
            ],
        })
    s = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comps,
        "blocking_rules_to_generate_predictions": blocking_rules(avail, names_alone),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "probability_two_random_records_match": 1e-4,
    }
    assert_no_protected(s)
    return s


def assert_no_protected(settings: dict[str, Any]) -> None:
    """Raise if any protected (aggregate-only) field is named anywhere in the settings."""
    text = json.dumps(settings).lower()
    bad = sorted(f for f in PROTECTED_FIELDS | {"religion"} if f in text)
    if bad:
        raise LinkError(f"protected fields must not be used in linkage: {', '.join(bad)}")
