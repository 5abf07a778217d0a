"""Agency export layouts written by the synthetic world, and the ingest mapping YAML for each.

Each layout says, per extract file: the column headers, which canonical value fills each column and
how it is rendered (date format, code list, sex encoding), and the mapping-format fields spec that
reads it back. The mapping YAML files in src/joinedup/ingest/mappings/ are generated from these
definitions (`python -m joinedup.synth.layouts`), so extracts and mappings cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Police 18+1 -> older 16+1 (O1 was Chinese; W3 and O2 did not exist)
TO_16PLUS1 = {"W3": "W9", "O2": "O9", "A4": "O1"}
# Police 18+1 -> DfE codes used by children's social care and schools
TO_DFE = {
    "W1": "WBRI", "W2": "WIRI", "W3": "WIRT", "W9": "WOTH", "M1": "MWBC", "M2": "MWBA", "M3": "MWAS",
    "M9": "MOTH", "A1": "AIND", "A2": "APKN", "A3": "ABAN", "A4": "CHNE", "A9": "AOTH", "B1": "BCRB",
    "B2": "BAFR", "B9": "BOTH", "O2": "OOTH", "O9": "OOTH", "NS": "REFU", "": "NOBT",
}
# Police 18+1 -> NHS data dictionary ethnic category letters (read back with a `map`)
TO_NHS = {
    "W1": "A", "W2": "B", "W3": "C", "W9": "C", "M1": "D", "M2": "E", "M3": "F", "M9": "G", "A1": "H",
    "A2": "J", "A3": "K", "A9": "L", "B1": "M", "B2": "N", "B9": "P", "A4": "R", "O2": "S", "O9": "S",
    "NS": "Z", "": "",
}
NHS_MAP = {"A": "W1", "B": "W2", "C": "W9", "D": "M1", "E": "M2", "F": "M3", "G": "M9", "H": "A1", "J": "A2",
           "K": "A3", "L": "A9", "M": "B1", "N": "B2", "P": "B9", "R": "A4", "S": "O9", "Z": "NS"}
# Home Office class -> pre-2004 legacy code (codes/legacy/offence.csv is coarse: nearest code used)
TO_PRE2004 = {
    "19D": "19/4", "19E": "19/5", "19G": "19/6", "19H": "19/6", "22B": "22/1", "20B": "20/2", "17B": "22/1",
    "21": "22/1", "71": "71/1", "72": "71/1", "88A": "22/1", "19C": "XX", "19F": "XX", "73": "XX",
    "SOA59-S1": "SOL", "OTHER": "XX",
}
# Home Office class -> Sexual Offences Act section (Athena-like systems charge by statute)
TO_STATUTE = {
    "19C": "SOA03-S1", "19D": "SOA03-S1", "19F": "SOA03-S1", "19G": "SOA03-S1", "19E": "SOA03-S5",
    "19H": "SOA03-S5", "17B": "SOA03-S7", "20B": "SOA03-S7", "21": "SOA03-S7", "22B": "SOA03-S9",
    "71": "SOA03-S48", "88A": "SOA03-S15",
}
ALPHA3_TO_2 = {
    "GBR": "GB", "IRL": "IE", "POL": "PL", "ROU": "RO", "LTU": "LT", "SVK": "SK", "CZE": "CZ", "PAK": "PK",
    "BGD": "BD", "IND": "IN", "AFG": "AF", "SYR": "SY", "IRQ": "IQ", "EGY": "EG", "NGA": "NG", "GHA": "GH",
    "SLE": "SL", "JAM": "JM", "CHN": "CN", "HKG": "HK", "VNM": "VN", "ERI": "ER", "SDN": "SD", "ALB": "AL",
}


@dataclass
class FileSpec:
    """One extract file (or split family of files) of a layout."""

    stem: str                       # file name stem; split XLSX parts get _001, _002 ...
    table: str                      # standard table
    columns: list[tuple[str, str]]  # (header, canonical key); rendering chosen by the key
    fields: dict[str, Any]          # mapping-format fields spec
    event_type: str | None = None   # for event files holding one event type only

    def header_of(self, key: str) -> str | None:
        """The header of the column filled from canonical key, if any."""
        for h, k in self.columns:
            if k == key:
                return h
        return None


@dataclass
class Layout:
    """An agency system's export layout."""

    system: str
    agency_type: str
    description: str
    fmt: str                  # csv | xlsx | parquet
    encoding: str             # python codec used to write (csv only)
    date_fmt: str             # strftime-style format of full dates
    partial_dob: bool         # whether the system stores month/year-only dobs
    sex: dict[str, str]       # standard code -> this system's value
    files: list[FileSpec]
    delimiter: str = ","
    ethnicity: str = "police_18plus1"    # how self-defined ethnicity is written
    null_values: list[str] = field(default_factory=lambda: ["", "NULL"])

    @property
    def ext(self) -> str:
        """File extension written."""
        return {"csv": ".txt" if self.delimiter == "|" else ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}[self.fmt]

    def date_formats(self, partial: bool = False) -> list[str]:
        """strptime formats that read this layout's dates back (XLSX text dates are ISO too)."""
        fmts = [self.date_fmt]
        if self.fmt == "xlsx" and "%Y-%m-%d" not in fmts:
            fmts.append("%Y-%m-%d")
        if partial:
            fmts += {"%d/%m/%Y": ["%m/%Y", "%Y"], "%Y-%m-%d": ["%Y-%m", "%Y"], "%d-%b-%Y": ["%b-%Y", "%Y"]}[self.date_fmt]
        return fmts


def _date(layout_fmt: str) -> str:
    return layout_fmt


def _person_fields(lay: Layout, cols: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    """Common person_record fields spec from header names."""
    f: dict[str, Any] = {"source_record_id": cols["srid"]}
    for key in ("forename", "middle_names", "surname"):
        if key in cols:
            f[key] = cols[key]
    f["dob"] = {"column": cols["dob"], "format": lay.date_formats(partial=lay.partial_dob)}
    f.update(extra)
    return f


def _sexmap(lay_sex: dict[str, str]) -> dict[str, Any]:
    return {v: k for k, v in lay_sex.items() if v != k}


# ---------------------------------------------------------------------------------------------
# Police
NICHE_SEX = {"M": "Male", "F": "Female", "U": "Unknown"}
niche = Layout(
    system="niche", agency_type="police", description="Police records system export (Niche-like): nominals, occurrences, links, outcomes, missing reports",
    fmt="csv", encoding="utf-8", date_fmt="%d/%m/%Y", partial_dob=True, sex=NICHE_SEX, files=[])
niche.files = [
    FileSpec("nominals", "person_record",
             [("NominalRef", "srid"), ("Forename", "forename"), ("MiddleNames", "middle_names"), ("Surname", "surname"),
              ("AKA", "aliases"), ("DOB", "dob"), ("Gender", "sex"), ("AddressLine", "addr1"), ("Town", "town"),
              ("PostCode", "postcode"), ("Phones", "phones"), ("VRMs", "vehicles"), ("NHSNo", "nhs_number"),
              ("SDE", "ethnicity_self"), ("IC", "ethnicity_observed"), ("Nationality", "nationality"),
              ("NominalType", "role")],
             {}),
    FileSpec("occurrences", "crime",
             [("OccurrenceRef", "srid"), ("HOClass", "offence_code"), ("CSEFlag", "cse_flag"),
              ("CommittedFrom", "date_committed"), ("ReportedDate", "date_reported"), ("LocPostcode", "location_postcode")], {}),
    FileSpec("occurrence_links", "crime_person",
             [("LinkRef", "srid"), ("OccurrenceRef", "crime_record_id"), ("NominalRef", "person_record_id"), ("Involvement", "role")], {}),
    FileSpec("outcomes", "outcome",
             [("OutcomeRef", "srid"), ("OccurrenceRef", "crime_record_id"), ("NominalRef", "person_record_id"),
              ("OutcomeCode", "outcome_type"), ("OutcomeDate", "outcome_date"), ("ChargeHOClass", "charged_offence"),
              ("CourtResult", "court_result")], {}),
    FileSpec("missing_reports", "event",
             [("MisperRef", "srid"), ("NominalRef", "person_record_id"), ("MissingFrom", "start_date"),
              ("FoundDate", "end_date"), ("MissingType", "codes"), ("FoundLocation", "location"), ("FoundWith", "with_whom"),
              ("Circumstances", "detail")], {}, event_type="MISSING"),
]

ATHENA_SEX = {"M": "M", "F": "F", "U": "U"}
athena = Layout(
    system="athena", agency_type="police", description="Police records system export (Athena-like): persons, crimes, crime roles, disposals, missing persons",
    fmt="csv", encoding="utf-8", date_fmt="%Y-%m-%d", partial_dob=True, sex=ATHENA_SEX, files=[])
athena.files = [
    FileSpec("persons", "person_record",
             [("person_id", "srid"), ("first_name", "forename"), ("middle_name", "middle_names"), ("family_name", "surname"),
              ("known_as", "aliases"), ("birth_date", "dob"), ("sex", "sex"), ("house_street", "addr1"), ("town", "town"),
              ("postcode", "postcode"), ("telephone", "phones"), ("vehicle_vrm", "vehicles"), ("nhs_number", "nhs_number"),
              ("self_defined_ethnicity", "ethnicity_self"), ("officer_defined_ethnicity", "ethnicity_observed"),
              ("nationality_iso2", "nationality"), ("person_role", "role")], {}),
    FileSpec("crimes", "crime",
             [("crime_id", "srid"), ("ho_offence_code", "offence_code"), ("cse_marker", "cse_flag"),
              ("committed_date", "date_committed"), ("recorded_date", "date_reported"), ("scene_postcode", "location_postcode")], {}),
    FileSpec("crime_persons", "crime_person",
             [("crime_person_id", "srid"), ("crime_id", "crime_record_id"), ("person_id", "person_record_id"), ("role", "role")], {}),
    FileSpec("disposals", "outcome",
             [("disposal_id", "srid"), ("crime_id", "crime_record_id"), ("person_id", "person_record_id"),
              ("ho_outcome", "outcome_type"), ("outcome_date", "outcome_date"), ("charge_statute", "charged_offence"),
              ("court_result", "court_result")], {}),
    FileSpec("missing_persons", "event",
             [("misper_id", "srid"), ("person_id", "person_record_id"), ("reported_missing", "start_date"),
              ("returned", "end_date"), ("category", "codes"), ("where_found", "location"), ("found_with", "with_whom"),
              ("notes", "detail")], {}, event_type="MISSING"),
]

CONNECT_SEX = {"M": "1", "F": "2", "U": "0"}
connect = Layout(
    system="connect", agency_type="police", description="Older police system export (Connect-like, pipe-delimited, cp1252, 16+1 ethnicity, pre-2004 offence codes)",
    fmt="csv", encoding="cp1252", date_fmt="%d-%b-%Y", partial_dob=True, sex=CONNECT_SEX, files=[], delimiter="|",
    ethnicity="police_16plus1", null_values=["", "NULL", "N/K", "UNK"])
connect.files = [
    FileSpec("NOMINAL", "person_record",
             [("NOM_ID", "srid"), ("FNAME", "forename"), ("MNAME", "middle_names"), ("SNAME", "surname"), ("ALIAS", "aliases"),
              ("DOB", "dob"), ("SEX", "sex"), ("ADDR1", "addr1"), ("ADDR2", "town"), ("PCODE", "postcode"), ("TEL", "phones"),
              ("VEH", "vehicles"), ("NHS", "nhs_number"), ("ETH16", "ethnicity_self"), ("IC", "ethnicity_observed"), ("ROLE", "role")], {}),
    FileSpec("CRIME", "crime",
             [("CRIME_NO", "srid"), ("OFF_CODE", "offence_code"), ("CSE", "cse_flag"), ("DATE_COMM", "date_committed"),
              ("DATE_REP", "date_reported"), ("LOC_PCODE", "location_postcode")], {}),
    FileSpec("CRIMEROLE", "crime_person",
             [("ROLE_ID", "srid"), ("CRIME_NO", "crime_record_id"), ("NOM_ID", "person_record_id"), ("ROLE", "role")], {}),
    FileSpec("RESULT", "outcome",
             [("RESULT_ID", "srid"), ("CRIME_NO", "crime_record_id"), ("NOM_ID", "person_record_id"), ("OUTCOME", "outcome_type"),
              ("RESULT_DATE", "outcome_date"), ("CHARGE_CODE", "charged_offence"), ("COURT", "court_result")], {}),
    FileSpec("MISPER", "event",
             [("MISPER_ID", "srid"), ("NOM_ID", "person_record_id"), ("DATE_MISSING", "start_date"), ("DATE_FOUND", "end_date"),
              ("MTYPE", "codes"), ("FOUND_AT", "location"), ("FOUND_WITH", "with_whom")], {}, event_type="MISSING"),
]

# ---------------------------------------------------------------------------------------------
# Children's social care
liquidlogic = Layout(
    system="liquidlogic", agency_type="csc", description="Children's social care case system export (Liquidlogic-like CSV, UTF-8 with BOM, DfE codes)",
    fmt="csv", encoding="utf-8-sig", date_fmt="%d/%m/%Y", partial_dob=True, sex={"M": "M", "F": "F", "U": "U"}, files=[],
    ethnicity="dfe")
_ll_ev = [("PersonID", "person_record_id"), ("StartDate", "start_date"), ("EndDate", "end_date")]
liquidlogic.files = [
    FileSpec("children", "person_record",
             [("PersonID", "srid"), ("Forename", "forename"), ("Surname", "surname"), ("PreferredName", "aliases"),
              ("DateOfBirth", "dob"), ("Gender", "sex"), ("Address", "address"), ("Postcode", "postcode"),
              ("NHSNumber", "nhs_number"), ("UPN", "upn"), ("Ethnicity", "ethnicity_self"), ("Nationality", "nationality"),
              ("LookedAfter", "looked_after"), ("Disability", "disability_sen")], {}),
    FileSpec("referrals", "event", [("ReferralID", "srid")] + _ll_ev[:2] + [("ReferralSource", "referral_source"), ("Reason", "detail")],
             {}, event_type="REFERRAL"),
    FileSpec("assessments", "event", [("AssessmentID", "srid")] + _ll_ev + [("FactorCodes", "codes")], {}, event_type="ASSESSMENT"),
    FileSpec("cp_plans", "event", [("PlanID", "srid")] + _ll_ev + [("Category", "codes")], {}, event_type="CP_PLAN"),
    FileSpec("lac_episodes", "event", [("EpisodeID", "srid")] + _ll_ev + [("Placement", "location")], {}, event_type="LAC"),
    FileSpec("missing_episodes", "event", [("MissingID", "srid")] + _ll_ev + [("MissingType", "codes"), ("WhereFound", "location"),
                                                                            ("FoundWith", "with_whom")], {}, event_type="MISSING"),
]

MOSAIC_ETYPE = {"REFERRAL": "Contact/Referral", "ASSESSMENT": "Child and Family Assessment", "CP_PLAN": "Child Protection Plan",
                "LAC": "CLA Episode", "MISSING": "Missing Episode"}
mosaic = Layout(
    system="mosaic", agency_type="csc", description="Children's social care case system export (Mosaic-like XLSX workbooks, DfE codes)",
    fmt="xlsx", encoding="", date_fmt="%Y-%m-%d", partial_dob=True, sex={"M": "Male", "F": "Female", "U": "Not Known"}, files=[],
    ethnicity="dfe")
mosaic.files = [
    FileSpec("mosaic_persons", "person_record",
             [("Person ID", "srid"), ("First Name", "forename"), ("Other Names", "middle_names"), ("Last Name", "surname"),
              ("Date of Birth", "dob"), ("Gender", "sex"), ("Address", "address"), ("Post Code", "postcode"),
              ("NHS Number", "nhs_number"), ("Ethnicity", "ethnicity_self"), ("Nationality", "nationality"),
              ("CLA", "looked_after"), ("SEN/Disability", "disability_sen")], {}),
    FileSpec("mosaic_episodes", "event",
             [("Workflow Step ID", "srid"), ("Person ID", "person_record_id"), ("Step Type", "event_type"),
              ("Start Date", "start_date"), ("End Date", "end_date"), ("Factors", "codes"), ("Referral Source", "referral_source"),
              ("Location", "location"), ("With", "with_whom"), ("Notes", "detail")], {}),
]

# ---------------------------------------------------------------------------------------------
# Health and education
pas = Layout(
    system="pas", agency_type="health", description="NHS trust patient administration / attendance extract (Parquet, NHS ethnic category letters)",
    fmt="parquet", encoding="", date_fmt="%Y%m%d", partial_dob=False, sex={"M": "1", "F": "2", "U": "9"}, files=[],
    ethnicity="nhs")
pas.files = [
    FileSpec("patients", "person_record",
             [("LocalPatientID", "srid"), ("NHS_NUMBER", "nhs_number"), ("GIVEN_NAME", "forename"), ("FAMILY_NAME", "surname"),
              ("BIRTH_DATE", "dob"), ("GENDER", "sex"), ("ADDRESS_LINE_1", "addr1"), ("ADDRESS_LINE_2", "town"),
              ("POSTCODE", "postcode"), ("PHONE", "phones"), ("ETHNIC_CATEGORY", "ethnicity_self")], {}),
    FileSpec("attendances", "event",
             [("AttendanceID", "srid"), ("LocalPatientID", "person_record_id"), ("ARRIVAL_DATE", "start_date"),
              ("DIAG_CODES", "codes"), ("SITE", "location"), ("ACCOMPANIED_BY", "with_whom")], {}, event_type="HEALTH"),
]

sims = Layout(
    system="sims", agency_type="education", description="Schools / education service extract (SIMS-like XLSX): pupils and pupil events",
    fmt="xlsx", encoding="", date_fmt="%d/%m/%Y", partial_dob=False, sex={"M": "M", "F": "F", "U": "U"}, files=[],
    ethnicity="dfe")
sims.files = [
    FileSpec("pupils", "person_record",
             [("UPN", "upn"), ("Pupil ID", "srid"), ("Legal Forename", "forename"), ("Middle Name(s)", "middle_names"),
              ("Legal Surname", "surname"), ("Preferred Forename", "aliases"), ("DOB", "dob"), ("Gender", "sex"),
              ("Address", "address"), ("Postcode", "postcode"), ("NHS Number", "nhs_number"), ("Ethnicity", "ethnicity_self"),
              ("SEN Provision", "disability_sen"), ("In Care", "looked_after")], {}),
    FileSpec("pupil_events", "event",
             [("Event ID", "srid"), ("Pupil ID", "person_record_id"), ("Event Date", "start_date"), ("End Date", "end_date"),
              ("Event Code", "codes"), ("School", "location"), ("Notes", "detail")], {}, event_type="EDUCATION"),
]

LAYOUTS: dict[str, Layout] = {lay.system: lay for lay in (niche, athena, connect, liquidlogic, mosaic, pas, sims)}
POLICE_LAYOUTS = ["niche", "athena", "connect"]
CSC_LAYOUTS = ["liquidlogic", "mosaic"]

# Values each system writes for role / flags, read back through `map`
ROLE_WORDS = {
    "niche": {"VICTIM": "Victim", "SUSPECT": "Suspect", "WITNESS": "Witness", "ASSOCIATE": "Associate", "MISSING": "Missing Person"},
    "athena": {"VICTIM": "VIC", "SUSPECT": "SUS", "WITNESS": "WIT", "ASSOCIATE": "ASC", "MISSING": "MIS"},
    "connect": {"VICTIM": "V", "SUSPECT": "S", "WITNESS": "W", "ASSOCIATE": "A", "MISSING": "M"},
}
BOOL_WORDS = {"niche": ("Y", "N"), "athena": ("true", "false"), "connect": ("1", "0"), "liquidlogic": ("Y", "N"),
              "mosaic": ("Yes", "No"), "sims": ("Yes", "No")}
COURT_WORDS = {"niche": {"CONVICTED": "Convicted", "ACQUITTED": "Not Guilty", "DISCONTINUED": "Discontinued", "PENDING": "Awaiting Trial"},
               "athena": {}, "connect": {"CONVICTED": "GUILTY", "ACQUITTED": "NG", "DISCONTINUED": "DISC", "PENDING": "PEND"}}
SEN_WORDS = {"liquidlogic": {}, "mosaic": {"NONE": "None", "LD": "Learning Disability", "SEN": "SEN Support", "PD": "Physical Disability"},
             "sims": {"NONE": "N", "LD": "E", "SEN": "K", "PD": "K"}}
SIMS_SEN_MAP = {"N": "NONE", "E": "LD", "K": "SEN"}  # E = EHC plan (here: learning disability), K = SEN support
MISSING_WORDS = {"niche": {"M": "Missing", "A": "Absent"}, "athena": {}, "connect": {}, "liquidlogic": {}, "mosaic": {}}


def _inv(d: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in d.items() if v != k}


def _police_fields(lay: Layout) -> None:
    sysn = lay.system
    p, c, cp, o, m = lay.files
    H = {k: h for h, k in p.columns}
    eth = {"column": H["ethnicity_self"], "scheme": lay.ethnicity}
    obs: dict[str, Any] = {"column": H["ethnicity_observed"]}
    if sysn != "niche":
        obs["prefix"] = "IC"  # these systems store the IC digit only
    extra: dict[str, Any] = {
        "aliases": {"column": H["aliases"], "split": ";"},
        "sex": {"column": H["sex"], "map": _inv(lay.sex)} if _inv(lay.sex) else H["sex"],
        "address": {"concat": [H["addr1"], H["town"]], "sep": ", "},
        "postcode": H["postcode"],
        "phones": {"column": H["phones"], "split": ";"},
        "vehicles": {"column": H["vehicles"], "split": ";"},
        "nhs_number": H["nhs_number"],
        "ethnicity_self": eth,
        "ethnicity_observed": obs,
    }
    if "nationality" in H:
        extra["nationality"] = {"column": H["nationality"], "scheme": "iso_alpha2"} if sysn == "athena" else H["nationality"]
    extra["role"] = {"column": H["role"], "map": _inv(ROLE_WORDS[sysn])}
    p.fields = _person_fields(lay, H, extra)
    C = {k: h for h, k in c.columns}
    yes, no = BOOL_WORDS[sysn]
    off: dict[str, Any] = {"column": C["offence_code"]}
    if sysn == "connect":
        off["scheme"] = "ho_pre2004"
    c.fields = {"source_record_id": C["srid"], "offence_code": off,
                "cse_flag": {"column": C["cse_flag"], "map": {yes: "Y", no: "N"}} if (yes, no) != ("Y", "N") else C["cse_flag"],
                "date_committed": {"column": C["date_committed"], "format": lay.date_formats()},
                "date_reported": {"column": C["date_reported"], "format": lay.date_formats()},
                "location_postcode": C["location_postcode"]}
    CP = {k: h for h, k in cp.columns}
    cp.fields = {"source_record_id": CP["srid"], "crime_record_id": CP["crime_record_id"], "person_record_id": CP["person_record_id"],
                 "role": {"column": CP["role"], "map": _inv(ROLE_WORDS[sysn])}}
    O = {k: h for h, k in o.columns}
    charged: dict[str, Any] = {"column": O["charged_offence"]}
    if sysn == "connect":
        charged["scheme"] = "ho_pre2004"
    court: Any = {"column": O["court_result"], "map": _inv(COURT_WORDS[sysn])} if COURT_WORDS[sysn] else O["court_result"]
    o.fields = {"source_record_id": O["srid"], "crime_record_id": O["crime_record_id"], "person_record_id": O["person_record_id"],
                "outcome_type": O["outcome_type"], "outcome_date": {"column": O["outcome_date"], "format": lay.date_formats()},
                "charged_offence": charged, "court_result": court}
    M = {k: h for h, k in m.columns}
    mf: dict[str, Any] = {"source_record_id": M["srid"], "person_record_id": M["person_record_id"], "event_type": {"const": "MISSING"},
                          "start_date": {"column": M["start_date"], "format": lay.date_formats()},
                          "end_date": {"column": M["end_date"], "format": lay.date_formats()},
                          "codes": {"column": M["codes"], "map": _inv(MISSING_WORDS[sysn])} if MISSING_WORDS[sysn] else {"column": M["codes"]},
                          "location": M["location"], "with_whom": M["with_whom"]}
    if "detail" in M:
        mf["detail"] = M["detail"]
    m.fields = mf


def _event_fields(lay: Layout, fs: FileSpec) -> dict[str, Any]:
    E = {k: h for h, k in fs.columns}
    f: dict[str, Any] = {"source_record_id": E["srid"], "person_record_id": E["person_record_id"]}
    if fs.event_type:
        f["event_type"] = {"const": fs.event_type}
    else:
        f["event_type"] = {"column": E["event_type"], "map": _inv(MOSAIC_ETYPE)}
    f["start_date"] = {"column": E["start_date"], "format": lay.date_formats()}
    if "end_date" in E:
        f["end_date"] = {"column": E["end_date"], "format": lay.date_formats()}
    if "codes" in E:
        f["codes"] = {"column": E["codes"], "split": ";"}
    for k in ("location", "with_whom", "detail"):
        if k in E:
            f[k] = E[k]
    if "referral_source" in E:
        f["referral_source"] = E["referral_source"]
    return f


def _other_fields(lay: Layout) -> None:
    sysn = lay.system
    p = lay.files[0]
    H = {k: h for h, k in p.columns}
    extra: dict[str, Any] = {}
    if "aliases" in H:
        extra["aliases"] = {"column": H["aliases"], "split": ";"}
    extra["sex"] = {"column": H["sex"], "map": _inv(lay.sex)} if _inv(lay.sex) else H["sex"]
    if "address" in H:
        extra["address"] = H["address"]
    else:
        extra["address"] = {"concat": [H["addr1"], H["town"]], "sep": ", "}
    extra["postcode"] = H["postcode"]
    if "phones" in H:
        extra["phones"] = {"column": H["phones"], "split": ";"}
    extra["nhs_number"] = H["nhs_number"]
    if "upn" in H:
        extra["upn"] = H["upn"]
    if lay.ethnicity == "nhs":
        extra["ethnicity_self"] = {"column": H["ethnicity_self"], "map": NHS_MAP}
    else:
        extra["ethnicity_self"] = {"column": H["ethnicity_self"], "scheme": lay.ethnicity}
    if "nationality" in H:
        extra["nationality"] = H["nationality"]
    if "looked_after" in H:
        yes, no = BOOL_WORDS[sysn]
        extra["looked_after"] = {"column": H["looked_after"], "map": {yes: "Y", no: "N"}} if yes != "Y" else H["looked_after"]
    if "disability_sen" in H:
        m = SIMS_SEN_MAP if sysn == "sims" else _inv(SEN_WORDS[sysn])
        extra["disability_sen"] = {"column": H["disability_sen"], "map": m} if m else H["disability_sen"]
    extra["role"] = {"const": {"csc": "CHILD", "health": "PATIENT", "education": "PUPIL"}[lay.agency_type]}
    p.fields = _person_fields(lay, H, extra)
    for fs in lay.files[1:]:
        fs.fields = _event_fields(lay, fs)
    if sysn == "liquidlogic":
        for fs in lay.files[1:]:
            # Liquidlogic writes event dates as yyyymmdd (person dobs stay dd/mm/yyyy)
            for k in ("start_date", "end_date"):
                if k in fs.fields:
                    fs.fields[k]["format"] = ["%Y%m%d"]


for _lay in (niche, athena, connect):
    _police_fields(_lay)
for _lay in (liquidlogic, mosaic, pas, sims):
    _other_fields(_lay)


def event_date_fmt(lay: Layout) -> str:
    """The format this layout writes event dates in."""
    return "%Y%m%d" if lay.system == "liquidlogic" else lay.date_fmt


def mapping_dict(lay: Layout) -> dict[str, Any]:
    """The mapping-format dictionary for a layout (see docs/mapping-format.md)."""
    files = []
    for fs in lay.files:
        # XLSX extracts split into numbered parts; other files are single, so match them exactly
        glob = f"{fs.stem}_*{lay.ext}" if lay.fmt == "xlsx" else f"{fs.stem}{lay.ext}"
        ent: dict[str, Any] = {"file": glob, "table": fs.table}
        if lay.delimiter != ",":
            ent["delimiter"] = lay.delimiter
        ent["fields"] = _Block(fs.fields)
        files.append(_Block(ent))
    return _Block({
        "system": lay.system,
        "agency_type": lay.agency_type,
        "description": lay.description,
        "folders": f"*-{lay.system}",
        "org_code": {"folder_regex": "^([A-Z0-9]+)-"},
        "encoding": lay.encoding if lay.encoding == "cp1252" else "auto",
        "null_values": lay.null_values,
        "files": files,
    })


class _Dumper(yaml.SafeDumper):
    pass


class _Block(dict):
    """A mapping dumped block-style (the file, each file entry, each fields spec)."""


def _repr_dict(dumper: yaml.SafeDumper, data: dict) -> Any:
    # field specs read best inline, the surrounding structure block-style
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=not isinstance(data, _Block))


def _repr_list(dumper: yaml.SafeDumper, data: list) -> Any:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=not any(isinstance(x, dict) for x in data))


_Dumper.add_representer(dict, _repr_dict)
_Dumper.add_representer(_Block, _repr_dict)
_Dumper.add_representer(list, _repr_list)


def mapping_yaml(lay: Layout) -> str:
    """The mapping YAML text for a layout."""
    head = (f"# Mapping for the synthetic '{lay.system}' layout ({lay.description}).\n"
            "# Generated from src/joinedup/synth/layouts.py: python -m joinedup.synth.layouts\n")
    return head + yaml.dump(mapping_dict(lay), Dumper=_Dumper, sort_keys=False, width=140, allow_unicode=True)


def mappings_dir() -> Path:
    """The package folder holding mapping YAML files."""
    return Path(__file__).resolve().parent.parent / "ingest" / "mappings"


def write_mappings(folder: Path | None = None) -> list[Path]:
    """Write every layout's mapping YAML into folder (default: the package mappings folder)."""
    folder = folder or mappings_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for lay in LAYOUTS.values():
        p = folder / f"{lay.system}.yaml"
        p.write_text(mapping_yaml(lay), encoding="utf-8")
        out.append(p)
    return out


if __name__ == "__main__":
    for _p in write_mappings():
        print(_p)
