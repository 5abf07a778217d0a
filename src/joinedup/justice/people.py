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
    # Best estimate across a person's linked records: the most common full date of birth. With no
    # majority (a tie) the tied dates are a range (the earliest is the estimate: it makes the child
    # older, so a conflict never invents an under-16 on its own). A 1 January date is a common stand-in
    # for "year known" (the default when only the year is known), so it counts as a year-only date
    # unless nothing better exists. With no full date, the narrowest partial date is a range.
    con.execute("""CREATE OR REPLACE TEMP TABLE j_dob AS
        WITH rec AS (
            SELECT person_id, dob,
                   CASE WHEN coalesce(dob_precision, 'day') = 'day' AND month(dob) = 1 AND day(dob) = 1 THEN 'jan1'
                        ELSE coalesce(dob_precision, 'day') END AS prec
            FROM j_rec WHERE dob IS NOT NULL),
        full_dob AS (SELECT person_id, dob, count(*) AS n FROM rec WHERE prec = 'day' GROUP BY ALL),
        ranked AS (SELECT *, max(n) OVER (PARTITION BY person_id) AS n_best FROM full_dob),
        best_full AS (
            SELECT person_id, min(dob) FILTER (WHERE n = n_best) AS dob, max(dob) FILTER (WHERE n = n_best) AS dob_top,
                   max(n_best) AS n_best, count(*) FILTER (WHERE n = n_best) AS n_tied, sum(n) AS n_with, count(*) AS n_distinct
            FROM ranked GROUP BY person_id),
        part AS (
            SELECT person_id,
                   arg_min(dob, (CASE prec WHEN 'month' THEN 1 ELSE 2 END) * 100000 + (dob - DATE '1900-01-01')) AS dob,
                   arg_min(prec, (CASE prec WHEN 'month' THEN 1 ELSE 2 END) * 100000 + (dob - DATE '1900-01-01')) AS prec
            FROM rec WHERE prec IN ('month', 'year', 'jan1') GROUP BY person_id),
        persons AS (SELECT person_id, count(*) AS n_records FROM j_rec GROUP BY person_id)
        SELECT ps.person_id, ps.n_records,
               coalesce(b.dob, pt.dob) AS dob_est,
               CASE WHEN b.dob IS NOT NULL THEN b.dob
                    WHEN pt.prec = 'month' THEN date_trunc('month', pt.dob)::DATE
                    ELSE date_trunc('year', pt.dob)::DATE END AS dob_lo,
               CASE WHEN b.dob IS NOT NULL THEN b.dob_top
                    WHEN pt.prec = 'month' THEN CAST(date_trunc('month', pt.dob) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
                    WHEN pt.prec IS NOT NULL THEN CAST(date_trunc('year', pt.dob) + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE) END AS dob_hi,
               CASE WHEN b.dob IS NULL AND pt.dob IS NULL THEN 'date of birth unknown on every linked record'
                    WHEN b.dob IS NULL AND pt.prec = 'jan1' THEN 'date of birth recorded as 1 January, taken as year only'
                    WHEN b.dob IS NULL THEN 'partial date of birth (' || pt.prec || ' only)'
                    WHEN b.n_tied > 1 THEN 'dates of birth conflict across linked records with no majority ('
                         || strftime(b.dob, '%Y-%m-%d') || ' to ' || strftime(b.dob_top, '%Y-%m-%d') || ', each on '
                         || b.n_best || ' record(s)): the range is used'
                    WHEN b.n_distinct > 1 THEN 'dates of birth conflict across linked records (' || b.n_distinct
                         || ' different); best estimate ' || strftime(b.dob, '%Y-%m-%d') || ' is on ' || b.n_best
                         || ' of ' || b.n_with || ' records'
                    WHEN b.n_with > 1 THEN 'date of birth agrees on ' || b.n_with || ' linked records'
                    ELSE 'date of birth from one record' END AS dob_basis
        FROM persons ps LEFT JOIN best_full b USING (person_id) LEFT JOIN part pt USING (person_id)""")


def age_sql(dob: str, day: str) -> str:
    """SQL: whole years between a dob and a day (NULL if either is NULL)."""
    return f"date_sub('year', {dob}, {day})"
