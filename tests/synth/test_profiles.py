"""The realistic and enriched profiles: calibration to published figures, the structure truth says is there,
and an enriched world that keeps enough cases to measure (and says by how much it over-samples)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joinedup.synth import generate
from joinedup.synth.calibration import TARGETS, measure
from joinedup.synth.profiles import ENRICHED_FACTOR


def truth(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / "truth" / f"{name}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 100,000 people: the size the calibration bands are set for (about 4 s to generate)
    out = tmp_path_factory.mktemp("r") / "world"
    generate(out, 100_000, seed=99, profile="realistic")
    return out


@pytest.fixture(scope="module")
def enriched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e") / "world"
    generate(out, 20_000, seed=99, profile="enriched")
    return out


def test_realistic_world_lands_within_every_published_band(realistic: Path) -> None:
    m = measure(realistic)
    off = {t.key: m[t.key] for t in TARGETS if not t.low <= m[t.key] <= t.high}
    assert not off, off
    # the acceptance contract's densities, and the written calibration table agrees with a fresh measurement
    assert 1 <= m["groups_per_100k"] <= 30
    assert 0.001 <= m["exploited_share_of_children"] <= 0.02
    rows = {r["rate"]: r for r in truth(realistic, "calibration")}
    assert all(rows[t.key]["within"] == "1" for t in TARGETS)
    assert float(rows["charge_rate"]["measured"]) == pytest.approx(m["charge_rate"], abs=1e-4)


def test_realistic_ethnicity_recording_is_graded_not_bimodal(tmp_path: Path) -> None:
    generate(tmp_path / "w", 8000, seed=3, forces=8, profile="realistic")
    rates = sorted(int(r["ethnicity_recorded"]) / int(r["suspect_records"]) for r in truth(tmp_path / "w", "recording")
                   if int(r["suspect_records"]) >= 30)
    assert len(rates) >= 5
    assert rates[-1] - rates[0] >= 0.2                              # forces differ ...
    assert max(b - a for a, b in zip(rates, rates[1:])) < 0.2       # ... by degrees, with no gap splitting them in two
    assert 0.2 <= sum(rates) / len(rates) <= 0.45


def test_enriched_keeps_enough_cases_and_says_how_much_it_oversamples(enriched: Path) -> None:
    offenders = defaultdict(int)
    for r in truth(enriched, "groups"):
        offenders[r["true_group_id"]] += r["role"] == "offender"
    assert sum(v >= 2 for v in offenders.values()) >= 15
    kids = truth(enriched, "children")
    assert sum(k["exploited"] == "1" and "2005" <= k["first_harm_date"][:4] <= "2021" for k in kids) >= 30
    assert truth(enriched, "downgrades") and truth(enriched, "disregards")
    summary = json.loads((enriched / "synth.json").read_text())
    assert summary["profile"] == "enriched" and summary["oversampling"]["group"] == ENRICHED_FACTOR
    factors = {r["stratum"]: float(r["oversampling_factor"]) for r in truth(enriched, "sampling")}
    assert factors == {"group": ENRICHED_FACTOR, "lone_cse": ENRICHED_FACTOR, "csa": 1.0}
    # over-sampling shows: exploitation is several times as common as in a realistic world of the same size
    assert measure(enriched)["exploited_share_of_children"] > 4 * 0.006


def test_structure_is_in_the_truth(enriched: Path) -> None:
    m = measure(enriched)
    for k in ("offenders_in_2_plus_groups", "familial_groups", "groups_active_10_plus_years", "downgrades_under_13",
              "downgrades_13_to_15", "soliciting_convictions", "soliciting_cautions", "soliciting_acquittals"):
        assert m[k] > 0, k
    assert m["suspects_female_share"] > 0 and m["suspects_under_18_share"] > 0
    assert 0.3 <= m["lone_cse_share_of_exploited"] <= 0.9  # lone offenders are common, not rare
    sizes = defaultdict(int)
    for r in truth(enriched, "groups"):
        sizes[r["true_group_id"]] += r["role"] == "offender"
    assert max(sizes.values()) >= 8 and sorted(sizes.values())[len(sizes) // 2] <= 4  # a long tail of group sizes


def test_under_13_downgrades_and_soliciting_outcomes_are_what_truth_says(enriched: Path) -> None:
    people = {r["true_person_id"]: r for r in truth(enriched, "people")}
    off = truth(enriched, "offences")
    down = {(r["source"], r["source_record_id"]) for r in truth(enriched, "downgrades")}
    u13 = [r for r in off if r["downgrade"] == "1" and r["offence_code"] in ("19E", "19H")]
    assert u13
    for r in u13:
        assert (r["source"], r["outcome_record_id"]) in down
        assert r["outcome_type"] == "1" and r["charged_offence"] in ("20B", "17B", "21")
        age = (date.fromisoformat(r["date_committed"]) - date.fromisoformat(people[r["victim_true_person_id"]]["dob"])).days
        assert age < 13 * 365.25
    dis = {r["true_person_id"]: r["outcome"] for r in truth(enriched, "disregards")}
    sol = [r for r in off if r["kind"] == "soliciting"]
    for r in sol:
        who = r["suspect_true_person_id"]
        if r["court_result"] == "ACQUITTED":
            assert dis[who] == "acquitted"  # charged as a child: still a record to disregard (issue 12)
        elif r["outcome_type"] == "2":
            assert dis[who] == "caution"
        else:
            assert dis[who] == "convicted"


def test_cli_profile_choice(tmp_path: Path) -> None:
    import typer

    from joinedup.synth.cli import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), "--people", "300", "--profile", "dense"])
    assert r.exit_code == 2 and "default, realistic, enriched" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), "--people", "3000", "--profile", "realistic", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["profile"] == "realistic"


def test_recorded_members_are_those_named_on_the_groups_crimes(enriched: Path) -> None:
    named = {(r["true_group_id"], r["suspect_true_person_id"]) for r in truth(enriched, "offences") if r["true_group_id"]}
    named |= {(r["true_group_id"], r["victim_true_person_id"]) for r in truth(enriched, "offences") if r["true_group_id"]}
    rows = truth(enriched, "groups")
    assert {r["recorded"] for r in rows} == {"0", "1"}
    for r in rows:
        assert (r["recorded"] == "1") == ((r["true_group_id"], r["true_person_id"]) in named), r
