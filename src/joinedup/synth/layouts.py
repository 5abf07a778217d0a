"""Agency export layouts written by the synthetic world: the generator's own description of each extract.

Each layout says, per extract file: the column headers, which canonical value fills each column and
how it is rendered (date format, code list, sex encoding). The shipped mapping YAML files in
src/joinedup/ingest/mappings/ are the agencies' interface and a data manager edits them by hand; they are
not generated from here. tests/synth/test_layout_drift.py checks that every column the generator writes
is mapped by the shipped mapping and every mapped column is written, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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

    def file_name(self, fs: FileSpec, part: int = 1) -> str:
        """The name of one written file of a file family (XLSX families are split into numbered parts)."""
        return f"{fs.stem}_{part:03d}.xlsx" if self.fmt == "xlsx" else f"{fs.stem}{self.ext}"


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
              ("NominalType", "role")]),
    FileSpec("occurrences", "crime",
             [("OccurrenceRef", "srid"), ("HOClass", "offence_code"), ("CSEFlag", "cse_flag"),
              ("CommittedFrom", "date_committed"), ("ReportedDate", "date_reported"), ("LocPostcode", "location_postcode")]),
    FileSpec("occurrence_links", "crime_person",
             [("LinkRef", "srid"), ("OccurrenceRef", "crime_record_id"), ("NominalRef", "person_record_id"), ("Involvement", "role"),
              ("LinkedDate", "date_identified")]),
    FileSpec("outcomes", "outcome",
             [("OutcomeRef", "srid"), ("OccurrenceRef", "crime_record_id"), ("NominalRef", "person_record_id"),
              ("OutcomeCode", "outcome_type"), ("OutcomeDate", "outcome_date"), ("ChargeHOClass", "charged_offence"),
              ("CourtResult", "court_result"), ("FirstHearingDate", "first_hearing_date"), ("CourtResultDate", "court_result_date")]),
    FileSpec("missing_reports", "event",
             [("MisperRef", "srid"), ("NominalRef", "person_record_id"), ("MissingFrom", "start_date"),
              ("FoundDate", "end_date"), ("MissingType", "codes"), ("FoundLocation", "location"), ("FoundWith", "with_whom"),
              ("Circumstances", "detail")], event_type="MISSING"),
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
              ("nationality_iso2", "nationality"), ("person_role", "role")]),
    FileSpec("crimes", "crime",
             [("crime_id", "srid"), ("ho_offence_code", "offence_code"), ("cse_marker", "cse_flag"),
              ("committed_date", "date_committed"), ("recorded_date", "date_reported"), ("scene_postcode", "location_postcode")]),
    FileSpec("crime_persons", "crime_person",
             [("crime_person_id", "srid"), ("crime_id", "crime_record_id"), ("person_id", "person_record_id"), ("role", "role"),
              ("date_linked", "date_identified")]),
    FileSpec("disposals", "outcome",
             [("disposal_id", "srid"), ("crime_id", "crime_record_id"), ("person_id", "person_record_id"),
              ("ho_outcome", "outcome_type"), ("outcome_date", "outcome_date"), ("charge_statute", "charged_offence"),
              ("court_result", "court_result"), ("first_hearing_date", "first_hearing_date"),
              ("court_result_date", "court_result_date")]),
    FileSpec("missing_persons", "event",
             [("misper_id", "srid"), ("person_id", "person_record_id"), ("reported_missing", "start_date"),
              ("returned", "end_date"), ("category", "codes"), ("where_found", "location"), ("found_with", "with_whom"),
              ("notes", "detail")], event_type="MISSING"),
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
              ("VEH", "vehicles"), ("NHS", "nhs_number"), ("ETH16", "ethnicity_self"), ("IC", "ethnicity_observed"), ("ROLE", "role")]),
    FileSpec("CRIME", "crime",
             [("CRIME_NO", "srid"), ("OFF_CODE", "offence_code"), ("CSE", "cse_flag"), ("DATE_COMM", "date_committed"),
              ("DATE_REP", "date_reported"), ("LOC_PCODE", "location_postcode")]),
    FileSpec("CRIMEROLE", "crime_person",
             [("ROLE_ID", "srid"), ("CRIME_NO", "crime_record_id"), ("NOM_ID", "person_record_id"), ("ROLE", "role")]),
    FileSpec("RESULT", "outcome",
             [("RESULT_ID", "srid"), ("CRIME_NO", "crime_record_id"), ("NOM_ID", "person_record_id"), ("OUTCOME", "outcome_type"),
              ("RESULT_DATE", "outcome_date"), ("CHARGE_CODE", "charged_offence"), ("COURT", "court_result")]),
    FileSpec("MISPER", "event",
             [("MISPER_ID", "srid"), ("NOM_ID", "person_record_id"), ("DATE_MISSING", "start_date"), ("DATE_FOUND", "end_date"),
              ("MTYPE", "codes"), ("FOUND_AT", "location"), ("FOUND_WITH", "with_whom")], event_type="MISSING"),
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
              ("LookedAfter", "looked_after"), ("Disability", "disability_sen")]),
    FileSpec("referrals", "event", [("ReferralID", "srid")] + _ll_ev[:2] + [("ReferralSource", "referral_source"), ("Reason", "detail")], event_type="REFERRAL"),
    FileSpec("assessments", "event", [("AssessmentID", "srid")] + _ll_ev + [("FactorCodes", "codes")], event_type="ASSESSMENT"),
    FileSpec("cp_plans", "event", [("PlanID", "srid")] + _ll_ev + [("Category", "codes")], event_type="CP_PLAN"),
    FileSpec("lac_episodes", "event", [("EpisodeID", "srid")] + _ll_ev + [("Placement", "location")], event_type="LAC"),
    FileSpec("missing_episodes", "event", [("MissingID", "srid")] + _ll_ev + [("MissingType", "codes"), ("WhereFound", "location"),
                                                                            ("FoundWith", "with_whom")], event_type="MISSING"),
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
              ("CLA", "looked_after"), ("SEN/Disability", "disability_sen")]),
    FileSpec("mosaic_episodes", "event",
             [("Workflow Step ID", "srid"), ("Person ID", "person_record_id"), ("Step Type", "event_type"),
              ("Start Date", "start_date"), ("End Date", "end_date"), ("Factors", "codes"), ("Referral Source", "referral_source"),
              ("Location", "location"), ("With", "with_whom"), ("Notes", "detail")]),
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
              ("POSTCODE", "postcode"), ("PHONE", "phones"), ("ETHNIC_CATEGORY", "ethnicity_self")]),
    FileSpec("attendances", "event",
             [("AttendanceID", "srid"), ("LocalPatientID", "person_record_id"), ("ARRIVAL_DATE", "start_date"),
              ("DIAG_CODES", "codes"), ("SITE", "location"), ("ACCOMPANIED_BY", "with_whom")], event_type="HEALTH"),
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
              ("SEN Provision", "disability_sen"), ("In Care", "looked_after")]),
    FileSpec("pupil_events", "event",
             [("Event ID", "srid"), ("Pupil ID", "person_record_id"), ("Event Date", "start_date"), ("End Date", "end_date"),
              ("Event Code", "codes"), ("School", "location"), ("Notes", "detail")], event_type="EDUCATION"),
]

# ---------------------------------------------------------------------------------------------
# Youth justice and sexual health (realistic and enriched profiles)
YJ_ETYPE = {"INTEL": "Exploitation concern", "MISSING": "Missing episode"}
yjcase = Layout(
    system="yjcase", agency_type="youth_justice",
    description="Youth justice service case management export (young people and the concerns recorded about them)",
    fmt="csv", encoding="utf-8", date_fmt="%d/%m/%Y", partial_dob=False, sex={"M": "Male", "F": "Female", "U": "Unknown"},
    files=[], ethnicity="dfe")
yjcase.files = [
    FileSpec("yj_young_people", "person_record",
             [("YP_REF", "srid"), ("FORENAME", "forename"), ("SURNAME", "surname"), ("KNOWN_AS", "aliases"), ("DOB", "dob"),
              ("GENDER", "sex"), ("ADDRESS", "address"), ("POSTCODE", "postcode"), ("NHS_NO", "nhs_number"), ("UPN", "upn"),
              ("ETHNICITY", "ethnicity_self"), ("LOOKED_AFTER", "looked_after")]),
    FileSpec("yj_concerns", "event",
             [("CONCERN_REF", "srid"), ("YP_REF", "person_record_id"), ("CONCERN_TYPE", "event_type"),
              ("CONCERN_DATE", "start_date"), ("CONCERN_CODE", "codes"), ("NOTES", "detail")]),
]

SH_CODES = {"SH": "SHA", "STI": "STI-DX", "EC": "EHC", "PREG": "PREG-TEST+"}
shclinic = Layout(
    system="shclinic", agency_type="sexual_health",
    description="Sexual health clinic system export (patients and attendances; NHS ethnic category letters)",
    fmt="csv", encoding="utf-8", date_fmt="%Y-%m-%d", partial_dob=False, sex={"M": "1", "F": "2", "U": "9"}, files=[],
    ethnicity="nhs")
shclinic.files = [
    FileSpec("sh_patients", "person_record",
             [("PATIENT_NO", "srid"), ("FIRST_NAME", "forename"), ("LAST_NAME", "surname"), ("DOB", "dob"), ("SEX", "sex"),
              ("POSTCODE", "postcode"), ("NHS_NUMBER", "nhs_number"), ("ETHNIC_CATEGORY", "ethnicity_self")]),
    FileSpec("sh_attendances", "event",
             [("ATTENDANCE_NO", "srid"), ("PATIENT_NO", "person_record_id"), ("ATTENDANCE_DATE", "start_date"),
              ("CARE_CODES", "codes"), ("ACCOMPANIED_BY", "with_whom")], event_type="HEALTH"),
]

# ---------------------------------------------------------------------------------------------
# A legacy children's social care system (realistic profile only): one "SURNAME, Forename Middle" name column,
# two-digit years and free-text ethnicity; its mapping splits the name column by a regular expression with named groups.
CAREFIRST_ETYPE = {"REFERRAL": "Referral", "ASSESSMENT": "Assessment", "CP_PLAN": "CP Plan", "LAC": "Looked After",
                   "MISSING": "Missing"}
# how people write an ethnic group in a free-text field: several spellings of each, some the mapping does not list
FREE_TEXT_ETHNICITY = {
    "W1": ["White British", "WHITE BRITISH", "British", "English", "White - British"], "W2": ["White Irish", "Irish"],
    "W3": ["Traveller of Irish Heritage"], "W9": ["Any other White background", "White Other", "Polish"],
    "M1": ["White and Black Caribbean", "Mixed White/Black Caribbean"], "M2": ["White and Black African"],
    "M3": ["White and Asian", "Mixed White/Asian"], "M9": ["Any other mixed background", "Mixed other"],
    "A1": ["Indian", "Asian Indian"], "A2": ["Pakistani", "Asian Pakistani"], "A3": ["Bangladeshi"], "A4": ["Chinese"],
    "A9": ["Any other Asian background", "Other Asian"], "B1": ["Black Caribbean", "Caribbean"],
    "B2": ["Black African", "African", "Nigerian"], "B9": ["Any other Black background"], "O2": ["Arab"],
    "O9": ["Any other ethnic group", "Other"], "NS": ["Not stated", "Refused", "Declined to say"], "": [""],
}
carefirst = Layout(
    system="carefirst", agency_type="csc",
    description="Legacy children's social care system export (one name column, two-digit years, free-text ethnicity)",
    fmt="csv", encoding="utf-8", date_fmt="%d/%m/%y", partial_dob=False, sex={"M": "M", "F": "F", "U": "U"}, files=[],
    ethnicity="free_text")
carefirst.files = [
    FileSpec("CF_CLIENTS", "person_record",
             [("CLIENT_NO", "srid"), ("CLIENT_NAME", "name_combined"), ("DOB", "dob"), ("SEX", "sex"), ("ADDRESS", "address"),
              ("POSTCODE", "postcode"), ("NHS_NUMBER", "nhs_number"), ("ETHNIC_ORIGIN", "ethnicity_self"),
              ("LAC", "looked_after")]),
    FileSpec("CF_EPISODES", "event",
             [("EPISODE_NO", "srid"), ("CLIENT_NO", "person_record_id"), ("EPISODE_TYPE", "event_type"),
              ("START_DATE", "start_date"), ("END_DATE", "end_date"), ("FACTORS", "codes"), ("REF_SOURCE", "referral_source"),
              ("LOCATION", "location"), ("WITH_WHOM", "with_whom"), ("NOTES", "detail")]),
]

LAYOUTS: dict[str, Layout] = {lay.system: lay for lay in (niche, athena, connect, liquidlogic, mosaic, pas, sims, yjcase, shclinic,
                                                          carefirst)}

POLICE_LAYOUTS = ["niche", "athena", "connect"]
CSC_LAYOUTS = ["liquidlogic", "mosaic"]

# Values each system writes for role / flags, read back through `map`
ROLE_WORDS = {
    "niche": {"VICTIM": "Victim", "SUSPECT": "Suspect", "WITNESS": "Witness", "ASSOCIATE": "Associate", "MISSING": "Missing Person"},
    "athena": {"VICTIM": "VIC", "SUSPECT": "SUS", "WITNESS": "WIT", "ASSOCIATE": "ASC", "MISSING": "MIS"},
    "connect": {"VICTIM": "V", "SUSPECT": "S", "WITNESS": "W", "ASSOCIATE": "A", "MISSING": "M"},
}
BOOL_WORDS = {"niche": ("Y", "N"), "athena": ("true", "false"), "connect": ("1", "0"), "liquidlogic": ("Y", "N"),
              "mosaic": ("Yes", "No"), "sims": ("Yes", "No"), "yjcase": ("Yes", "No"),
              "carefirst": ("Y", "N")}
COURT_WORDS = {"niche": {"CONVICTED": "Convicted", "ACQUITTED": "Not Guilty", "DISCONTINUED": "Discontinued", "PENDING": "Awaiting Trial"},
               "athena": {}, "connect": {"CONVICTED": "GUILTY", "ACQUITTED": "NG", "DISCONTINUED": "DISC", "PENDING": "PEND"}}
SEN_WORDS = {"liquidlogic": {}, "mosaic": {"NONE": "None", "LD": "Learning Disability", "SEN": "SEN Support", "PD": "Physical Disability"},
             "sims": {"NONE": "N", "LD": "E", "SEN": "K", "PD": "K"}}
MISSING_WORDS = {"niche": {"M": "Missing", "A": "Absent"}, "athena": {}, "connect": {}, "liquidlogic": {}, "mosaic": {},
                 "yjcase": {"CSE": "SEXUAL-EXPLOITATION", "M": "MISSING"}, "shclinic": SH_CODES, "carefirst": {}}


def event_date_fmt(lay: Layout) -> str:
    """The format this layout writes event dates in."""
    return "%Y%m%d" if lay.system == "liquidlogic" else lay.date_fmt


def mappings_dir() -> Path:
    """The package folder holding mapping YAML files."""
    return Path(__file__).resolve().parent.parent / "ingest" / "mappings"


def mapping_path(system: str) -> Path:
    """The shipped mapping file of a system."""
    return mappings_dir() / f"{system}.yaml"

