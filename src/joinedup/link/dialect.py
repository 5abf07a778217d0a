"""SQL dialects: the comparison and blocking SQL (written for DuckDB) for another engine, via SQLGlot."""

from __future__ import annotations

import json
from typing import Any

from joinedup.link.blocking import rule_texts


def to_dialect(sql: str, dialect: str) -> str:
    """One comparison level's or rule's SQL (written for DuckDB) in another engine's dialect."""
    if dialect == "duckdb" or sql.strip().upper() == "ELSE":
        return sql
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    if dialect == "spark":
        def fix(node: exp.Expression) -> exp.Expression:
            # our SQL takes len() only of lists (Spark: size); the similarity functions are Splink's Spark UDFs
            if isinstance(node, exp.Length):
                return exp.Anonymous(this="size", expressions=[node.this])
            if isinstance(node, exp.JarowinklerSimilarity):
                return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
            return node
        tree = tree.transform(fix)
    return tree.sql(dialect=dialect)


def in_dialect(settings: dict[str, Any], base: dict[str, Any], dialect: str) -> dict[str, Any]:
    """settings (with trained m/u) carrying base's SQL, written for `dialect` (base is the DuckDB original)."""
    out = json.loads(json.dumps(settings))
    for comp, bcomp in zip(out["comparisons"], base["comparisons"]):
        for lv, blv in zip(comp["comparison_levels"], bcomp["comparison_levels"]):
            lv["sql_condition"] = to_dialect(blv["sql_condition"], dialect)
    out["blocking_rules_to_generate_predictions"] = [
        to_dialect(r, dialect) for r in rule_texts(base)]
    if "sql_dialect" in out:
        out["sql_dialect"] = dialect
    return out
