"""Protected fields (ethnicity, nationality, religion) are never used by linkage."""

import numpy as np

from joinedup.link import model
from joinedup.link.comparisons import available
from joinedup.link.core import link_frame
from joinedup.link.features import LINK_FIELDS, features
from joinedup.standard import PROTECTED_FIELDS


def test_settings_and_features_name_no_protected_field(people):
    feat = features(people)
    assert not (set(feat.columns) & PROTECTED_FIELDS)
    assert not (set(LINK_FIELDS) & PROTECTED_FIELDS)
    s = model.settings_dict(available(feat))
    model.assert_no_protected(s)  # raises if any protected name appears anywhere in the settings


def test_output_identical_when_protected_columns_shuffled_or_nulled(people):
    small = people[people["true_id"].astype(int) < 120].reset_index(drop=True)
    base = link_frame(small, seed=3).persons[["unique_id", "person_id", "match_probability"]]
    rng = np.random.default_rng(0)
    shuffled = small.copy()
    for c in PROTECTED_FIELDS:
        shuffled[c] = rng.permutation(shuffled[c].to_numpy())
    nulled = small.copy()
    for c in PROTECTED_FIELDS:
        nulled[c] = None
    for variant in (shuffled, nulled):
        out = link_frame(variant, seed=3).persons[["unique_id", "person_id", "match_probability"]]
        assert out.equals(base)
