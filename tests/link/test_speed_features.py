"""The fast paths agree with the per-record ones: SQL features, SQL explanations, SQL person ids of singletons."""

import math

import duckdb
import numpy as np
import pandas as pd

from joinedup.link import cluster as clu
from joinedup.link.core import explain, explanation_sql, link_frame
from joinedup.link.features import FEATURE_COLUMNS, LIST_COLUMNS, feature_row, features


def _norm(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return list(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def test_feature_table_equals_feature_row(people):
    odd = pd.DataFrame([
        {"unique_id": "a::1", "source": "a", "source_record_id": "1", "forename": "Zoë-Ann", "surname": "O'Brien Smith",
         "aliases": "Zoe; ZA", "middle_names": "Mary", "dob": "03/04/2010", "sex": " f ", "postcode": "bd1 3xx",
         "address": " 12  high  street ", "phones": "07700 900123|0161", "nhs_number": "943 476 5919"},
        {"unique_id": "a::2", "source": "a", "source_record_id": "2", "forename": None, "surname": "", "dob": "2010-04",
         "dob_precision": "month", "postcode": "2612", "nhs_number": "12"},
        {"unique_id": "a::3", "source": "a", "source_record_id": "3", "dob": "not a date"},
    ])
    for df in (people, odd):
        feat = features(df)
        assert list(feat.columns) == list(FEATURE_COLUMNS)
        assert feat["unique_id"].tolist() == df["unique_id"].tolist()  # input order kept
        for i, rec in enumerate(df.to_dict("records")):
            row = feature_row(rec)
            for c in FEATURE_COLUMNS:
                assert _norm(feat[c].iloc[i]) == _norm(row[c]), (c, rec)
        for c in LIST_COLUMNS:  # lists are never NULL, so list_has_any etc. never see one
            assert all(isinstance(v, list) for v in feat[c])
    r = feature_row(odd.iloc[0].to_dict())
    assert r["forename"] == "ZOE ANN" and r["dob"] == "2010-04-03" and r["postcode_sector"] == "BD1 3"
    assert r["phones"] == ["07700900123"] and r["nhs_number"] == "9434765919" and r["sex"] == "F"


def test_sql_explanations_and_singleton_ids_match_python(people):
    res = link_frame(people, seed=3)
    settings = res.model_json
    # a predictions table whose mw_* are each comparison's level weights (plus an off-grid value)
    from joinedup.link.core import level_weights

    lw = level_weights(settings)
    rows = []
    for k in range(max(len(v) for v in lw.values()) + 1):
        row = {"unique_id_l": f"x::{k}", "unique_id_r": "y::1", "match_probability": 0.9, "match_weight": 3.0}
        for name, levels in lw.items():
            row[f"mw_{name}"] = levels[k][0] if k < len(levels) else 0.123
            row[f"mw_tf_adj_{name}"] = 0.5 if k % 2 else float("nan")
        rows.append(row)
    pred = pd.DataFrame(rows)
    con = duckdb.connect()
    con.register("pred", pred)
    got = [r[0] for r in con.execute(f"SELECT {explanation_sql(settings, 'p', list(pred.columns))} FROM pred p").fetchall()]
    import json
    assert [json.loads(g) for g in got] == [json.loads(e) for e in explain(pred, settings)]
    single = res.persons[res.persons["cluster_size"] == 1].head(20)
    for s, r, p in zip(single["source"], single["source_record_id"], single["person_id"]):
        assert p == clu.person_id([(s, r)])
    # linked records share a person and report their best link inside it
    multi = res.persons[res.persons["cluster_size"] > 1]
    assert (multi["match_probability"] >= 0.8).all()
