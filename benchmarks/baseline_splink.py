"""The plain-Splink baseline the linkage benchmark compares joinedup against.

A textbook Splink 5 dedupe with the library's own comparisons and nothing from joinedup (no name variants, no
phonetic keys, no day/month-swap level, no address or location comparison, no anti-chaining):

- comparisons: `NameComparison("forename")`, `NameComparison("surname")`,
  `DateOfBirthComparison("dob", input_is_string=False)`, `ExactMatch("postcode")`;
- blocking: forename+surname, dob, postcode+surname, surname+birth year;
- lambda from deterministic rules (forename+surname+dob, recall 0.7), u by random sampling, m by EM on
  two blocks (dob; forename+surname). Training budget is the same as joinedup's: u from up to 2M random
  pairs, EM sampled to about 2M pairs per block (`max_pairs`);
- pairs at p >= 0.8 clustered with `linker.clustering.cluster_pairwise_predictions_at_threshold`.

The only preparation is what any Splink user would do: names trimmed and upper-cased, empty strings as null,
dob as a DATE.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

THRESHOLD = 0.8
COLUMNS = ("forename", "surname", "dob", "postcode")


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"unique_id": df["unique_id"].astype(str).values})
    for c in ("forename", "surname", "postcode"):
        s = df[c] if c in df else pd.Series([None] * len(df))
        s = s.astype("string").str.strip().str.upper()
        out[c] = s.where(s.notna() & (s != ""), None).astype(object).values
    dob = df["dob"] if "dob" in df else pd.Series([None] * len(df))
    out["dob"] = pd.to_datetime(dob, errors="coerce").dt.date.values
    out["dob_year"] = pd.to_datetime(dob, errors="coerce").dt.year.astype("Int64").values
    return out


def settings(max_pairs: float | None = 2e6) -> Any:
    """The Splink SettingsCreator of the baseline."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename", "surname"),
            block_on("dob"),
            block_on("postcode", "surname"),
            block_on("surname", "dob_year"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def plain_splink(df: pd.DataFrame, *, threshold: float = THRESHOLD, seed: int = 42, em_max_pairs: float | None = 2e6,
                 u_max_pairs: float = 2e6, timings: dict[str, float] | None = None) -> pd.DataFrame:
    """Cluster the records of `df` (unique_id, forename, surname, dob, postcode) with plain Splink.

    Returns a frame (unique_id, cluster_id) with one row per input row. If `timings` is given it is filled
    with seconds per step: prepare, train_lambda, train_u, train_em, predict, cluster, total.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    t = timings if timings is not None else {}
    t0 = time.perf_counter()
    data = _prepare(df)
    if data["unique_id"].duplicated().any():
        raise ValueError("unique_id is not unique")
    api = DuckDBAPI(connection=duckdb.connect())
    sdf = api.register(data, dataset_display_name="plain")
    linker = Linker(sdf, settings(), log_level=None)
    t["prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=0.7)
    t["train_lambda"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    n = len(data)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(u_max_pairs, max(1e4, n * (n - 1) / 2)), seed=seed)
    t["train_u"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    rsp = min(1.0, 50_000 / max(n, 1))
    for rule in (block_on("dob"), block_on("forename", "surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=em_max_pairs, record_sample_proportion=rsp)
    t["train_em"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=threshold)
    t["predict"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold).as_pandas_dataframe()
    t["cluster"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    out = pd.DataFrame({"unique_id": clusters["unique_id"].astype(str), "cluster_id": clusters["cluster_id"].astype(str)})
    missing = set(data["unique_id"]) - set(out["unique_id"])
    if missing:  # Splink returns every input record; keep the contract explicit all the same
        out = pd.concat([out, pd.DataFrame({"unique_id": sorted(missing), "cluster_id": sorted(missing)})])
    return out.reset_index(drop=True)
