"""The aggregates behind the publication, computed in DuckDB from the standard and linkage tables.

Nothing here leaves the database at individual level: each query ends in a GROUP BY, and the
per-person working tables are TEMP tables that vanish with the connection.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from joinedup.errors import UserError
from joinedup.network.runs import NetworkChoice, network_for
from joinedup.standard import code_list
from joinedup.stats.baseline import AGE_BANDS
from joinedup.warehouse.asof import as_of_sql
from joinedup.warehouse.engine import has_rows

STATUSES = ("Recorded", "Not stated", "Not recorded", "Not collected")
GROUPS = ("White", "Mixed", "Asian", "Black", "Other")

# How each field's stored value becomes a completeness status. NULL means the source system has no
# such column ("not collected"); ingest stores NR where a source has the column but left it blank.
_STATUS = {
    "ethnicity_self": "CASE WHEN {c} IS NULL THEN 'Not collected' WHEN {c} = 'NR' THEN 'Not recorded' "
                      "WHEN {c} IN ('NS', 'REFU') THEN 'Not stated' ELSE 'Recorded' END",
    # IC9 is the officer saying they could not tell: a stated non-answer, like NS
    "ethnicity_observed": "CASE WHEN {c} IS NULL THEN 'Not collected' WHEN {c} = 'NR' THEN 'Not recorded' "
                          "WHEN {c} = 'IC9' THEN 'Not stated' ELSE 'Recorded' END",
    "nationality": "CASE WHEN {c} IS NULL THEN 'Not collected' WHEN {c} = 'NR' THEN 'Not recorded' "
                   "WHEN {c} = 'NS' THEN 'Not stated' ELSE 'Recorded' END",
    "sex": "CASE WHEN {c} IS NULL THEN 'Not collected' WHEN {c} = 'NR' THEN 'Not recorded' "
           "WHEN {c} = 'U' THEN 'Not stated' ELSE 'Recorded' END",
    # every source has a date of birth column; a blank one is simply not recorded
    "dob": "CASE WHEN {c} IS NULL THEN 'Not recorded' ELSE 'Recorded' END",
}
FIELDS = {
    "ethnicity_self": "Self-defined ethnicity",
    "ethnicity_observed": "Officer-observed ethnicity",
    "nationality": "Nationality",
    "dob": "Date of birth",
    "sex": "Sex",
}
AGE_UNKNOWN = "Age not known"
ROLE_LABELS = {"SUSPECT": "Suspect", "VICTIM": "Victim"}


def link_run(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest linkage run behind the person ids (provenance for the cover sheet)."""
    return con.execute("SELECT max(run_id) FROM link_person").fetchall()[0][0]


def require_linked(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse that linkage has never run on."""
    if not has_rows(con, "link_person"):
        raise UserError("this warehouse has never been linked: run `joinedup link --db FILE` first")


def prepare(con: duckdb.DuckDBPyConnection, as_of: date | None, db: str = "FILE") -> NetworkChoice:
    """Build the TEMP working tables (records, crime roles, persons) as known on as_of.

    Returns the network run the publication counts: the stored one only if it was computed on data as of as_of or
    before (network/runs.py); otherwise none, with the reason (`db` names the warehouse in its command).
    """
    _CACHE.clear()
    net = network_for(con, as_of, db)
    con.execute("CREATE OR REPLACE TEMP TABLE st_net (run_id VARCHAR, reason VARCHAR)")
    if net.used or net.reason:
        con.execute("INSERT INTO st_net VALUES (?, ?)", [net.run_id, net.reason])
    eth = pd.DataFrame([(r["code"], r["group"]) for r in code_list("ethnicity").rows], columns=["code", "grp"])
    con.register("st_eth_codes", eth)
    con.execute("CREATE OR REPLACE TEMP TABLE st_eth AS SELECT * FROM st_eth_codes")
    con.unregister("st_eth_codes")
    st = {f: _STATUS[f].format(c=f"p.{f}") for f in _STATUS}
    pr = as_of_sql(con, "person_record", as_of)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE st_rec AS
        SELECT p.source, p.source_record_id, p.agency_type, p.org_code, p.role, l.person_id,
               {st['ethnicity_self']} AS ethnicity_self, {st['ethnicity_observed']} AS ethnicity_observed,
               {st['nationality']} AS nationality, {st['dob']} AS dob, {st['sex']} AS sex,
               CASE WHEN {st['ethnicity_self']} = 'Recorded' THEN e.grp END AS eth_group,
               CASE WHEN {st['nationality']} = 'Recorded' THEN
                    CASE WHEN p.nationality = 'GBR' THEN 'British' ELSE 'Other nationality' END END AS nat_group,
               CASE WHEN p.sex IN ('M', 'F') THEN p.sex END AS sex_mf, p.dob AS dob_value
        FROM {pr} p
        JOIN link_person l ON l.source = p.source AND l.source_record_id = p.source_record_id
        LEFT JOIN st_eth e ON e.code = p.ethnicity_self""")
    cp, cr = as_of_sql(con, "crime_person", as_of), as_of_sql(con, "crime", as_of)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE st_crime AS
        SELECT c.source, c.source_record_id, c.org_code AS force,
               year(coalesce(c.date_reported, c.date_committed)) AS year,
               CASE WHEN c.cse_flag IS NULL THEN 'Not recorded' ELSE 'Recorded' END AS cse_status,
               coalesce(c.cse_flag, false) AS cse, coalesce(c.date_committed, c.date_reported) AS crime_date
        FROM {cr} c""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE st_role AS
        SELECT x.role, c.force, c.year, c.cse, c.crime_date, c.source AS crime_source, c.source_record_id AS crime_id, r.*
               EXCLUDE (role)
        FROM {cp} x
        JOIN st_crime c ON c.source = x.source AND c.source_record_id = x.crime_record_id
        JOIN st_rec r ON r.source = x.source AND r.source_record_id = x.person_record_id
        WHERE x.role IN ('SUSPECT', 'VICTIM')""")
    # best status across a person's records: any record with a value makes the person recorded
    rank = ("CASE {c} WHEN 'Recorded' THEN 1 WHEN 'Not stated' THEN 2 WHEN 'Not recorded' THEN 3 ELSE 4 END")
    unrank = "['Recorded', 'Not stated', 'Not recorded', 'Not collected'][min({r})]"
    best = ", ".join(f"{unrank.format(r=rank.format(c=f))} AS {f}" for f in _STATUS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE st_person AS
        SELECT person_id, {best},
               mode(eth_group) FILTER (WHERE eth_group IS NOT NULL) AS eth_group,
               count(DISTINCT eth_group) AS eth_groups,
               mode(nat_group) FILTER (WHERE nat_group IS NOT NULL) AS nat_group,
               mode(sex_mf) FILTER (WHERE sex_mf IS NOT NULL) AS sex_mf,
               mode(dob_value) FILTER (WHERE dob_value IS NOT NULL) AS dob_value
        FROM st_rec GROUP BY person_id""")
    # who is a suspect or victim, and where: a police record in that role, or a part in a crime
    con.execute("""
        CREATE OR REPLACE TEMP TABLE st_person_role AS
        SELECT DISTINCT person_id, role, org_code AS force FROM st_rec
        WHERE role IN ('SUSPECT', 'VICTIM') AND agency_type = 'police'
        UNION
        SELECT DISTINCT person_id, role, force FROM st_role""")
    gb = _group_based_sql(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE st_gb AS {gb}")
    return net


def _group_based_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Suspect records in group-based CSE: CSE-flagged crimes with two or more suspects, plus network members."""
    sql = """
        SELECT r.* FROM st_role r
        JOIN (SELECT crime_source, crime_id FROM st_role WHERE role = 'SUSPECT' AND cse
              GROUP BY ALL HAVING count(DISTINCT person_id) >= 2) g USING (crime_source, crime_id)
        WHERE r.role = 'SUSPECT'"""
    if network_present(con):
        sql += """
        UNION BY NAME
        SELECT 'SUSPECT' AS role, rec.org_code AS force, NULL::BIGINT AS year, true AS cse,
               NULL AS crime_source, NULL AS crime_id, rec.* EXCLUDE (role)
        FROM st_rec rec
        JOIN (SELECT DISTINCT person_id FROM network_member WHERE lower(role) IN ('suspect', 'offender')
              AND run_id = (SELECT run_id FROM st_net)) m
          USING (person_id)
        WHERE rec.agency_type = 'police' AND rec.role = 'SUSPECT'"""
    return sql


def network_present(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the publication counts the network stage's groups: it wrote some to this warehouse, and (with an
    as-of date) computed them on data as of that date or before (see prepare)."""
    return (has_rows(con, "network_group") and has_rows(con, "network_member")
            and bool(con.execute("SELECT count(*) FROM st_net WHERE run_id IS NOT NULL").fetchall()[0][0]))


def network_skipped(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the stored network groups are not counted as of the publication's date (None: counted, or never ran)."""
    row = con.execute("SELECT reason FROM st_net WHERE run_id IS NULL").fetchall()
    return row[0][0] if row else None


_CACHE: dict[tuple, pd.DataFrame] = {}


def df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's result as a DataFrame, kept until the next prepare (the tables are built several times while
    suppression settles, over the same working tables)."""
    key = (id(con), sql, tuple(params or []))
    if key not in _CACHE:
        _CACHE[key] = con.execute(sql, params or []).df()
    return _CACHE[key].copy()


def completeness_records(con: duckdb.DuckDBPyConnection, field: str, by: str, where: str = "true") -> pd.DataFrame:
    """Counts of person records by `by` and completeness status of `field`."""
    return df(con, f"SELECT {by} AS k, {field} AS status, count(*) AS n FROM st_rec WHERE {where} GROUP BY ALL")


def completeness_persons(con: duckdb.DuckDBPyConnection, field: str, role: str) -> pd.DataFrame:
    """Counts of linked persons in a role by the best completeness status of `field` over their records."""
    return df(con, f"""SELECT ? AS k, p.{field} AS status, count(*) AS n FROM st_person p
                       WHERE p.person_id IN (SELECT person_id FROM st_person_role WHERE role = ?) GROUP BY ALL""",
              [ROLE_LABELS[role], role])


def completeness_by_year(con: duckdb.DuckDBPyConnection, role: str) -> pd.DataFrame:
    """Self-defined ethnicity status of the person records in a crime role, by year the crime was recorded."""
    return df(con, """SELECT year AS k, ethnicity_self AS status, count(DISTINCT (source, source_record_id)) AS n
                      FROM st_role WHERE role = ? AND year IS NOT NULL GROUP BY ALL""", [role])


def cse_flag_completeness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Crimes by force and whether the CSE flag was recorded."""
    return df(con, "SELECT force AS k, cse_status AS status, count(*) AS n FROM st_crime GROUP BY ALL")


def headline_records(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Suspect records in group-based CSE by force and self-defined ethnicity status (on the force's own record)."""
    return df(con, """SELECT force AS k, ethnicity_self AS status, count(DISTINCT (source, source_record_id)) AS n
                      FROM st_gb GROUP BY ALL""")


def headline_persons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Linked persons suspected in group-based CSE, by force and best ethnicity status over all their records."""
    return df(con, """SELECT g.force AS k, p.ethnicity_self AS status, count(DISTINCT p.person_id) AS n
                      FROM (SELECT DISTINCT force, person_id FROM st_gb) g JOIN st_person p USING (person_id)
                      GROUP BY ALL""")


def profile(con: duckdb.DuckDBPyConnection, role: str, by_force: bool, what: str = "eth") -> pd.DataFrame:
    """Linked persons in a role by ethnic group (or nationality group) or status, nationally or by force."""
    grp, status = ("eth_group", "ethnicity_self") if what == "eth" else ("nat_group", "nationality")
    key = "r.force" if by_force else "'England and Wales'"
    return df(con, f"""SELECT {key} AS k, coalesce(p.{grp}, p.{status}) AS status, count(DISTINCT p.person_id) AS n
                       FROM (SELECT DISTINCT person_id, force FROM st_person_role WHERE role = ?) r
                       JOIN st_person p USING (person_id) GROUP BY ALL""", [role])


def _age_band_sql(age: str) -> str:
    tops = (16, 25, 35, 50, 65)
    band = " ".join(f"WHEN {age} < {t} THEN '{b}'" for t, b in zip(tops, AGE_BANDS))
    return f"CASE WHEN {age} IS NULL OR {age} < 0 THEN '{AGE_UNKNOWN}' {band} ELSE '{AGE_BANDS[-1]}' END"


def record_atoms(con: duckdb.DuckDBPyConnection, field: str) -> pd.DataFrame:
    """The finest counts behind the record tables linked by addition (tables 1, 3, 4 and 6): records by
    organisation, role (suspect, victim or any other) and status."""
    return df(con, f"""SELECT org_code AS org, agency_type AS agency,
                              CASE WHEN role IN ('SUSPECT', 'VICTIM') THEN role ELSE 'OTHER' END AS role,
                              {field} AS status, count(*) AS n
                       FROM st_rec GROUP BY ALL""")


def person_atoms(con: duckdb.DuckDBPyConnection, as_of: date | None, what: str = "eth") -> pd.DataFrame:
    """The finest counts behind every person-level profile: persons by role, force, sex, age band and group or
    status (a person in two forces is counted in each; see joint.py on why that is safe)."""
    grp = "coalesce(p.eth_group, p.ethnicity_self)" if what == "eth" else "coalesce(p.nat_group, p.nationality)"
    return df(con, f"""
        WITH first AS (SELECT person_id, role, min(crime_date) AS d FROM st_role GROUP BY ALL),
        ref AS (SELECT coalesce(?::DATE, max(crime_date)) AS d FROM st_crime),
        pr AS (SELECT DISTINCT person_id, role, force FROM st_person_role),
        x AS (SELECT pr.role, coalesce(pr.force, '') AS force, coalesce(p.sex_mf, 'U') AS sex, {grp} AS status,
                     floor(datediff('day', p.dob_value, coalesce(f.d, (SELECT d FROM ref))) / 365.25) AS age
              FROM pr JOIN st_person p USING (person_id) LEFT JOIN first f USING (person_id, role))
        SELECT role, force, sex, {_age_band_sql('age')} AS band, status, count(*) AS n FROM x GROUP BY ALL""",
              [as_of])


def profile_by_sex_age(con: duckdb.DuckDBPyConnection, role: str, as_of: date | None) -> pd.DataFrame:
    """Linked persons in a role by recorded sex, age band and ethnic group or status, nationally.

    Age is taken at the person's first crime in that role (the offence or the harm); a person whose role
    comes only from a police record is aged on the as-of date or, without one, the latest crime date.
    """
    return df(con, f"""
        WITH first AS (SELECT person_id, min(crime_date) AS d FROM st_role WHERE role = ? GROUP BY person_id),
        ref AS (SELECT coalesce(?::DATE, max(crime_date)) AS d FROM st_crime),
        p AS (SELECT p.sex_mf, coalesce(p.eth_group, p.ethnicity_self) AS status,
                     floor(datediff('day', p.dob_value, coalesce(f.d, (SELECT d FROM ref))) / 365.25) AS age
              FROM st_person p LEFT JOIN first f USING (person_id)
              WHERE p.sex_mf IS NOT NULL
                AND p.person_id IN (SELECT person_id FROM st_person_role WHERE role = ?))
        SELECT CASE sex_mf WHEN 'M' THEN 'Male' ELSE 'Female' END AS sex,
               {_age_band_sql('age')} AS k,
               status, count(*) AS n
        FROM p GROUP BY ALL""", [role, as_of, role])


def profile_by_sex(con: duckdb.DuckDBPyConnection, role: str) -> pd.DataFrame:
    """Linked persons in a role by recorded sex (male, female) and ethnic group or status, nationally."""
    return df(con, """SELECT CASE p.sex_mf WHEN 'M' THEN 'Male' ELSE 'Female' END AS k,
                             coalesce(p.eth_group, p.ethnicity_self) AS status, count(*) AS n
                      FROM st_person p WHERE p.sex_mf IS NOT NULL
                        AND p.person_id IN (SELECT person_id FROM st_person_role WHERE role = ?)
                      GROUP BY ALL""", [role])


def conflicting_groups(con: duckdb.DuckDBPyConnection) -> int:
    """Linked persons whose records give more than one ethnic group (reported as a caveat)."""
    return int(con.execute("SELECT count(*) FROM st_person WHERE eth_groups > 1").fetchall()[0][0])


def cse_crimes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """CSE-flagged crimes by year recorded and force."""
    return df(con, "SELECT year AS k, force AS status, count(*) AS n FROM st_crime WHERE cse GROUP BY ALL")


def network_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Groups by size band of suspects: groups, suspects and victims, and how many span two or more forces."""
    return df(con, """
        SELECT CASE WHEN n_suspects < 5 THEN '2 to 4 suspects' WHEN n_suspects < 10 THEN '5 to 9 suspects'
                    ELSE '10 or more suspects' END AS k,
               count(*) AS groups, sum(n_suspects) AS suspects, sum(n_victims) AS victims,
               count(*) FILTER (WHERE len(forces) > 1) AS multi_force,
               min(year(first_seen)) AS first_year, max(year(last_seen)) AS last_year
        FROM network_group WHERE run_id = (SELECT run_id FROM st_net) GROUP BY ALL""")
