"""Hand-computed values for the estimates: Wilson intervals, bounds, ratios and a profile's rows."""

from __future__ import annotations

import math

import pytest

from joinedup.stats.methods import completeness, ratio, share_bounds, wilson
from joinedup.stats.tables import X, Settings, profile


def test_wilson_by_hand():
    # k=10, n=20, z=1.96: centre 0.5, half-width 1.96*sqrt(0.0125 + 0.0024)/1.19208 = 0.20070
    lo, hi = wilson(10, 20)
    assert lo == pytest.approx(0.29930, abs=1e-4) and hi == pytest.approx(0.70070, abs=1e-4)
    # k=0: lower bound 0, upper z^2/n / (1 + z^2/n) = 0.38415/1.38415
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-4)
    # k=n is the mirror image
    lo, hi = wilson(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(1 - 0.27753, abs=1e-4)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_bounds_ratio_completeness_by_hand():
    b = share_bounds(30, 60, 100)  # 30 of 60 recorded; 40 unknown
    assert (b.share, b.lower, b.upper) == (0.5, 0.3, 0.7)
    assert ratio(0.5, 0.25) == 2.0 and math.isnan(ratio(0.5, None))
    assert completeness(3, 4) == 0.75 and math.isnan(completeness(0, 0))
    with pytest.raises(ValueError):
        share_bounds(5, 4, 10)


BASE = ("England and Wales", {"White": 0.817, "Mixed": 0.029, "Asian": 0.093, "Black": 0.04, "Other": 0.021})
GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]
STATUSES = ["Not stated", "Not recorded", "Not collected"]


def _row(rows, group):
    return next(r for r in rows if r[2] == group)


def test_profile_withholds_shares_below_completeness_but_keeps_bounds():
    counts = {"White": 40, "Asian": 30, "Black": 10, "Other": 20, "Not stated": 20, "Not recorded": 80}
    rows = profile("E&W", "Suspect", counts, GROUPS, STATUSES, BASE, Settings(min_completeness=0.6))
    asian = _row(rows, "Asian")
    # 100 of 200 recorded = 50% < 60%: no share, no ratio, but bounds 30/200 and 130/200
    assert asian[3] == 30 and asian[4] == X and asian[10] == X
    assert (asian[7], asian[8]) == (15.0, 65.0)
    assert (asian[11], asian[12]) == (round(0.15 / 0.093, 2), round(0.65 / 0.093, 2))
    assert asian[13].startswith("Not supported: recorded for only 50%")


def test_profile_shares_intervals_ratios_when_complete_enough():
    counts = {"White": 40, "Asian": 30, "Black": 10, "Other": 20, "Not stated": 20, "Not recorded": 80}
    rows = profile("E&W", "Suspect", counts, GROUPS, STATUSES, BASE, Settings(min_completeness=0.4))
    asian = _row(rows, "Asian")
    lo, hi = wilson(30, 100)
    assert asian[4] == 30.0 and (asian[5], asian[6]) == (round(100 * lo, 1), round(100 * hi, 1))
    assert asian[9] == 9.3 and asian[10] == round(0.30 / 0.093, 2)
    assert _row(rows, "Recorded (any group)")[3] == 100 and _row(rows, "Total")[3] == 200
    # Mixed is 0: shown (a zero is not disclosive), its share 0
    assert _row(rows, "Mixed")[3] == 0 and _row(rows, "Mixed")[4] == 0.0


def test_profile_suppresses_small_group_and_a_partner():
    counts = {"White": 40, "Asian": 3, "Black": 10, "Other": 20, "Not recorded": 20}
    rows = profile("E&W", "Victim", counts, GROUPS, STATUSES, BASE, Settings())
    hidden = [r[2] for r in rows if r[3] == "[c]"]
    assert "Asian" in hidden and len(hidden) >= 2  # a lone hidden group would be recorded minus the rest
    assert all(v == "[c]" for v in _row(rows, "Asian")[4:9])


def test_baseline_prefers_area_and_sex_then_falls_back():
    from joinedup.stats.baseline import baseline, shipped

    rows = tuple({"area_code": "F01", "area_name": "Force one", "age_band": "all ages", "sex": sx, "group": g,
                  "percent": p} for sx, g, p in [("male", "Asian", "20"), ("all", "Asian", "15")]) + shipped()
    assert baseline("F01", rows, "male") == ("Force one, male", {"Asian": 0.20})
    assert baseline("F01", rows, "female") == ("Force one (all sexes)", {"Asian": 0.15})
    name, share = baseline("F02", rows, "male")
    assert name == "England and Wales (all sexes)" and share["Asian"] == pytest.approx(0.093)
    assert baseline()[0] == "England and Wales"


def test_age_band_baseline_is_labelled_and_falls_back_to_all_ages():
    from joinedup.stats.baseline import AGE_BANDS, NATIONALITY_GROUPS, age_band, baseline

    assert [age_band(a) for a in (0, 15.9, 16, 24.99, 30, 49, 64, 90)] == \
        ["0 to 15", "0 to 15", "16 to 24", "16 to 24", "25 to 34", "35 to 49", "50 to 64", "65 and over"]
    assert age_band(None) is None
    name, share = baseline(None, None, "male", "0 to 15")
    # the shipped age bands are synthetic, and the name used on every row says so; no sex-specific rows are shipped
    assert "SYNTHETIC" in name and "aged 0 to 15" in name and name.endswith("(all sexes)")
    assert sum(share.values()) == pytest.approx(1.0) and share["Mixed"] > 0.029  # the young are more often Mixed
    # the synthetic bands average back to the real all-ages Census 2021 shares (population-weighted, within 0.2 points)
    weights = dict(zip(AGE_BANDS, (18.5, 10.5, 13.6, 19.3, 19.5, 18.6)))
    real = baseline()[1]
    for g, v in real.items():
        avg = sum(w * baseline(None, None, "all", b)[1][g] for b, w in weights.items()) / 100
        assert avg == pytest.approx(v, abs=0.002), g
    name, share = baseline("F09", None, "all", "0 to 15", NATIONALITY_GROUPS)
    assert name == "England and Wales (Census 2021 passports held) (all ages)"
    assert share == {"British": pytest.approx(0.901), "Other nationality": pytest.approx(0.099)}


def test_bad_baseline_age_band_is_one_line(tmp_path):
    from joinedup.errors import UserError
    from joinedup.stats.baseline import load

    f = tmp_path / "b.csv"
    f.write_text("area_code,area_name,age_band,sex,group,percent\nF01,F,18 to 30,all,White,80\n")
    with pytest.raises(UserError, match="row 2: age_band '18 to 30'"):
        load(f)


def test_statement_hidden_when_it_would_reveal_a_suppressed_count():
    # 3 people, all recorded: every count is small, so the completeness in words must not show either
    rows = profile("E&W", "Victim", {"White": 2, "Asian": 1}, GROUPS, STATUSES, BASE, Settings())
    assert {r[13] for r in rows} == {"[c]"}
