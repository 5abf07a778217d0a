"""The in-memory matching index gives match_record's answer (SQL path) from memory.

Tolerance, stated: the same persons, in the same order except among equal probabilities, with the same explanation
(level and weight of every comparison) and probabilities equal to 1e-12 (the SQL adds term-frequency weights with
DuckDB's own log2/pow and differs from Python's in the last bit on about 1 query in 100).
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from joinedup.link import match_record
from joinedup.link.comparisons import COMPARISONS
from joinedup.link.level_python import Unsupported, compile_condition, jaro_winkler
from joinedup.link.search_index import SearchIndex, hash_string, hash_strings

PROTECTED = ("ethnicity", "nationality", "religion")


@pytest.fixture(scope="module")
def index(linked_world):
    con = duckdb.connect(str(linked_world.db), read_only=True)
    idx = SearchIndex.for_warehouse(con)
    con.close()
    assert idx is not None, "the model's rules and levels should all compile"
    return idx


def _queries(db, n: int, seed: int) -> list[dict]:
    """Records of the world as queries, some with typos, a swapped day and month, or fields left out."""
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(f"""SELECT forename, surname, strftime(dob, '%Y-%m-%d'), postcode, sex, address FROM person_record
                           USING SAMPLE {n} ROWS (reservoir, {seed})""").fetchall()
    con.close()
    rng = random.Random(seed)
    out = []
    for f, s, d, pc, sx, ad in rows:
        q = {"forename": f, "surname": s, "dob": d, "postcode": pc}
        if rng.random() < 0.3:
            q |= {"sex": sx, "address": ad}
        if rng.random() < 0.2:
            q.pop("postcode")
        if d and rng.random() < 0.15 and int(d[8:10]) <= 12:
            q["dob"] = f"{d[:4]}-{d[8:10]}-{d[5:7]}"
        if f and len(f) > 3 and rng.random() < 0.15:
            i = rng.randrange(1, len(f) - 1)
            q["forename"] = f[:i] + f[i + 1] + f[i] + f[i + 2:]
        q = {k: v for k, v in q.items() if v}
        if any(q.get(k) for k in ("forename", "surname", "dob", "postcode")):
            out.append(q)
    return out


def _same(a: list[dict], b: list[dict]) -> str | None:
    """None when two answers agree within the stated tolerance, else what differs."""
    if [x["person_id"] for x in a] != [x["person_id"] for x in b]:
        # only equal probabilities may swap places
        key = lambda xs: sorted((round(float(x["match_probability"]), 12), x["person_id"]) for x in xs)  # noqa: E731
        if key(a) != key(b):
            return f"persons differ: {[x['person_id'] for x in a]} vs {[x['person_id'] for x in b]}"
    bb = {x["person_id"]: x for x in b}
    for x in a:
        y = bb[x["person_id"]]
        if abs(float(x["match_probability"]) - y["match_probability"]) > 1e-12:
            return f"{x['person_id']}: probability {x['match_probability']} vs {y['match_probability']}"
        if x["explanation"] != y["explanation"]:
            return f"{x['person_id']}: explanation {x['explanation']} vs {y['explanation']}"
        if {(r["source"], r["source_record_id"]) for r in x["records"]} != {(r["source"], r["source_record_id"]) for r in y["records"]}:
            return f"{x['person_id']}: records differ"
    return None


def test_index_gives_match_records_answer(linked_world, index):
    """On 150 sampled records (with typos, swaps, missing fields): the index path equals the SQL path."""
    db = str(linked_world.db)
    con = duckdb.connect(db, read_only=True)
    queries = _queries(linked_world.db, 150, seed=7)
    found = 0
    for q in queries:
        sql = match_record(db, con=con, limit=30, min_probability=0.01, **q)
        mem = match_record(db, index=index, limit=30, min_probability=0.01, **q)
        assert _same(sql, mem) is None, (q, _same(sql, mem))
        found += bool(mem)
    con.close()
    assert found >= 0.9 * len(queries)  # the records are in the warehouse: nearly every query finds its person


def test_every_level_compiles_to_what_duckdb_says(linked_world):
    """Each comparison level's condition, in Python, is TRUE on exactly the pairs where DuckDB says TRUE."""
    con = duckdb.connect(str(linked_world.db), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE link_record").fetchall() if r[0] not in ("run_id", "fields_hash")]
    # pairs the model blocked (similar records: names, dates and homes that nearly agree) and random ones
    pairs = con.execute("""SELECT source_l || '::' || source_record_id_l, source_r || '::' || source_record_id_r
                           FROM link_pair USING SAMPLE 400 ROWS (reservoir, 3)""").fetchall()
    ids = [r[0] for r in con.execute("SELECT unique_id FROM link_record USING SAMPLE 400 ROWS (reservoir, 4)").fetchall()]
    rng = random.Random(5)
    pairs += [(rng.choice(ids), rng.choice(ids)) for _ in range(400)]
    sel = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in cols)
    con.register("p", pa.table({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}))
    base = f"SELECT {sel} FROM p JOIN link_record l ON l.unique_id = p.a JOIN link_record r ON r.unique_id = p.b"
    rows = con.execute(base).fetchall()
    names = [d[0] for d in con.execute(base + " LIMIT 0").description]
    checked = 0
    for comp, (_, levels) in COMPARISONS.items():
        for lv in levels:
            if lv.sql.strip().upper() == "ELSE":
                continue
            f = compile_condition(lv.sql)
            truth = [r[0] for r in con.execute(f"SELECT ({lv.sql}) IS TRUE FROM ({base})").fetchall()]
            for row, t in zip(rows, truth):
                d = dict(zip(names, row))
                q = {c[:-2]: v for c, v in d.items() if c.endswith("_l")}
                r = {c[:-2]: v for c, v in d.items() if c.endswith("_r")}
                assert f(q, r) == t, (comp, lv.label, q.get("unique_id"), r.get("unique_id"))
                checked += 1
    con.close()
    assert checked > 20_000


def test_jaro_winkler_is_duckdbs_to_the_bit():
    """Names where a plain-float Winkler step differs from DuckDB's in the last bit (it uses a fused multiply-add)."""
    pairs = [("GEWNDOLYN", "GWENDOLYN"), ("LWRENCIA", "LAWRENCIA"), ("MARTHA", "MARHTA"), ("DWAYNE", "DUANE"),
             ("DIXON", "DICKSONX"), ("", "A"), ("A", "A"), ("ABC", "XYZ"), ("JOHNATHAN", "JONATHAN")]
    con = duckdb.connect()
    for a, b in pairs:
        assert jaro_winkler(a, b) == con.execute("SELECT jaro_winkler_similarity(?, ?)", [a, b]).fetchone()[0], (a, b)
    assert jaro_winkler(None, "A") is None


def test_hash_of_one_key_equals_the_vectorised_one():
    keys = ["", "A", "KRTN\x1fSMT\x1f2010", "é\x1fß", "x" * 70, "12345678"]
    assert [int(h) for h in hash_strings(pa.array(keys))] == [hash_string(k) for k in keys]
    assert [int(h) for h in hash_strings(pa.array(keys).slice(2))] == [hash_string(k) for k in keys[2:]]


def test_sql_the_compiler_does_not_know_is_refused():
    """Unknown SQL is refused (the caller keeps DuckDB's path) rather than guessed."""
    for sql in ('soundex("forename_l") = soundex("forename_r")', '"forename_l" LIKE "forename_r"',
                'substr("dob_l", "dob_year_r", 2) = \'x\''):
        with pytest.raises(Unsupported):
            compile_condition(sql)


def test_three_valued_logic():
    """NOT of a comparison with a NULL is not TRUE (SQL), so a level with NOT (x = y) is not taken on NULLs."""
    f = compile_condition('NOT ("forename_l" = "forename_r")')
    assert f({"forename": "A"}, {"forename": "B"}) is True
    assert not f({"forename": None}, {"forename": "B"})
    g = compile_condition('"dob_l" IS NULL OR "dob_r" = \'2010-01-01\'')
    assert g({"dob": None}, {"dob": "x"}) and g({"dob": "y"}, {"dob": "2010-01-01"}) and not g({"dob": "y"}, {"dob": None})


def test_no_protected_characteristic_is_read(index):
    """Ethnicity, nationality and religion are never inputs to the index's blocking or scoring."""
    assert not [c for c in index.cols + [p[3] for rule in index.rules for p in rule] if any(w in c for w in PROTECTED)]
    assert index.table.num_rows > 0
    assert not [c for c in index.table.column_names if any(w in c for w in PROTECTED)]
