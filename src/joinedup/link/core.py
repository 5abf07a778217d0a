"""Run the whole linkage on a frame of person records: features, training, prediction, explanation, clusters."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from joinedup.link import cluster as clu
from joinedup.link import model
from joinedup.link.engine import db_api, load_table
from joinedup.link.features import features

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.8  # match probability at which two records are linked (FEBRL: precision 1.0 at 0.6-0.9)
KEEP_PAIRS_FROM = 0.5    # pairs kept for review/explanation (below the link threshold too)

_LIST_COLS = ("fore_groups", "sur_groups", "fore_dm", "sur_dm", "sur_tokens", "alias_tokens", "phones", "address_tokens")


def to_arrow(feat: pd.DataFrame) -> pa.Table:
    """The feature frame as arrow with explicit types (list columns stay VARCHAR[] even when empty)."""
    cols = {}
    for c in feat.columns:
        if c in _LIST_COLS:
            cols[c] = pa.array(list(feat[c]), type=pa.list_(pa.string()))
        elif c == "dob_unparsed":
            cols[c] = pa.array(feat[c].astype(bool).tolist(), type=pa.bool_())
        else:
            cols[c] = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                                for v in feat[c]], type=pa.string())
    return pa.table(cols)


@dataclass
class LinkResult:
    """Everything one run produced: record -> person, the pairs with explanations, the model, timings."""

    persons: pd.DataFrame          # unique_id, source, source_record_id, person_id, cluster_size, match_probability
    pairs: pd.DataFrame            # uid_l, uid_r, match_probability, match_weight, explanation (JSON)
    model_json: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    features: pd.DataFrame | None = None


def level_weights(settings: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """comparison -> [(level match weight, label)] read from the trained settings."""
    out = {}
    for comp in settings["comparisons"]:
        levels = []
        for lv in comp["comparison_levels"]:
            label = lv.get("label_for_charts", "")
            if lv.get("is_null_level"):
                levels.append((0.0, label))
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            w = math.log2(m / u) if m and u else 0.0
            levels.append((w, label))
        out[comp["output_column_name"]] = levels
    return out


def _label_for(levels: list[tuple[float, str]], w: float) -> str:
    # Splink 5 returns each comparison's weight (mw_*) but not its level unless every input column is
    # retained too, so the level is recovered from its weight: the first level whose weight matches.
    for lw, label in levels:
        if abs(lw - w) < 1e-6:
            return label
    return "?"


def explain(pred: pd.DataFrame, settings: dict[str, Any]) -> pd.Series:
    """One JSON explanation per scored pair: each comparison's level and its match-weight contribution."""
    lw = level_weights(settings)
    parts = []
    for name, levels in lw.items():
        mw = pred[f"mw_{name}"].astype(float).to_numpy()
        tf = pred[f"mw_tf_adj_{name}"].astype(float).to_numpy() if f"mw_tf_adj_{name}" in pred else None
        parts.append((name, levels, mw, tf))
    out = []
    cache: dict[tuple[str, float], str] = {}
    for i in range(len(pred)):
        d = {}
        for name, levels, mw, tf in parts:
            w = float(mw[i])
            key = (name, round(w, 9))
            if key not in cache:
                cache[key] = _label_for(levels, w)
            adj = float(tf[i]) if tf is not None and not math.isnan(tf[i]) else 0.0
            d[name] = {"level": cache[key], "weight": round(w + adj, 2)}
        out.append(json.dumps(d, separators=(",", ":")))
    return pd.Series(out, index=pred.index)


def _pairs_frame(pred: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    pairs = pd.DataFrame({
        "uid_l": pred["unique_id_l"].astype(str), "uid_r": pred["unique_id_r"].astype(str),
        "match_probability": pred["match_probability"].astype(float),
        "match_weight": pred["match_weight"].astype(float),
    })
    pairs["explanation"] = explain(pred, settings) if len(pred) else pd.Series(dtype=object)
    return pairs


def link_frame(records: pd.DataFrame, *, engine: str = "duckdb", threshold: float = DEFAULT_THRESHOLD,
               same: list[tuple[str, str]] | None = None, not_same: list[tuple[str, str]] | None = None,
               seed: int = 42) -> LinkResult:
    """Link a frame of person records (needs unique_id, source, source_record_id + any LINK_FIELDS)."""
    t = {}
    t0 = time.perf_counter()
    feat = features(records)
    t["features"] = time.perf_counter() - t0
    if feat["unique_id"].duplicated().any():
        dup = feat.loc[feat["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise ValueError(f"record_id is not unique: {dup!r} appears more than once")
    household = model.households(feat)
    avail = model.available(feat, household=household)
    if not avail:
        raise ValueError("no linkable field has any values (need at least one of forename, surname, dob, postcode, ...)")
    settings = model.settings_dict(avail, names_alone=model.names_block_affordable(feat))
    api = db_api(engine)
    sdf = load_table(api, "link_input", to_arrow(feat))
    from splink import Linker

    # log_level=None: Splink logs through the "splink" logger without installing its own stderr handler
    linker = None
    t1 = time.perf_counter()
    linker, trained = model.train(lambda s: Linker(sdf, s, log_level=None), settings, avail, len(feat), seed=seed,
                                   household=household)
    t["train"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    pred_sdf = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_FROM)
    pred = pred_sdf.as_pandas_dataframe()
    t["predict"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    pairs = _pairs_frame(pred, trained)
    result = assign(feat, pairs, threshold, same or [], not_same or [])
    t["cluster"] = time.perf_counter() - t3
    t["total"] = time.perf_counter() - t0
    t["household"] = float(household)
    return LinkResult(persons=result, pairs=pairs, model_json=trained, timings=t, features=feat)


def assign(feat: pd.DataFrame, pairs: pd.DataFrame, threshold: float,
           same: list[tuple[str, str]], not_same: list[tuple[str, str]]) -> pd.DataFrame:
    """Cluster and give every record its person_id, cluster size and best link probability."""
    nodes = feat["unique_id"].tolist()
    edges = list(zip(pairs["uid_l"], pairs["uid_r"], pairs["match_probability"]))
    comps = clu.cluster(nodes, edges, threshold, same, not_same)
    key = dict(zip(feat["unique_id"], zip(feat["source"].fillna(""), feat["source_record_id"].fillna(""))))
    pid, size = {}, {}
    for c in comps:
        p = clu.person_id(key[u] for u in c)
        for u in c:
            pid[u], size[u] = p, len(c)
    best: dict[str, float] = {}
    for a, b, p in edges:
        if pid[a] == pid[b]:
            best[a] = max(best.get(a, 0.0), p)
            best[b] = max(best.get(b, 0.0), p)
    for a, b in same:  # a person said so
        if a in pid and pid[a] == pid.get(b):
            best[a] = best[b] = 1.0
    return pd.DataFrame({
        "unique_id": nodes,
        "source": feat["source"], "source_record_id": feat["source_record_id"],
        "person_id": [pid[u] for u in nodes],
        "cluster_size": [size[u] for u in nodes],
        # a singleton has no link: report 1.0 for "this record is this person" rather than a blank
        "match_probability": [round(best.get(u, 1.0 if size[u] == 1 else threshold), 6) for u in nodes],
    })
