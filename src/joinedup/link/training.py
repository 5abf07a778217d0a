"""Unsupervised training: lambda from deterministic rules, u by random sampling, m by EM, with floors and ceilings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from joinedup.link.comparisons import COMPARISONS
from joinedup.link.dialect import to_dialect

log = logging.getLogger(__name__)


# Training budgets, fixed so that training costs the same at 2,000 and 1M records. u: 3e5 random pairs
# (about 775 sampled records) estimate the common levels to a few percent; rare levels keep their priors.
# EM: 2.5e5 blocked pairs per session. Larger budgets cost three times the training time for no real gain in
# F1 (docs/linkage.md, "Why the code is shaped this way").
U_PAIRS = 300_000
EM_PAIRS = 2.5e5


def train(make_linker: Callable[[dict[str, Any]], Any], settings: dict[str, Any], avail: list[str],
          n_records: int, seed: int = 42, household: bool = False, dialect: str = "duckdb") -> tuple[Any, dict[str, Any]]:
    """Unsupervised training: lambda from deterministic rules, u by random sampling, m by EM on two blocks."""
    a = set(avail)
    if "location" in a:
        a |= {"postcode", "address"}
    linker = make_linker(settings)
    det = []
    if "nhs_number" in a:
        det.append('l."nhs_number" = r."nhs_number"')
    strong = [c for c in ("forename", "surname", "dob", "postcode") if c in a]
    if len(strong) >= 3:
        det.append(" AND ".join(f'l."{c}" = r."{c}"' for c in strong[:3]))
    if det:
        try:
            linker.training.estimate_probability_two_random_records_match([to_dialect(r, dialect) for r in det], recall=0.7)
        except Exception as e:  # noqa: BLE001
            log.warning("prior match probability left at its default: %s", e)
        # on tiny files the estimate can reach 1 (every pair "matches"), which breaks the log-odds
        linker = make_linker(floor_parameters(linker.misc.save_model_to_json(), household))
    # u needs only non-matches; random pairs almost all are. One pass over at most U_PAIRS pairs:
    # Splink's default keeps sampling until every level has 100 observations, and a rare level
    # (names swapped, u ~ 1e-5) never gets there, so it re-ran the whole sample in 10 chunks per
    # comparison, even on small files. Rare levels keep their priors instead.
    max_pairs = min(U_PAIRS, max(1e5, n_records * (n_records - 1) / 2))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed, min_count_per_level=None,
                                                     num_chunks=1)
    # EM on two blocks that each leave the other comparisons free to be learnt; sampled for big data.
    em_rules = []
    # Identifier-anchored training: pairs that share an NHS number are (almost) all one person, so
    # the m of dob, names and location learnt there are not polluted by relatives. On the names block
    # EM mistakes a mother and daughter with one name and one home for a match and learns that
    # matches often disagree on dob (m(dob disagree) 0.05 instead of the true 0.003).
    anchored = "nhs_number" in a and "dob" in a
    if anchored:
        em_rules.append('l."nhs_number" = r."nhs_number"')
    if "dob" in a:
        em_rules.append('l."dob" = r."dob"')
    # With an anchor the names block is not run at all: dob is kept off it (above), names are named in it, so
    # it would train only location, phone and sex, and there it learns them wrongly at scale. Its pairs share a
    # (common) name, true matches are a shrinking share of them as the data grows (N against N^2), and at 1M
    # records EM's "match" class stopped being one person: m(same address and postcode) 0.006 (true 0.72),
    # m(phone in common) 0.008 (true 0.996). The NHS and dob blocks learn both within 0.01 of the truth.
    if {"forename", "surname"} <= a and not anchored:
        # naming forename/surname in the rule tells Splink not to train those comparisons on this block
        # (it would learn from pairs chosen for agreeing names, and inflate their weights)
        em_rules.append('l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1" AND '
                        'substr(l."forename",1,1) = substr(r."forename",1,1) AND substr(l."surname",1,1) = substr(r."surname",1,1)')
    if "postcode" in a and len(em_rules) < 2:
        em_rules.append('l."postcode" = r."postcode"')
    for rule in em_rules:
        before = floor_parameters(linker.misc.save_model_to_json(), household)
        linker = make_linker(before)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                to_dialect(rule, dialect), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS,
                record_sample_proportion=min(1.0, 50_000 / max(n_records, 1)))
        except Exception as e:  # noqa: BLE001
            # a degenerate block (tiny or sparse data) must not stop linkage; Splink leaves the settings
            # half-edited after a failed session, so start again from the model as it was before it
            log.warning("EM on %s skipped: %s", rule, e)
            linker = make_linker(before)
    final = floor_parameters(linker.misc.save_model_to_json(), household)
    return make_linker(final), final


M_FLOOR, U_FLOOR = 1e-4, 1e-7


def floor_parameters(trained: dict[str, Any], household: bool = False) -> dict[str, Any]:
    """Give every level a usable m and u: EM can drive a level's m to 0 on small or skewed data, which
    would make one disagreement veto a match outright (weight -inf); untrained levels get small values."""
    trained = json.loads(json.dumps(trained))
    trained.pop("linker_uid", None)
    lam = trained.get("probability_two_random_records_match")
    trained["probability_two_random_records_match"] = min(max(lam if isinstance(lam, (int, float)) else 1e-4, 1e-9), 0.5)
    for comp in trained["comparisons"]:
        # ceilings only on household data, where EM is confounded by relatives (see Level.m_max)
        ceilings = {lv.label: lv.m_max for lv in COMPARISONS.get(comp["output_column_name"], ((), ()))[1]} if household else {}
        for lv in comp["comparison_levels"]:
            if lv.get("is_null_level"):
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            lv["m_probability"] = max(m if isinstance(m, (int, float)) else M_FLOOR * 10, M_FLOOR)
            if ceilings.get(lv.get("label_for_charts")) is not None:
                lv["m_probability"] = min(lv["m_probability"], ceilings[lv["label_for_charts"]])
            lv["u_probability"] = max(u if isinstance(u, (int, float)) else U_FLOOR * 10, U_FLOOR)
    return trained
