"""Run the whole linkage on a frame of person records: features, training, prediction, explanation, clusters."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from joinedup.link import DEFAULT_THRESHOLD
from joinedup.link import cluster as clu
from joinedup.link import model
from joinedup.link.blocking import names_block_affordable
from joinedup.link.budget import fit_blocking
from joinedup.link.comparisons import available, households
from joinedup.link.dialect import in_dialect
from joinedup.link.training import train
from joinedup.warehouse.sql import literal
from joinedup.link.engine import db_api, duckdb_connection, is_duckdb, load_table
from joinedup.link.errors import LinkError
from joinedup.link.features import LINK_FIELDS, feature_table

log = logging.getLogger(__name__)

KEEP_PAIRS_FROM = 0.5    # pairs kept for review/explanation (below the link threshold too)
PREDICT_PAIRS_PER_CHUNK = 60_000_000  # candidate pairs per predict chunk (memory against time: see predict below)

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



def explanation_sql(settings: dict[str, Any], alias: str = "", columns: Any = None) -> str:
    """SQL giving the same JSON as explain() from a predictions table's mw_* columns (no Python loop per pair);
    `columns` are the table's column names (by default: mw_tf_adj_* for the term-frequency comparisons)."""
    a = f"{alias}." if alias else ""
    parts = []
    for name, levels in level_weights(settings).items():
        # the first level whose weight matches, as _label_for does
        label = " ".join(f"WHEN abs({a}mw_{name} - {w!r}) < 1e-6 THEN {literal(lab)}" for w, lab in levels)
        adj = f" + coalesce(CASE WHEN isnan({a}mw_tf_adj_{name}) THEN 0 ELSE {a}mw_tf_adj_{name} END, 0)" \
            if (f"mw_tf_adj_{name}" in columns if columns is not None else
                any(c.get("tf_adjustment_column") for c in _comp(settings, name)["comparison_levels"])) else ""
        parts.append(f"{literal(name)}, json_object('level', CASE {label} ELSE '?' END, "
                     f"'weight', round({a}mw_{name}::DOUBLE{adj}, 2))")
    return f"json_object({', '.join(parts)})::VARCHAR"


def _comp(settings: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in settings["comparisons"] if c["output_column_name"] == name)


def pairs_frame(pred: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    """uid_l, uid_r, match_probability, match_weight, explanation (JSON) from a small predictions frame."""
    pairs = pd.DataFrame({
        "uid_l": pred["unique_id_l"].astype(str), "uid_r": pred["unique_id_r"].astype(str),
        "match_probability": pred["match_probability"].astype(float),
        "match_weight": pred["match_weight"].astype(float),
    })
    pairs["explanation"] = explain(pred, settings) if len(pred) else pd.Series(dtype=object)
    return pairs


_pairs_frame = pairs_frame  # the old private name, still imported by callers outside this package


def model_view(con: Any, feat: str) -> pd.DataFrame:
    """A stand-in for the feature frame that households/available/names_block_affordable read: one row per
    record, each column a 53-bit hash of the feature (NaN when missing), so grouping and null counts are those of
    the real values at 8 bytes a cell, and the records never become Python strings."""
    h = lambda c: f"CASE WHEN {c} IS NULL THEN NULL ELSE (hash({c}) % 9007199254740991)::DOUBLE END AS {c}"  # noqa: E731
    cols = [h(c) for c in ("forename", "surname", "postcode", "address", "phone1", "nhs_number", "sex", "fore_dm1", "sur_dm1")]
    return con.sql(f"SELECT {', '.join(cols)}, TRY_CAST(dob_year AS DOUBLE) AS dob_year FROM {feat}").df()


def _model_inputs(con: Any, feat: str) -> tuple[bool, list[str], bool]:
    view = model_view(con, feat)
    try:
        household = households(view)
        return household, available(view, household=household), names_block_affordable(view)
    except KeyError:
        # a model input reads a column the stand-in lacks: fall back to the real frame (slow at scale, always right)
        log.warning("model inputs need the full feature frame; reading it")
        full = con.sql(f"SELECT * FROM {feat}").df()
        household = households(full)
        return household, available(full, household=household), names_block_affordable(full)


def link_table(api: Any, con: Any, feat: str, *, threshold: float = DEFAULT_THRESHOLD,
               same: list[tuple[str, str]] | None = None, not_same: list[tuple[str, str]] | None = None,
               seed: int = 42, prefix: str = "jl") -> dict[str, Any]:
    """Train, predict, explain and cluster the feature table `feat` (in DuckDB connection con); leaves tables
    {prefix}_pairs (uid_l, uid_r, match_probability, match_weight, explanation) and {prefix}_persons
    (unique_id, source, source_record_id, person_id, cluster_size, match_probability) in con. Returns the
    trained settings, timings and counts. `api` is the Splink database API; for DuckDB it runs on con itself."""
    t: dict[str, float] = {}
    dup = con.sql(f"SELECT unique_id FROM {feat} GROUP BY unique_id HAVING count(*) > 1 LIMIT 1").fetchall()
    if dup:
        raise LinkError(f"record_id is not unique: {dup[0][0]!r} appears more than once")
    n = con.sql(f"SELECT count(*) FROM {feat}").fetchall()[0][0]
    t0 = time.perf_counter()
    household, avail, names_alone = _model_inputs(con, feat)
    if not avail:
        raise LinkError("no linkable field has any values (need at least one of forename, surname, dob, postcode, ...)")
    settings = model.settings_dict(avail, names_alone=names_alone)
    # rules whose blocks grow with the data are narrowed to a pair budget before Splink sees them
    rules, blocking = fit_blocking(con, feat, settings["blocking_rules_to_generate_predictions"], avail, n)
    settings["blocking_rules_to_generate_predictions"] = rules
    key = "unique_id"
    on_con = duckdb_connection(api) is con  # Splink runs on con itself
    if on_con:
        # Splink keys its blocked pairs and joins by the record id: a 64-bit hash of unique_id instead of the
        # "source::record id" text makes those pairs a third of the size and the joins cheaper (10M records:
        # ~100M candidate pairs). A view, so the features are not copied; if two ids ever share a hash, the text is used.
        if con.sql(f"SELECT count(DISTINCT hash(unique_id)) = count(*) FROM {feat}").fetchall()[0][0]:
            # without the text ids and the columns no comparison or rule reads: Splink copies its input once
            con.execute(f"CREATE OR REPLACE VIEW {feat}__keyed AS SELECT hash(unique_id) AS rid, * EXCLUDE "
                        f"(unique_id, source, source_record_id, middle_names, dob_unparsed) FROM {feat}")
            key = "rid"
        sdf = api.register(f"{feat}__keyed" if key == "rid" else feat, dataset_display_name=feat)
    else:  # another engine: hand it the features as arrow
        sdf = load_table(api, feat, con.sql(f"SELECT * FROM {feat}").to_arrow_table())
    from splink import Linker

    t["model_inputs"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    # log_level=None: Splink logs through the "splink" logger without installing its own stderr handler
    settings["unique_id_column_name"] = key
    # the SQL is written for DuckDB; another engine gets it transpiled, and the saved model keeps DuckDB's
    dialect = "duckdb" if is_duckdb(api) else "spark"
    base = json.loads(json.dumps(settings))
    linker, trained = train(lambda s: Linker(sdf, in_dialect(s, base, dialect), log_level=None), settings,
                                  avail, n, seed=seed, household=household, dialect=dialect)
    trained = in_dialect(trained, base, "duckdb")
    trained["unique_id_column_name"] = "unique_id"  # the saved model (match, incremental) reads link_record's unique_id
    t["train"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    # Splink materialises the blocked id pairs, and joins them to the records, before scoring them. Predicting in
    # chunks of the left records bounds that memory, at the price of repeating the blocking joins per chunk
    # (measured at 10M records: docs/linkage.md). Below PREDICT_PAIRS_PER_CHUNK candidate pairs, one chunk.
    cand = sum(r.get("used_pairs", r["pairs"]) for r in blocking if r.get("used", r["rule"]))
    chunks = max(1, math.ceil(cand / PREDICT_PAIRS_PER_CHUNK))
    t["predict_chunks"] = float(chunks)
    pred_sdf = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_FROM,
                                        **({"num_chunks_left": chunks, "num_chunks_right": 1} if chunks > 1 else {}))
    if on_con:
        pred = pred_sdf.physical_name
    else:
        con.register("__jl_pred", pred_sdf.as_pandas_dataframe())
        pred = "__jl_pred"
    t["predict"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    if key == "rid":  # back to the text ids, smaller first as Splink orders them
        ids = f"(SELECT hash(unique_id) AS rid, unique_id::VARCHAR AS u FROM {feat})"
        uid = "least(a.u, b.u) AS uid_l, greatest(a.u, b.u) AS uid_r"
        src = f"{pred} p JOIN {ids} a ON a.rid = p.rid_l JOIN {ids} b ON b.rid = p.rid_r"
    else:
        uid, src = "p.unique_id_l::VARCHAR AS uid_l, p.unique_id_r::VARCHAR AS uid_r", f"{pred} p"
    cols = con.sql(f"SELECT * FROM {pred} LIMIT 0").columns
    con.execute(f"""CREATE OR REPLACE TABLE {prefix}_pairs AS SELECT {uid},
        p.match_probability::DOUBLE AS match_probability, p.match_weight::DOUBLE AS match_weight,
        {explanation_sql(trained, 'p', cols)} AS explanation FROM {src}""")
    if pred == "__jl_pred":
        con.unregister(pred)
    else:
        pred_sdf.drop_table_from_database_and_remove_from_cache()
    t["explain"] = time.perf_counter() - t3
    t4 = time.perf_counter()
    clu.cluster_table(con, feat, f"{prefix}_pairs", f"{prefix}_persons", threshold, same or [], not_same or [])
    t["cluster"] = time.perf_counter() - t4
    t["household"] = float(household)
    con.execute(f"DROP VIEW IF EXISTS {feat}__keyed")
    return {"settings": trained, "timings": t, "records": n, "blocking": blocking}


def link_frame(records: pd.DataFrame, *, engine: str = "duckdb", threshold: float = DEFAULT_THRESHOLD,
               same: list[tuple[str, str]] | None = None, not_same: list[tuple[str, str]] | None = None,
               seed: int = 42) -> LinkResult:
    """Link a frame of person records (needs unique_id, source, source_record_id + any LINK_FIELDS)."""
    t0 = time.perf_counter()
    api = db_api(engine)
    con = duckdb_connection(api) if is_duckdb(api) else duckdb.connect()
    keep = [c for c in ("unique_id", "source", "source_record_id", *LINK_FIELDS) if c in records.columns]
    src = records[keep].reset_index(drop=True)
    for c in ("source", "source_record_id"):
        if c not in src.columns:
            src[c] = None
    con.register("__jl_src", src)
    feature_table(con, "__jl_src", "link_input")
    con.unregister("__jl_src")
    tf = time.perf_counter() - t0
    r = link_table(api, con, "link_input", threshold=threshold, same=same, not_same=not_same, seed=seed)
    persons = con.sql("SELECT * FROM jl_persons").df().set_index("unique_id").loc[src["unique_id"].astype(str)].reset_index()
    pairs = con.sql("SELECT * FROM jl_pairs").df()
    feat = con.sql("SELECT * FROM link_input").df()
    t = {"features": tf, **r["timings"]}
    t["total"] = time.perf_counter() - t0
    return LinkResult(persons=persons, pairs=pairs, model_json=r["settings"], timings=t, features=feat)
