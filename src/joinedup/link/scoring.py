"""Score new records against known ones with a saved model (used by match and incremental linking)."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from joinedup.link import core
from joinedup.link.engine import db_api, load_table


def _linker(settings: dict[str, Any], known: pd.DataFrame, tf: dict[str, pd.DataFrame], engine: str):
    from splink import Linker

    api = db_api(engine)
    known_sdf = load_table(api, "link_known", core.to_arrow(known))
    s = copy.deepcopy(settings)
    s.pop("linker_uid", None)
    linker = Linker(known_sdf, s, log_level=None)
    for col, df in tf.items():
        # term frequencies come from the whole warehouse, not from the few records being scored
        linker.table_management.register_term_frequency_lookup(api.register(df, dataset_display_name=f"tf_{col}"), col)
    return api, linker, known_sdf


def score_between(settings: dict[str, Any], new: pd.DataFrame, known: pd.DataFrame,
                  tf: dict[str, pd.DataFrame], *, engine: str = "duckdb", blocked: bool = True,
                  within_new: bool = False, min_probability: float = core.KEEP_PAIRS_FROM) -> pd.DataFrame:
    """Pairs (uid_l new, uid_r known) with probability and explanation; blocked by the model's rules or all-vs-all."""
    if new.empty or known.empty:
        return pd.DataFrame(columns=["uid_l", "uid_r", "match_probability", "match_weight", "explanation"])
    api, linker, known_sdf = _linker(settings, known, tf, engine)
    new_sdf = load_table(api, "link_new", core.to_arrow(new))
    if blocked:
        pred = linker.inference.predict_between(new_sdf, known_sdf, threshold_match_probability=min_probability,
                                                warning_mode="never").as_pandas_dataframe()
    else:
        pred = linker.inference.score_pairs(new_sdf, known_sdf).as_pandas_dataframe()
        pred = pred[pred["match_probability"] >= min_probability]
    frames = [pred]
    if within_new and len(new) > 1:
        frames.append(linker.inference.predict_within(new_sdf, threshold_match_probability=min_probability,
                                                      warning_mode="never").as_pandas_dataframe())
    pred = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else pred
    return core._pairs_frame(pred, settings) if len(pred) else pd.DataFrame(
        columns=["uid_l", "uid_r", "match_probability", "match_weight", "explanation"])
