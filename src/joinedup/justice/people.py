"""Who each record belongs to (linkage) and each linked person's best estimate of date of birth."""

from __future__ import annotations

import duckdb


def build_people(con: duckdb.DuckDBPyConnection, person_record: str, link_person: str = "link_person") -> None:
    """Temp tables j_rec (record -> person_id, dob range) and j_dob (person -> best dob estimate and basis)."""
    # A record added after the last link run has no person_id yet: it stands alone rather than vanishing.
    # A partial dob is stored as the first day of its month or year; its range runs to the last day.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_rec AS
        SELECT p.source, p.source_record_id, coalesce(l.person_id, 'U:' || p.source || ':' || p.source_record_id) AS person_id,
               coalesce(l.match_probability, 1.0) AS link_probability, p.dob, p.dob_precision,
               p.phones, p.vehicles
        FROM {person_record} p LEFT JOIN {link_person} l USING (source, source_record_id)""")
    # Best estimate across a person's linked records: the most common full date of birth (ties: the
    # earliest, which makes a child older and so never invents an under-16 or under-18); with none,
    # the narrowest partial date. Conflicts are counted so the output can say so.
    con.execute("""CREATE OR REPLACE TEMP TABLE j_dob AS
        WITH full_dob AS (
            SELECT person_id, dob, count(*) AS n FROM j_rec
            WHERE dob IS NOT NULL AND coalesce(dob_precision, 'day') = 'day' GROUP BY ALL),
        best_full AS (
            SELECT person_id, arg_max(dob, n * 100000 - (dob - DATE '1900-01-01')) AS dob, max(n) AS n_best,
                   sum(n) AS n_with, count(*) AS n_distinct
            FROM full_dob GROUP BY person_id),
        part AS (
            SELECT person_id,
                   arg_min(dob, (CASE dob_precision WHEN 'month' THEN 1 ELSE 2 END) * 100000 + (dob - DATE '1900-01-01')) AS dob,
                   arg_min(dob_precision, (CASE dob_precision WHEN 'month' THEN 1 ELSE 2 END) * 100000 + (dob - DATE '1900-01-01')) AS prec
            FROM j_rec WHERE dob IS NOT NULL AND dob_precision IN ('month', 'year') GROUP BY person_id),
        persons AS (SELECT person_id, count(*) AS n_records FROM j_rec GROUP BY person_id)
        SELECT ps.person_id, ps.n_records,
               coalesce(b.dob, pt.dob) AS dob_est,
               coalesce(b.dob, pt.dob) AS dob_lo,
               CASE WHEN b.dob IS NOT NULL THEN b.dob
                    WHEN pt.prec = 'month' THEN CAST(pt.dob + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
                    WHEN pt.prec = 'year' THEN CAST(pt.dob + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE) END AS dob_hi,
               CASE WHEN b.dob IS NULL AND pt.dob IS NULL THEN 'date of birth unknown on every linked record'
                    WHEN b.dob IS NULL THEN 'partial date of birth (' || pt.prec || ' only)'
                    WHEN b.n_distinct > 1 THEN 'dates of birth conflict across linked records (' || b.n_distinct
                         || ' different); best estimate ' || strftime(b.dob, '%Y-%m-%d') || ' is on ' || b.n_best
                         || ' of ' || b.n_with || ' records'
                    WHEN b.n_with > 1 THEN 'date of birth agrees on ' || b.n_with || ' linked records'
                    ELSE 'date of birth from one record' END AS dob_basis
        FROM persons ps LEFT JOIN best_full b USING (person_id) LEFT JOIN part pt USING (person_id)""")


def age_sql(dob: str, day: str) -> str:
    """SQL: whole years between a dob and a day (NULL if either is NULL)."""
    return f"date_sub('year', {dob}, {day})"
