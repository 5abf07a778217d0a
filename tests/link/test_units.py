"""Name variants, phonetic keys, dates, postcodes and clustering rules."""

from joinedup.link.cluster import cluster, person_id
from joinedup.link.features import parse_dob
from joinedup.link.variants import groups_of, phonetic
from joinedup.standard.names import fold_name as fold


def shared(a, b):
    return bool(set(groups_of(a)) & set(groups_of(b)))


def test_nicknames_and_transliterations_share_a_group():
    for a, b in [("BILL", "WILLIAM"), ("KATE", "KATHERINE"), ("MOHAMMED", "MUHAMMAD"), ("MOHAMED", "MUHAMMAD"),
                 ("AISHA", "AYESHA"), ("HUSSAIN", "HUSSEIN"), ("OLEKSANDR", "ALEKSANDR"), ("WOJCIECH", "VOJTECH")]:
        assert shared(a, b), (a, b)
    assert not shared("WILLIAM", "ROBERT")
    assert not shared("ALI", "ALEXANDER")  # a nickname list must not merge unrelated common names


def test_double_metaphone_codes():
    assert set(phonetic("SMITH")) & set(phonetic("SCHMIDT"))
    assert phonetic("HUSSAIN") == phonetic("HUSSEIN")
    assert phonetic(None) == ()


def test_fold_removes_accents_and_punctuation():
    assert fold("Olahová-Smith") == "OLAHOVA SMITH"
    assert fold("  ") is None


def test_dates_in_three_formats_and_partial():
    assert parse_dob("2010-04-03") == ("2010-04-03", "day")
    assert parse_dob("03/04/2010") == ("2010-04-03", "day")
    assert parse_dob("20100403") == ("2010-04-03", "day")
    assert parse_dob("2010-04") == ("2010-04-01", "month")
    assert parse_dob("2010") == ("2010-01-01", "year")
    assert parse_dob("31/02/2010") == (None, None)
    assert parse_dob("not a date") == (None, None)


def test_person_id_is_deterministic_and_order_free():
    assert person_id([("B", "2"), ("A", "9")]) == person_id([("A", "9"), ("B", "2")])
    assert person_id([("A", "1")]) != person_id([("A", "2")])


def test_not_same_beats_same_and_links():
    nodes = ["a", "b", "c"]
    edges = [("a", "b", 0.99), ("b", "c", 0.99)]
    assert sorted(map(sorted, cluster(nodes, edges, 0.9))) == [["a", "b", "c"]]
    parts = cluster(nodes, edges, 0.9, same=[("a", "c")], not_same=[("a", "c")])
    assert not any({"a", "c"} <= set(p) for p in parts)
    assert sorted(map(sorted, cluster(nodes, [], 0.9, same=[("a", "c")]))) == [["a", "c"], ["b"]]


def test_sparse_big_cluster_is_split_at_weak_links():
    # two tight groups of 6 joined by one weak-ish link: a chain, not one person
    g1 = [f"x{i}" for i in range(6)]
    g2 = [f"y{i}" for i in range(6)]
    edges = [(a, b, 0.9999) for g in (g1, g2) for i, a in enumerate(g) for b in g[i + 1:]]
    edges.append(("x0", "y0", 0.95))
    nodes = g1 + g2
    # dense enough overall? 30 + 1 edges of 66 pairs -> 0.47 >= 0.3, so density alone would keep it;
    # a long chain is what the guard is for:
    chain = [f"c{i}" for i in range(12)]
    chain_edges = [(chain[i], chain[i + 1], 0.95) for i in range(11)]
    parts = cluster(chain, chain_edges, 0.9)
    assert max(len(p) for p in parts) < 12
    # two dense groups joined by one weaker link: 31 of 66 pairs linked (0.47 >= MIN_DENSITY), so the guard keeps
    # them whole; thinning each group to a ring (12 + 1 of 66 pairs: 0.2) makes the same shape a chain, and it splits
    whole = cluster(nodes, edges, 0.9)
    assert sorted(map(sorted, whole)) == [sorted(nodes)]
    ring = [(g[i], g[(i + 1) % 6], 0.9999) for g in (g1, g2) for i in range(6)] + [("x0", "y0", 0.95)]
    assert sorted(map(sorted, cluster(nodes, ring, 0.9))) == sorted([sorted(g1), sorted(g2)])


def _frame(rows):
    import pandas as pd

    return pd.DataFrame(rows, columns=["address", "surname", "dob_year"])


def test_households_detected_only_when_relatives_share_a_home():
    from joinedup.link.comparisons import households

    # 30 homes, each a parent and a child with one surname, 30 years apart
    family = _frame([(f"{i} HIGH ST", "SMITH", y) for i in range(30) for y in ("1980", "2010")])
    # 30 people recorded twice at one address, one with a wholly wrong year (FEBRL-style errors)
    dupes = _frame([(f"{i} HIGH ST", "SMITH", "1980") for i in range(30)] +
                   [(f"{i} HIGH ST", "SMITH", "1980" if i % 10 else "1950") for i in range(30)])
    assert households(family) and not households(dupes)


def test_dob_disagreement_is_capped_only_for_household_data():
    from joinedup.link.model import settings_dict
    from joinedup.link.training import floor_parameters

    s = settings_dict(["forename", "surname", "dob"])
    for comp in s["comparisons"]:
        for lv in comp["comparison_levels"]:
            if not lv.get("is_null_level"):
                lv["m_probability"], lv["u_probability"] = 0.05, 0.5
    dis = lambda t: next(lv for c in t["comparisons"] if c["output_column_name"] == "dob"  # noqa: E731
                         for lv in c["comparison_levels"] if lv["label_for_charts"] == "disagree")
    assert dis(floor_parameters(s, household=True))["m_probability"] <= 0.003
    assert dis(floor_parameters(s, household=False))["m_probability"] == 0.05


def test_blocking_rules_narrow_at_scale():
    """Broad year-month and district rules only on small files (names-alone on); at scale they cost half of predict."""
    from joinedup.link.blocking import blocking_rules

    avail = ["forename", "surname", "dob", "location", "phone", "nhs_number", "sex"]
    big, small = blocking_rules(avail, names_alone=False), blocking_rules(avail, names_alone=True)
    assert not any("dob_ym" in r for r in big) and any("dob_ym" in r for r in small)
    assert any("postcode_sector" in r for r in big) and not any("postcode_district" in r for r in big)
    assert any("postcode_district" in r for r in small)
