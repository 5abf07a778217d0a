"""The association graph as typed, dated edges between persons, built in SQL over the warehouse.

Everything here is DuckDB SQL over the standard tables (read through `as_of_sql`) and link_person;
the result is the temp table `nw_edge` (one row per pair of persons and edge type) plus the helper
temp tables later steps read (`nw_rec`, `nw_cp`). Protected characteristics (ethnicity,
nationality, religion) are never selected: only names, aliases, phones, vehicles, addresses,
postcodes, dates of birth and roles in crimes and events.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources

import duckdb

from joinedup.network.tables import temp_table
from joinedup.warehouse.asof import as_of_sql

# Offence categories (codes/offence.csv) that make a crime part of sexual exploitation: a burglary's
# suspect and victim are not a network. A crime flagged CSE counts whatever its offence.
SEXUAL_CATEGORIES = ("rape", "rape_child", "sexual_assault_child", "sexual_activity_child", "exploitation",
                     "position_of_trust", "grooming")


@dataclass(frozen=True)
class Weights:
    """Edge weights and the limits that stop common pivots merging strangers (docs/network.md)."""

    co_suspect: float = 1.0        # per crime, capped at `crime_cap` crimes
    suspect_victim: float = 1.0
    crime_cap: int = 3
    shared_phone: float = 1.0      # divided by (people sharing the pivot - 1)
    shared_vehicle: float = 1.0
    shared_address: float = 0.5    # households share addresses; a premises used by several is rarer
    alias: float = 0.5             # street names repeat: only within one postcode area
    max_sharing: int = 12          # a pivot shared by more people (hostel, taxi firm) makes no edges
    missing_full_name: float = 1.0  # named in a missing episode, divided by the candidates named so
    missing_near_name: float = 0.8  # a full name one slip from a record's (a typo, a nickname, a transliteration)
    missing_alias: float = 0.7
    missing_forename: float = 0.5
    missing_max_candidates: int = 4
    missing_years: float = 3.0     # a forename or street name: the suspect offended within this many years
    missing_years_full: float = 10.0  # a full name: within this many years (names recur over decades in a big area)

    def as_dict(self) -> dict:
        """The settings as a plain dict (stored with each run)."""
        return asdict(self)


def _offence_categories(con: duckdb.DuckDBPyConnection) -> None:
    path = resources.files("joinedup.standard") / "codes" / "offence.csv"
    with path.open(encoding="utf-8") as f:
        rows = [(r["code"], r["category"], r.get("penetrative") == "1") for r in csv.DictReader(f)]
    con.execute("CREATE OR REPLACE TEMP TABLE nw_offence (code VARCHAR, category VARCHAR, penetrative BOOLEAN)")
    con.executemany("INSERT INTO nw_offence VALUES (?, ?, ?)", rows)


def _name_variants(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table nw_name_variant (name, gid): linkage's groups of names that are the same name (nicknames,
    transliterations), single words only (forenames)."""
    from joinedup.link.variants import variant_groups

    temp_table(con, "nw_name_variant", {"name": "VARCHAR", "gid": "VARCHAR"},
               [(name, gid) for name, gids in variant_groups().items() if " " not in name for gid in gids])


def build_edges(con: duckdb.DuckDBPyConnection, as_of: date | None, linkage: bool = True,
                w: Weights = Weights()) -> None:
    """Create temp tables nw_rec, nw_cp and nw_edge (person_a < person_b) for the warehouse as of a date."""
    pr, cr, cp, ev = (as_of_sql(con, t, as_of) for t in ("person_record", "crime", "crime_person", "event"))
    _offence_categories(con)
    _name_variants(con)
    # person_id per record: linkage's, or (linkage off, for measurement) each record its own person
    pid = "coalesce(lp.person_id, 'R:' || p.source || ':' || p.source_record_id)" if linkage \
        else "'R:' || p.source || ':' || p.source_record_id"
    join = "LEFT JOIN link_person lp ON lp.source = p.source AND lp.source_record_id = p.source_record_id" if linkage else ""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_rec AS
        SELECT p.source, p.source_record_id, {pid} AS person_id, p.agency_type, p.org_code, p.forename, p.surname,
               p.aliases, p.phones, p.vehicles, p.address, p.postcode, p.dob, p.role,
               regexp_extract(p.postcode, '^[A-Z]+') AS pc_area
        FROM {pr} p {join}""")
    # every person's part in a sexual-exploitation crime, with the crime's dates
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_cp AS
        SELECT r.person_id, x.source, x.person_record_id, x.crime_record_id, x.role, c.org_code, c.offence_code,
               o.penetrative, coalesce(c.date_committed, c.date_reported) AS act_date, c.date_reported AS known_date
        FROM {cp} x
        JOIN {cr} c ON c.source = x.source AND c.source_record_id = x.crime_record_id
        LEFT JOIN nw_offence o ON o.code = c.offence_code
        JOIN nw_rec r ON r.source = x.source AND r.source_record_id = x.person_record_id
        WHERE (o.category IN {SEXUAL_CATEGORIES} OR c.cse_flag) AND x.role IN ('SUSPECT', 'VICTIM')""")
    # earliest recorded date of each record (pivot edges are known once both records exist)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_rec_date AS
        SELECT source, rid, min(d) AS known_date FROM (
            SELECT x.source, x.person_record_id AS rid, c.date_reported AS d FROM {cp} x
              JOIN {cr} c ON c.source = x.source AND c.source_record_id = x.crime_record_id
            UNION ALL SELECT source, person_record_id, start_date FROM {ev}) GROUP BY ALL""")

    crime_edges = """
        SELECT least(a.person_id, b.person_id) AS person_a, greatest(a.person_id, b.person_id) AS person_b,
               CASE WHEN a.role = 'SUSPECT' AND b.role = 'SUSPECT' THEN 'co_suspect' ELSE 'suspect_victim' END AS edge_type,
               NULL::VARCHAR AS pv, a.act_date AS d, a.known_date AS k,
               [a.source || ':' || a.crime_record_id, a.source || ':' || a.person_record_id,
                b.source || ':' || b.person_record_id] AS prov,
               a.source || ':' || a.crime_record_id AS crime, 1 AS n_sharing
        FROM nw_cp a JOIN nw_cp b ON a.source = b.source AND a.crime_record_id = b.crime_record_id
         AND a.person_id < b.person_id AND (a.role = 'SUSPECT' OR b.role = 'SUSPECT')"""

    # pivots: a phone, vehicle, address (with its postcode) or street name held on a person's record
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_pivot AS
        WITH p AS (
            SELECT 'shared_phone' AS edge_type, 'phone:' || unnest(phones) AS pv, person_id, source, source_record_id FROM nw_rec
            UNION ALL SELECT 'shared_vehicle', 'vehicle:' || unnest(vehicles), person_id, source, source_record_id FROM nw_rec
            UNION ALL SELECT 'shared_address', 'address:' || upper(address) || ', ' || postcode, person_id, source, source_record_id
                FROM nw_rec WHERE address IS NOT NULL AND postcode IS NOT NULL AND regexp_matches(address, '^[0-9]')
            UNION ALL SELECT 'alias', 'alias:' || a || ' (' || pc_area || ')', person_id, source, source_record_id
                FROM (SELECT unnest(aliases) AS a, * FROM nw_rec) WHERE pc_area IS NOT NULL AND pc_area <> '')
        SELECT p.*, n.n_sharing, d.known_date
        FROM p JOIN (SELECT pv, count(DISTINCT person_id) AS n_sharing FROM p GROUP BY pv) n USING (pv)
        LEFT JOIN nw_rec_date d ON d.source = p.source AND d.rid = p.source_record_id
        WHERE p.pv IS NOT NULL""")
    pivot_edges = f"""
        SELECT least(a.person_id, b.person_id), greatest(a.person_id, b.person_id), a.edge_type, a.pv,
               NULL::DATE, greatest(a.known_date, b.known_date),
               [a.source || ':' || a.source_record_id, b.source || ':' || b.source_record_id], NULL, a.n_sharing
        FROM nw_pivot a JOIN nw_pivot b ON a.pv = b.pv AND a.person_id < b.person_id
        WHERE a.n_sharing BETWEEN 2 AND {int(w.max_sharing)}"""

    # a child found with, or named in, a missing episode: resolve the name to people on police records in
    # a postcode area of the child's (any of the person's records), sexual-offence suspects only when they
    # offended within a few years of the episode
    # a person's postcode areas; with no postcode on any record, the main areas of the organisations that
    # hold the person's records (an area holding at least a fifth of the organisation's postcodes)
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_parea AS
        WITH own AS (SELECT DISTINCT person_id, pc_area FROM nw_rec WHERE pc_area IS NOT NULL AND pc_area <> ''),
        by_org AS (SELECT org_code, pc_area, count(*) AS n FROM nw_rec
                   WHERE pc_area IS NOT NULL AND pc_area <> '' GROUP BY org_code, pc_area),
        org AS (SELECT org_code, pc_area FROM by_org
                QUALIFY n >= 0.2 * sum(n) OVER (PARTITION BY org_code))
        SELECT * FROM own
        UNION SELECT DISTINCT r.person_id, o.pc_area FROM nw_rec r JOIN org o USING (org_code)
        WHERE r.person_id NOT IN (SELECT person_id FROM own)""")
    # children reported missing and found with someone (named, whether or not the name matches anyone)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_found_with AS
        SELECT DISTINCT r.person_id FROM {ev} e JOIN nw_rec r ON r.source = e.source AND r.source_record_id = e.person_record_id
        WHERE e.with_whom IS NOT NULL AND trim(e.with_whom) <> ''""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_named AS
        WITH ep AS (
            SELECT e.source, e.source_record_id AS eid, e.start_date, r.person_id AS child, a.pc_area,
                   upper(trim(regexp_replace(strip_accents(e.with_whom), '[^A-Za-z ]', '', 'g'))) AS name,
                   e.source || ':' || e.person_record_id AS child_rec
            FROM {ev} e JOIN nw_rec r ON r.source = e.source AND r.source_record_id = e.person_record_id
            JOIN nw_parea a ON a.person_id = r.person_id
            WHERE e.with_whom IS NOT NULL AND trim(e.with_whom) <> ''),
        sus AS MATERIALIZED (SELECT DISTINCT person_id, act_date FROM nw_cp WHERE role = 'SUSPECT'),
        exact AS MATERIALIZED (  -- a full name or street name: anyone on a police record; a bare forename:
                                 -- sexual-offence suspects only
            SELECT DISTINCT r.person_id, a.pc_area, r.source || ':' || r.source_record_id AS rec, k.kind, k.name,
                   r.person_id IN (SELECT person_id FROM sus) AS is_suspect FROM nw_rec r JOIN nw_parea a USING (person_id),
              LATERAL (SELECT 'full' AS kind, r.forename || ' ' || r.surname AS name
                       -- forename and surname recorded the wrong way round (a clerk's slip; the name said aloud
                       -- in the missing episode is in the usual order)
                       UNION ALL SELECT 'full', r.surname || ' ' || r.forename
                       UNION ALL SELECT 'forename', r.forename
                       UNION ALL SELECT 'alias', unnest(r.aliases)) k
            WHERE r.agency_type = 'police' AND k.name IN (SELECT DISTINCT name FROM ep)),
        ep2 AS MATERIALIZED (  -- a name said aloud in two or more words that no police record in the area has exactly:
                               -- its forename, and the rest as the surname
            SELECT DISTINCT name, pc_area, split_part(name, ' ', 1) AS fore,
                   replace(substr(name, strpos(name, ' ') + 1), ' ', '') AS sur
            FROM ep WHERE strpos(name, ' ') > 0
              AND NOT EXISTS (SELECT 1 FROM exact x WHERE x.kind = 'full' AND x.name = ep.name AND x.pc_area = ep.pc_area)),
        pol AS MATERIALIZED (  -- police records sharing an area and a surname or forename with such a name
            SELECT DISTINCT r.person_id, a.pc_area, r.source || ':' || r.source_record_id AS rec,
                   upper(r.forename) AS fore, replace(upper(r.surname), ' ', '') AS sur
            FROM nw_rec r JOIN nw_parea a USING (person_id)
            WHERE r.agency_type = 'police' AND r.forename IS NOT NULL AND r.surname IS NOT NULL
              AND ((a.pc_area, replace(upper(r.surname), ' ', '')) IN (SELECT (pc_area, sur) FROM ep2)
                   OR (a.pc_area, upper(r.forename)) IN (SELECT (pc_area, fore) FROM ep2))),
        near AS (  -- a full name one slip from a police record's in the same area: the same surname and a forename one
                   -- letter apart or of the same name with the same first letter (Kate, Katherine; Pete, Peter; not
                   -- John, Evan, which linkage's name groups hold together), or the same forename and a surname one
                   -- letter apart (a clerk's typo, on either record)
            SELECT p.person_id, p.pc_area, p.rec, e.name FROM ep2 e JOIN pol p ON p.pc_area = e.pc_area AND p.sur = e.sur
            WHERE p.fore <> e.fore AND ((length(e.fore) >= 4 AND damerau_levenshtein(p.fore, e.fore) <= 1)
                  OR (left(p.fore, 1) = left(e.fore, 1)
                      AND EXISTS (SELECT 1 FROM nw_name_variant a JOIN nw_name_variant b USING (gid)
                                  WHERE a.name = e.fore AND b.name = p.fore)))
            UNION SELECT p.person_id, p.pc_area, p.rec, e.name FROM ep2 e JOIN pol p ON p.pc_area = e.pc_area AND p.fore = e.fore
            WHERE p.sur <> e.sur AND length(e.sur) >= 4 AND damerau_levenshtein(p.sur, e.sur) <= 1),
        names AS (
            SELECT * FROM exact
            UNION SELECT DISTINCT n.person_id, n.pc_area, n.rec, 'near', n.name,
                   n.person_id IN (SELECT person_id FROM sus) FROM near n),
        hit AS (
            SELECT ep.*, n.person_id AS suspect, n.kind, n.rec AS suspect_rec, n.is_suspect FROM ep JOIN names n
              ON n.name = ep.name AND n.pc_area = ep.pc_area
            WHERE (n.kind <> 'forename' OR n.is_suspect)
              AND (NOT n.is_suspect OR EXISTS (SELECT 1 FROM sus s WHERE s.person_id = n.person_id
                          AND abs(s.act_date - ep.start_date) <= 365.25 * CASE WHEN n.kind IN ('full', 'near')
                              THEN {float(w.missing_years_full)} ELSE {float(w.missing_years)} END))),
        best AS (  -- the most specific kind of match per episode (a full name beats a near one, which beats a street
                   -- name, which beats a forename); within it, a suspect of a sexual offence (within the years above)
                   -- beats others of the same name
            SELECT * EXCLUDE (is_suspect) FROM hit QUALIFY dense_rank() OVER (PARTITION BY source, eid
                ORDER BY CASE kind WHEN 'full' THEN 0 WHEN 'near' THEN 1 WHEN 'alias' THEN 2 ELSE 3 END, NOT is_suspect) = 1)
        SELECT *, count(DISTINCT suspect) OVER (PARTITION BY source, eid) AS n_candidates FROM best""")
    missing_edges = f"""
        SELECT least(child, suspect), greatest(child, suspect), 'missing_with', NULL, start_date, start_date,
               [source || ':' || eid, child_rec, suspect_rec], NULL,
               n_candidates
        FROM nw_named WHERE n_candidates <= {int(w.missing_max_candidates)} AND child <> suspect"""

    base = f"""CASE edge_type WHEN 'co_suspect' THEN {w.co_suspect} WHEN 'suspect_victim' THEN {w.suspect_victim}
        WHEN 'shared_phone' THEN {w.shared_phone} WHEN 'shared_vehicle' THEN {w.shared_vehicle}
        WHEN 'shared_address' THEN {w.shared_address} WHEN 'alias' THEN {w.alias} ELSE 1.0 END"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_edge_raw AS
        SELECT * FROM ({crime_edges} UNION ALL {pivot_edges} UNION ALL {missing_edges})
          t(person_a, person_b, edge_type, pv, d, k, prov, crime, n_sharing)""")
    # the weight of a missing-episode match depends on how it matched; keep it per episode row
    named_weight = f"""max(CASE kind WHEN 'full' THEN {w.missing_full_name} WHEN 'near' THEN {w.missing_near_name}
        WHEN 'alias' THEN {w.missing_alias} ELSE {w.missing_forename} END / n_candidates)"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_edge AS
        WITH m AS (
            SELECT least(child, suspect) AS person_a, greatest(child, suspect) AS person_b, {named_weight} AS mw
            FROM nw_named WHERE n_candidates <= {int(w.missing_max_candidates)} GROUP BY ALL)
        SELECT e.person_a, e.person_b, e.edge_type,
               CASE WHEN e.edge_type IN ('co_suspect', 'suspect_victim')
                      THEN {base} * least(count(DISTINCT e.crime), {int(w.crime_cap)})
                    WHEN e.edge_type = 'missing_with' THEN any_value(m.mw) * least(count(DISTINCT e.prov[1]), {int(w.crime_cap)})
                    ELSE max({base} / (e.n_sharing - 1)) END AS weight,
               min(e.d) AS first_date, max(e.d) AS last_date,
               CASE WHEN count(DISTINCT e.pv) > 0 THEN string_agg(DISTINCT e.pv, '; ' ORDER BY e.pv) END AS pv,
               list_sort(list_distinct(flatten(list(e.prov)))) AS provenance,
               min(e.n_sharing) AS n_sharing, min(e.k) AS known_date,
               list_sort(list_distinct(list(e.crime) FILTER (WHERE e.crime IS NOT NULL))) AS crimes
        FROM nw_edge_raw e LEFT JOIN m ON e.edge_type = 'missing_with' AND m.person_a = e.person_a AND m.person_b = e.person_b
        WHERE e.person_a <> e.person_b
        GROUP BY e.person_a, e.person_b, e.edge_type""")
    # names that could be more men than make an edge: kept aside, in nw_edge's columns, as the evidence for a child
    # whose several such episodes all point to one group (groups._join_by_named adds those it uses to nw_edge)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_edge_vague AS
        SELECT least(child, suspect) AS person_a, greatest(child, suspect) AS person_b, 'missing_with' AS edge_type,
               {named_weight} * least(count(DISTINCT source || ':' || eid), {int(w.crime_cap)}) AS weight,
               min(start_date) AS first_date, max(start_date) AS last_date, NULL::VARCHAR AS pv,
               list_sort(list_distinct(flatten(list([source || ':' || eid, child_rec, suspect_rec])))) AS provenance,
               min(n_candidates) AS n_sharing, min(start_date) AS known_date, []::VARCHAR[] AS crimes
        FROM nw_named WHERE n_candidates > {int(w.missing_max_candidates)} AND child <> suspect
        GROUP BY 1, 2""")
