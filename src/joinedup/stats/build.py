"""Compute every table of the publication from a linked warehouse (no files written here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from joinedup.stats import joint
from joinedup.stats import warehouse as wh
from joinedup.stats.joint import Ledger
from joinedup.stats.baseline import AGE_BANDS, NATIONALITY_GROUPS, Rows, baseline
from joinedup.stats.tables import (C, PROFILE_COLUMNS, X, Z, Link, Registry, Settings, StatTable, one_way_columns,
                                   profile, stack, two_way)

NS3 = ("Recorded", "Not stated", "Not recorded", "Not collected")
MAX_ROUNDS = 20


@dataclass
class Publication:
    """Every table, the notes they cite and the headline figures."""

    tables: list[StatTable]
    notes: list[tuple[int, str]]
    headline: dict = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    as_of: date | None = None
    network: bool = False
    link_run: str | None = None
    network_skipped: str | None = None  # why the stored network groups are not counted as of the date (else None)
    key_points: list[str] = field(default_factory=list)
    rounds: int = 1     # builds until suppression settled across tables
    ledger: Ledger | None = None   # every count of the linked tables as sums of atoms (for checking)


def _not_counted(as_of: date | None, skipped: str | None) -> str:
    """Why no network groups are counted: the stage never ran, or its stored run is on data after the as-of date."""
    if skipped and as_of:
        return (f"The network stage's stored groups were computed on data from after {as_of.isoformat()}, the date "
                "this release is as of")
    return "The network stage has not been run on this warehouse"


def notes(s: Settings, as_of: date | None, network: bool, skipped: str | None = None) -> list[tuple[int, str]]:
    """The notes sheet: every symbol, definition and caveat the tables cite."""
    rnd = (f"Counts shown are rounded to the nearest {s.round_base}; totals are rounded on their own and may not "
           "equal the sum of their rounded parts." if s.round_base > 1 else "Counts are not rounded.")
    return [
        (1, f"[c] confidential: the count is suppressed to protect individuals. Counts from 1 to {s.threshold - 1} are "
            "suppressed (primary suppression), and further cells are suppressed so that no suppressed count can be "
            "worked out from the row, column or grand totals (secondary suppression). A percentage is suppressed "
            "when its numerator or denominator is."),
        (2, f"[x] not available: the data cannot support the figure. Shares and representation ratios are withheld "
            f"where the characteristic is recorded for fewer than {s.min_completeness:.0%} of the people counted, "
            "because a share among the recorded could then mislead; the bounds are still shown. Also used where no "
            "population baseline exists."),
        (3, "[z] not applicable: for example a percentage of a total of zero, or a ratio for a status row."),
        (4, "Recorded: a usable value. Not stated: the person declined or the recorder could not say (NS, refused, "
            "officer-observed IC9, sex not known). Not recorded: the system has the field but it was left blank. "
            "Not collected: the source system has no such field at all."),
        (5, "Records are rows as each agency holds them. Linked persons are the people behind them after record "
            "linkage across agencies: a person counts as recorded if any of their records holds a value, and their "
            "ethnic group is the one most of their records give. A person can be a suspect in more than one force, "
            "so force figures need not add up to the national figure."),
        (6, "95% confidence intervals are Wilson score intervals for a proportion. They describe chance variation "
            "only, not bias from who gets recorded."),
        (7, "Bounds for missing data: the lower bound is the share if no one whose value is missing (not stated, "
            "not recorded or not collected) is in the group; the upper bound is the share if every one of them is. "
            "The true share over everyone lies between them whatever the missing values are."),
        (8, "Population baseline: Office for National Statistics, Census 2021, ethnic group of usual residents in "
            "England and Wales (TS021), five high-level groups. The representation ratio is the share among the "
            "recorded divided by the population share; 1 means in proportion. An area uses its own baseline when one "
            "is given (--baseline); otherwise England and Wales (the synthetic forces are not real areas). Each row "
            "names the baseline used. Nationality: Census 2021 passports held (TS005): 9.9% of usual residents held a "
            "non-UK passport, taken as the share of another nationality; the other 90.1% (a UK passport or none) as "
            "British. Passports held is not nationality (a person with no passport may be a foreign national), so "
            "these ratios are approximate."),
        (9, "Group-based child sexual exploitation: suspects on crimes with the CSE flag that have two or more "
            "suspects" + (", together with members of groups found by the network stage." if network else
                          ". " + _not_counted(as_of, skipped) + ", so groups it would find are not "
                          "included.")),
        (10, rnd + " A figure published in more than one table is suppressed alike in each."),
        (11, "All figures come from a synthetic world made by joinedup's generator: no real person is in them. "
             + (f"Data as known on {as_of.isoformat()}." if as_of else "Data as currently held.")),
        (12, "Age bands: the Census 2021 broad bands (0 to 15, 16 to 24, 25 to 34, 35 to 49, 50 to 64, 65 and "
             "over). The ethnic group shares by age band shipped with joinedup are SYNTHETIC: illustrative figures "
             "chosen to average back to the real Census 2021 all-ages shares and to be younger for minority groups, "
             "not published ONS figures. A ratio against them demonstrates the method only; a real release must use "
             "ONS figures (RM032, ethnic group by age) through --baseline."),
    ]


def _keys(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    return [r[0] for r in con.execute(sql).fetchall()]


def build(con: duckdb.DuckDBPyConnection, s: Settings, as_of: date | None, base_rows: Rows | None = None) -> Publication:
    """All tables of the publication from a prepared connection (see warehouse.prepare).

    Figures published in more than one table are suppressed alike, and tables linked by addition are
    protected jointly: the tables are built again, forcing every shared cell hidden anywhere and one cell of
    every combination of shown cells across tables that would give a hidden one away (joint.py), until no
    table shows what another hides and no hidden cell can be worked out from all the tables together.
    """
    reg = Registry()
    for rounds in range(1, MAX_ROUNDS + 1):
        ledger = Ledger()
        pub = _build(con, s, as_of, base_rows, reg, ledger)
        added = joint.close(ledger.cells)
        if reg.settled() and not added:
            pub.rounds, pub.ledger = rounds, ledger
            return pub
        reg = reg.merged()
        for ident, part in added:
            reg.force.setdefault(ident, set()).add(part)
    raise RuntimeError("suppression of figures shared between tables did not settle")


def _build(con: duckdb.DuckDBPyConnection, s: Settings, as_of: date | None, base_rows: Rows | None,
           reg: Registry, ledger: Ledger) -> Publication:
    net = wh.network_present(con)
    skipped = None if net else wh.network_skipped(con)
    # families of tables linked by addition: records by field, persons by ethnic group and by nationality
    for f in wh.FIELDS:
        ledger.family(("records", f), wh.record_atoms(con, f), [["org", "agency"], ["role"], ["status"]])
    person_dims = [["role"], ["force"], ["sex"], ["band"], ["status"]]
    ledger.family(("persons", "eth"), wh.person_atoms(con, as_of, "eth"), person_dims)
    ledger.family(("persons", "nat"), wh.person_atoms(con, as_of, "nat"), person_dims)

    def rec(block: object, key_dim: str, f: str, **kw: object) -> Link:
        return Link(ledger, ("records", f), block, key_dim, **kw)
    agencies = _keys(con, "SELECT DISTINCT agency_type FROM st_rec ORDER BY 1")
    roles = _keys(con, "SELECT DISTINCT role FROM st_rec ORDER BY 1")
    orgs = con.execute("SELECT DISTINCT org_code, agency_type FROM st_rec ORDER BY 2, 1").fetchall()
    forces = _keys(con, "SELECT DISTINCT org_code FROM st_rec WHERE agency_type = 'police' UNION "
                        "SELECT DISTINCT force FROM st_crime ORDER BY 1")
    years = _keys(con, "SELECT DISTINCT year FROM st_crime WHERE year IS NOT NULL ORDER BY 1")
    t: list[StatTable] = []

    # roles only police records carry: their rows in Table 2 are the police rows of Tables 4 and 6
    police_roles = set(_keys(con, "SELECT role FROM st_rec GROUP BY role HAVING bool_and(agency_type = 'police')"))
    code_of = {v: k for k, v in wh.ROLE_LABELS.items()}

    def per_field(by: str, keys: list, label: str, total: str) -> list[StatTable]:
        out = []
        for f, name in wh.FIELDS.items():
            # the all-records total row is the same figure in tables 1 and 2 (and 3 for ethnicity)
            ident = (lambda lab, f=f, by=by: ("records", f, "ALL") if lab == total else
                     ("records", f, lab) if by == "role" and lab in police_roles else None)
            out.append(two_way("", "", "", wh.completeness_records(con, f, by), label, keys, NS3, s, total,
                               lead=[("Field", [name] * (len(keys) + 1))], ident=ident, reg=reg,
                               link=rec((by, f), "agency", f) if by == "agency_type" else None))
        return out

    t.append(stack("Table_1", "Completeness of person records by field and agency type",
                   "Number of person records by whether each field is recorded, for each type of agency, with the "
                   "percentage recorded and its 95% confidence interval.",
                   per_field("agency_type", agencies, "Agency type", "All agency types"), [1, 4, 6, 10, 11],
                   "Agencies differ in what they collect: health and education systems hold no officer-observed "
                   "ethnicity and often no nationality, shown as not collected."))
    t.append(stack("Table_2", "Completeness of person records by field and role",
                   "Number of person records by whether each field is recorded, for each role a record gives a "
                   "person (suspect, victim, child, patient and so on).",
                   per_field("role", roles, "Role", "All roles"), [1, 4, 6, 10, 11]))
    league = two_way("Table_3", "League table: self-defined ethnicity recorded, by organisation",
                     "Number of person records by whether self-defined ethnicity is recorded, for each police force, "
                     "local authority, health trust and school, ranked by the percentage recorded.",
                     wh.completeness_records(con, "ethnicity_self", "org_code"), "Organisation",
                     [o for o, _ in orgs], NS3, s, "All organisations",
                     lead=[("Agency type", [a for _, a in orgs] + ["All agency types"])], notes=[1, 4, 6, 10, 11],
                     reg=reg, link=rec("Table_3", "org", "ethnicity_self"),
                     ident=lambda lab: ("records", "ethnicity_self", "ALL") if lab == "All organisations" else None,
                     caveat="A high rank means more complete recording, not better practice in every respect; "
                            "small organisations have wide intervals.")
    _rank(league)
    t.append(league)
    blocks = []
    for f in ("ethnicity_self", "ethnicity_observed", "nationality"):
        name = wh.FIELDS[f]
        recs = two_way("", "", "", wh.completeness_records(con, f, "role", "agency_type = 'police' AND role IN "
                                                          "('SUSPECT', 'VICTIM')").assign(
            k=lambda d: d.k.map(wh.ROLE_LABELS)), "Role", ["Suspect", "Victim"], NS3, s, "Suspects and victims",
            lead=[("Field", [name] * 3), ("Counted on", ["Police records"] * 3)],
            ident=lambda lab, f=f: ("records", f, code_of[lab]) if lab in code_of else None, reg=reg,
            link=rec(("Table_4", f), "role", f, fixed={"agency": "police"}, key_value=code_of.get))
        pers = two_way("", "", "", pd.concat([wh.completeness_persons(con, f, r) for r in ("SUSPECT", "VICTIM")]),
                       "Role", ["Suspect", "Victim"], NS3, s, "Suspects and victims",
                       lead=[("Field", [name] * 3), ("Counted on", ["Linked persons (every agency)"] * 3)],
                       ident=lambda lab, f=f: ("persons", f, code_of[lab]) if lab in code_of else None, reg=reg,
                       link=None if f == "ethnicity_observed" else
                       Link(ledger, ("persons", "eth" if f == "ethnicity_self" else "nat"), ("Table_4p", f), "role",
                            key_value=code_of.get, part_values={"Recorded": set(
                                wh.GROUPS if f == "ethnicity_self" else NATIONALITY_GROUPS)}))
        blocks += [recs, pers]
    t.append(stack("Table_4", "Completeness for suspects and victims: police records and linked persons",
                   "Number of suspects and victims by whether each protected characteristic is recorded, counted "
                   "on police records and on linked persons (recorded if any agency's record of the person holds it).",
                   blocks, [1, 4, 5, 6, 10, 11],
                   "Linking records across agencies fills gaps: a suspect whose ethnicity the police left blank may "
                   "have it recorded by a health or education service."))
    trend = [two_way("", "", "", wh.completeness_by_year(con, r), "Year recorded", years, NS3, s, "All years",
                     lead=[("Role", [wh.ROLE_LABELS[r]] * (len(years) + 1))]) for r in ("SUSPECT", "VICTIM")]
    t.append(stack("Table_5", "Trend: self-defined ethnicity recorded for suspects and victims, by year",
                   "Number of suspect and victim records on crimes recorded in each year, by whether self-defined "
                   "ethnicity is recorded.", trend, [1, 4, 6, 10, 11]))
    t.append(two_way("Table_6", "Self-defined ethnicity recorded for suspects, by force (police records)",
                     "Number of suspect records held by each police force by whether self-defined ethnicity is "
                     "recorded: the measure behind the national audit's finding that about two thirds of suspects' "
                     "ethnicity was not recorded.",
                     wh.completeness_records(con, "ethnicity_self", "org_code",
                                             "agency_type = 'police' AND role = 'SUSPECT'"),
                     "Force", forces, NS3, s, "England and Wales", notes=[1, 4, 6, 10, 11],
                     caveat="Counted on records: a suspect recorded twice by a force counts twice.",
                     ident=lambda lab: ("records", "ethnicity_self", "SUSPECT") if lab == "England and Wales" else None,
                     reg=reg, link=rec("Table_6", "org", "ethnicity_self", fixed={"agency": "police", "role": "SUSPECT"})))
    h1 = two_way("Table_7", "Headline: ethnicity recorded for suspects in group-based CSE, by force (police records)",
                 "Number of suspect records in group-based child sexual exploitation by whether the force's own record "
                 "holds the suspect's self-defined ethnicity.", wh.headline_records(con), "Force", forces, NS3, s,
                 "England and Wales", notes=[1, 4, 6, 9, 10, 11],
                 caveat="This is the measure the national audit reported (37% and 34% recorded nationally).")
    h2 = two_way("Table_8", "Headline: ethnicity recorded for suspects in group-based CSE, by force (linked persons)",
                 "Number of people suspected in group-based child sexual exploitation by whether any agency's record "
                 "of them holds their self-defined ethnicity.", wh.headline_persons(con), "Force", forces, NS3, s,
                 "England and Wales", notes=[1, 4, 5, 6, 9, 10, 11],
                 caveat="A person suspected in two forces counts in each, once nationally.")
    t += [h1, h2]
    t.append(two_way("Table_9", "Completeness of the CSE flag on recorded crimes, by force",
                     "Number of recorded crimes by whether the child sexual exploitation flag is recorded (yes or no) "
                     "or left blank.", wh.cse_flag_completeness(con), "Force", forces, ("Recorded", "Not recorded"), s,
                     "England and Wales", notes=[1, 4, 6, 10, 11],
                     caveat="A blank flag cannot be told apart from a system that has no flag at all."))
    base = baseline(None, base_rows)
    groups = list(wh.GROUPS)
    statuses = ["Not stated", "Not recorded", "Not collected"]
    rows = []
    for role in ("SUSPECT", "VICTIM"):
        counts = _counts(wh.profile(con, role, False))
        rows += profile("England and Wales", wh.ROLE_LABELS[role], counts.get("England and Wales", {}), groups,
                        statuses, base, s, ("persons", "ethnicity_self", role), reg,
                        Link(ledger, ("persons", "eth"), ("Table_10", role), fixed={"role": role}))
    t.append(StatTable("Table_10", "Ethnic group of suspects and victims, England and Wales (linked persons)",
                       "Number of people suspected of or victims of recorded crimes by ethnic group, the share among "
                       "those whose ethnicity is recorded with its 95% confidence interval, bounds for the missing, "
                       "and the ratio to the group's share of the population.", PROFILE_COLUMNS, rows,
                       [1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
                       "Where ethnicity is recorded for too few people the share is withheld ([x]); read the bounds "
                       "instead: they show how far the missing could move the figure."))
    rows = []
    for role in ("SUSPECT", "VICTIM"):
        counts = _counts(wh.profile(con, role, True))
        for f in forces:
            rows += profile(f, wh.ROLE_LABELS[role], counts.get(f, {}), groups, statuses, baseline(f, base_rows), s,
                            reg=reg, link=Link(ledger, ("persons", "eth"), ("Table_11", f, role),
                                               fixed={"role": role, "force": f}))
    t.append(StatTable("Table_11", "Ethnic group of suspects and victims, by force (linked persons)",
                       "As table 10, for each police force.", PROFILE_COLUMNS, rows, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
                       "Each force's figures are protected on their own and many small counts are suppressed."))
    rows = []
    for role in ("SUSPECT", "VICTIM"):
        counts = _counts(wh.profile_by_sex(con, role))
        for sex, code in (("Male", "male"), ("Female", "female")):
            for r in profile("England and Wales", wh.ROLE_LABELS[role], counts.get(sex, {}), groups, statuses,
                             baseline(None, base_rows, code), s, reg=reg,
                             link=Link(ledger, ("persons", "eth"), ("Table_12", sex, role),
                                       fixed={"role": role, "sex": sex[0]})):
                rows.append(r[:2] + [sex] + r[2:])
    t.append(StatTable("Table_12", "Ethnic group of suspects and victims by sex, England and Wales (linked persons)",
                       "As table 10, for men and boys and for women and girls separately (people whose records give "
                       "their sex as male or female). The baseline is for the same sex where one is given, otherwise "
                       "for all sexes, as the baseline column says.", PROFILE_COLUMNS[:2] + ["Sex"] + PROFILE_COLUMNS[2:],
                       rows, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
                       "Most suspects are male and most victims female; boys who are victims are few and often "
                       "suppressed."))
    rows = []
    nat_groups = list(NATIONALITY_GROUPS)
    for role in ("SUSPECT", "VICTIM"):
        nat = _counts(wh.profile(con, role, False, "nat"))
        rows += profile("England and Wales", wh.ROLE_LABELS[role], nat.get("England and Wales", {}), nat_groups,
                        statuses, baseline(None, base_rows, groups=NATIONALITY_GROUPS), s,
                        ("persons", "nationality", role), reg,
                        Link(ledger, ("persons", "nat"), ("Table_13 national", role), fixed={"role": role}))
        nat_f = _counts(wh.profile(con, role, True, "nat"))
        for f in forces:
            rows += profile(f, wh.ROLE_LABELS[role], nat_f.get(f, {}), nat_groups, statuses,
                            baseline(f, base_rows, groups=NATIONALITY_GROUPS), s, reg=reg,
                            link=Link(ledger, ("persons", "nat"), ("Table_13", f, role),
                                      fixed={"role": role, "force": f}))
    t.append(StatTable("Table_13", "Nationality of suspects and victims, England and Wales and by force (linked persons)",
                       "Number of people suspected of or victims of recorded crimes by nationality (British or "
                       "another), with shares, intervals, bounds and the ratio to the share of the population holding "
                       "a non-UK passport (Census 2021), the nearest published measure of nationality.",
                       PROFILE_COLUMNS, rows, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
                       "Several police systems hold no nationality field at all (not collected). The baseline is "
                       "passports held, not nationality: people with no passport are counted as British."))
    t.append(two_way("Table_14", "Crimes flagged as child sexual exploitation, by year recorded and force",
                     "Number of recorded crimes carrying the CSE flag, by the year recorded and the force.",
                     wh.cse_crimes(con), "Year recorded", years, forces, s, "All years", share_of=None,
                     part_unit="number of crimes", notes=[1, 10, 11],
                     caveat="The flag is applied inconsistently; these counts are a floor, not the true scale."))
    t.append(_network(con, net, s, as_of, skipped))
    rows = []
    for role in ("SUSPECT", "VICTIM"):
        counts: dict = {}
        for sex, band, st, n in wh.profile_by_sex_age(con, role, as_of)[["sex", "k", "status", "n"]].itertuples(index=False):
            counts.setdefault((sex, band), {})[st] = counts.get((sex, band), {}).get(st, 0) + int(n)
        for sex, code in (("Male", "male"), ("Female", "female")):
            for band in AGE_BANDS + (wh.AGE_UNKNOWN,):
                base_b = baseline(None, base_rows, code, band if band in AGE_BANDS else "all ages")
                for r in profile("England and Wales", wh.ROLE_LABELS[role], counts.get((sex, band), {}), groups,
                                 statuses, base_b, s, reg=reg,
                                 link=Link(ledger, ("persons", "eth"), ("Table_16", sex, band, role),
                                           fixed={"role": role, "sex": sex[0], "band": band})):
                    rows.append(r[:2] + [sex, band] + r[2:])
    t.append(StatTable("Table_16", "Ethnic group of suspects and victims by sex and age band, England and Wales "
                       "(linked persons)",
                       "As table 12, for each Census age band: age at the person's first crime in that role (the "
                       "offence for suspects, the harm for victims). Each row's baseline is for the same age band "
                       "(and sex where one is given).", PROFILE_COLUMNS[:2] + ["Sex", "Age band"] + PROFILE_COLUMNS[2:],
                       rows, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12],
                       "The shipped age-band baseline is SYNTHETIC (illustrative figures, not ONS figures): the "
                       "ratios show the method, not a finding; pass real figures with --baseline."))
    pub = Publication(t, notes(s, as_of, net, skipped), _headline(h1, h2, s), s, as_of, net, wh.link_run(con),
                      network_skipped=skipped)
    pub.key_points = key_points(pub)
    return pub


def _row(t: StatTable, col: str, value: object) -> list | None:
    i = t.columns.index(col)
    return next((r for r in t.rows if r[i] == value), None)


def key_points(pub: Publication) -> list[str]:
    """Plain-English sentences for a non-specialist, each with the caveat it needs."""
    t = {x.key: x for x in pub.tables}
    s = pub.settings
    out = [pub.headline["text"]]
    pct = "Recorded (percentage)"
    nat = _row(t["Table_6"], "Force", "England and Wales")
    if nat and not isinstance(nat[t["Table_6"].columns.index(pct)], str):
        i = t["Table_6"].columns.index(pct)
        shown = [(r[0], r[i]) for r in t["Table_6"].rows[:-1] if not isinstance(r[i], str)]
        low = [f for f, v in shown if v < 100 * s.min_completeness]
        line = f"Police recorded the self-defined ethnicity of {nat[i]}% of suspects on their records"
        if shown:
            lo, hi = min(shown, key=lambda x: x[1]), max(shown, key=lambda x: x[1])
            line += f", from {lo[1]}% in {lo[0]} to {hi[1]}% in {hi[0]}"
        line += (f"; {len(low)} of {len(shown)} forces are below {s.min_completeness:.0%}." if shown else ".")
        out.append(line)
    t4 = t["Table_4"]
    ci, ri = t4.columns.index("Counted on"), t4.columns.index("Role")
    rec = next((r for r in t4.rows if r[0] == "Self-defined ethnicity" and r[ri] == "Suspect"
                and r[ci] == "Police records"), None)
    per = next((r for r in t4.rows if r[0] == "Self-defined ethnicity" and r[ri] == "Suspect"
                and r[ci] != "Police records"), None)
    if rec and per:
        i = t4.columns.index(pct)
        out.append(f"Joining up records across agencies raises this to {per[i]}% of suspects (from {rec[i]}% on "
                   "police records alone): health, education or social care often hold what the police left blank.")
    t10 = t["Table_10"]
    for role in ("Suspect", "Victim"):
        r = next((x for x in t10.rows if x[1] == role and x[2] == "Total"), None)
        if r:
            stmt = r[t10.columns.index("Can the data support a statement?")]
            why = stmt.split(": ", 1)[-1]
            if stmt.startswith("Not"):
                out.append(f"The data cannot support a statement about {role.lower()}s' ethnic group in England and "
                           f"Wales ({why}): the tables give only the range the true shares must lie in.")
            elif stmt.startswith("Supported"):
                out.append(f"The data can support a statement about {role.lower()}s' ethnic group in England and "
                           f"Wales ({why}): shares are given with 95% confidence intervals and bounds for the missing.")
    if not pub.network:
        out.append("Groups found by the network stage are not counted: "
                   + ("its stored run was computed on data from after the date this release is as of."
                      if pub.network_skipped else "that stage has not been run on this warehouse."))
    return out


def _counts(d) -> dict:
    out: dict = {}
    for k, st, n in d[["k", "status", "n"]].itertuples(index=False):
        out.setdefault(k, {})[st] = out.get(k, {}).get(st, 0) + int(n)
    return out


def _rank(t: StatTable) -> None:
    """Sort organisations by percentage recorded (suppressed last) and add a rank column."""
    pct = t.columns.index("Recorded (percentage)")
    body, total = t.rows[:-1], t.rows[-1]
    body.sort(key=lambda r: (isinstance(r[pct], str), -(r[pct] if not isinstance(r[pct], str) else 0)))
    rank = 0
    for r in body:
        if not isinstance(r[pct], str):
            rank += 1
            r.insert(0, rank)
        else:
            r.insert(0, r[pct])
    total.insert(0, Z)
    t.columns.insert(0, "Rank")
    t.rows = body + [total]


def _network(con: duckdb.DuckDBPyConnection, net: bool, s: Settings, as_of: date | None = None,
             skipped: str | None = None) -> StatTable:
    title = "Group-based CSE: groups detected by the network stage"
    if not net:
        return StatTable("Table_15", title, _not_counted(as_of, skipped) + ", so no groups "
                         "are counted here (see table 7 for suspects on CSE-flagged crimes with two or more suspects).",
                         ["Size of group", "Groups (number)", "Suspects (number)", "Victims (number)",
                          "Groups in two or more forces (number)", "First year seen", "Last year seen"],
                         [["Network stage not run" if not skipped else "Network run on later data", X, X, X, X,
                           X, X]], [2, 11],
                         "No figures: the network stage has not been run." if not skipped else
                         "No figures: run joinedup network --as-of the same date to count its groups.")
    d = wh.network_summary(con)
    order = ["2 to 4 suspects", "5 to 9 suspects", "10 or more suspects"]
    d = d.set_index("k").reindex(order).fillna(0)
    return one_way_columns(
        "Table_15", title, "Number of groups found by the network stage, by size, with their suspects and victims "
        "and how many span two or more forces.", "Size of group", order,
        {"Groups (number)": d.groups.astype(int).tolist(), "Suspects (number)": d.suspects.astype(int).tolist(),
         "Victims (number)": d.victims.astype(int).tolist(),
         "Groups in two or more forces (number)": d.multi_force.astype(int).tolist()},
        s, {"First year seen": [int(x) if x else Z for x in d.first_year], "Last year seen": [int(x) if x else Z for x in d.last_year]},
        [1, 9, 10, 11], "Groups are found from records linked across agencies; a group the records never connect is missed.")


def _headline(h1: StatTable, h2: StatTable, s: Settings) -> dict:
    pct = h1.columns.index("Recorded (percentage)")
    tot = h1.columns.index("Total (number)")
    nat, nat2 = h1.rows[-1], h2.rows[-1]
    by_force = {r[0]: r[pct] for r in h1.rows[:-1]}

    lo, hi = h1.columns.index("95% CI lower (percentage)"), h1.columns.index("95% CI upper (percentage)")

    def say(row: list, who: str) -> str:
        v, n = row[pct], row[tot]
        if v == C or n == C:
            return "the share cannot be given: too few suspects to publish safely"
        if v == Z:
            return "no suspects in group-based CSE were found"
        return (f"ethnicity recorded{who} for {v}% of {n} suspects in group-based CSE "
                f"(95% confidence interval {row[lo]}% to {row[hi]}%)")
    return {"records_percent": nat[pct], "persons_percent": nat2[pct], "suspects": nat[tot],
            "text": f"England and Wales: {say(nat, '')} on police records; {say(nat2, ' by any agency')} "
                    "on linked persons.",
            "by_force": by_force}
