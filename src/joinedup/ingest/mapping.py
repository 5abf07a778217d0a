"""Source mapping files: load them, check them against the standard, and match extract files."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from joinedup.errors import UserError
from joinedup.standard import code_list, legacy_map, standard

READABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
# What agencies put after a file's name for one delivery: a date (2026-12-01, 20261201, 2026-12)
# or a sequence number (0007).
DELIVERY_SUFFIX = r"(?:[_ -](?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{2}|[0-9]{1,8}))?"
# Extract dates read from a file name when the mapping declares no pattern: (regex, strptime format).
DEFAULT_EXTRACT_DATES = (
    (r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])", "%Y-%m-%d"),
    (r"(?<![0-9])([0-9]{8})(?![0-9])", "%Y%m%d"),
    (r"(?<![0-9])([0-9]{4}-[0-9]{2})(?![0-9-])", "%Y-%m"),
)
DELIVERY_MODES = ("full", "delta")


_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")  # lookaround and backreferences: RE2 (DuckDB) has neither


def _regex(where: str, pattern: Any) -> str:
    """A regular expression from a mapping, checked to compile and to be one DuckDB (RE2) can run."""
    text = str(pattern)
    try:
        re.compile(text)
    except re.error as e:
        raise MappingError(f"{where}: {text!r} is not a regular expression ({e})") from None
    if _NOT_RE2.search(text):
        raise MappingError(f"{where}: {text!r} uses lookaround or a backreference, which are not supported")
    return text


def _glob_regex(glob: str) -> str:
    """A glob (* and ?) as a regular expression."""
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)


def extract_date_from_name(name: str, declared: tuple[str, str] | None = None) -> date | None:
    """The extract date in a file name: by the mapping's (regex, format), else a date-like part; None when none."""
    stem = name.rsplit(".", 1)[0]
    for rx, fmt in ((declared,) if declared else DEFAULT_EXTRACT_DATES):
        m = re.search(rx, stem)
        if not m:
            continue
        text = m.group("date") if "date" in m.re.groupindex else m.group(1) if m.groups() else m.group(0)
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            if declared:
                raise MappingError(f"{name}: {text!r} (the extract date in the file name) is not a date in "
                                   f"the form {fmt}") from None
    return None


class MappingError(UserError):
    """A mapping file is malformed or does not fit the standard or the extract."""


@dataclass(frozen=True)
class FieldSpec:
    """How one standard field is filled from a source file."""

    field: str
    column: str | None = None
    const: str | None = None
    concat: tuple[str, ...] = ()
    sep: str = " "
    formats: tuple[str, ...] = ()
    map: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None
    split: str | None = None
    prefix: str | None = None
    split_regex: str | None = None  # split on any of several separators, or on a regular expression
    optional: bool = False  # the column may be absent (older extracts): the field is then null, not an error

    @property
    def columns(self) -> list[str]:
        """Source columns this field reads."""
        return [self.column] if self.column else list(self.concat)


@dataclass(frozen=True)
class SkipRule:
    """Rows outside the standard's scope: skipped (counted with the rule), not quarantined."""

    column: str
    values: tuple[str, ...] = ()  # skip when the trimmed value is one of these (any case)
    matches: str | None = None  # skip when the value matches this regular expression (RE2)
    blank: bool = False  # skip when the value is blank

    @property
    def text(self) -> str:
        """The rule as people read it, for the summary."""
        if self.values:
            return f"{self.column} in [{', '.join(self.values)}]"
        if self.matches is not None:
            return f"{self.column} matches {self.matches}"
        return f"{self.column} is blank"


@dataclass(frozen=True)
class FileSpec:
    """One kind of file in a source system's extract."""

    pattern: str
    table: str
    fields: dict[str, FieldSpec]
    delimiter: str = ","
    sheet: int | str = 0
    derived: tuple[tuple[str, str, str, int], ...] = ()  # (new column, source column, regex, group number)
    delivery: str = "full"  # full: each delivery is the whole current set; delta: changes only
    deleted: tuple[str, tuple[str, ...]] | None = None  # delta: (column, values) marking a deleted record
    skip: tuple[SkipRule, ...] = ()
    repeated_keys: str = "quarantine"  # a key repeated in one file: quarantine the repeats, or skip them

    @property
    def name_regex(self) -> str:
        """A regular expression (RE2 and Python alike) for the file names this spec claims, lower-cased.

        The glob, plus an optional dated or sequenced suffix before the extension, as agencies name
        repeated deliveries: nominals_20261201.csv, nominals_2026-12.csv, NOMINAL_0007.txt.
        """
        pat = self.pattern.lower()
        stem, dot, ext = pat.rpartition(".") if "." in pat else (pat, "", "")
        return _glob_regex(stem) + DELIVERY_SUFFIX + (re.escape(dot + ext) if dot else "")


@dataclass(frozen=True)
class Mapping:
    """A source system layout and how it maps into the standard."""

    system: str
    agency_type: str
    folders: str
    files: tuple[FileSpec, ...]
    org_code: dict[str, str]
    encoding: str = "auto"
    null_values: tuple[str, ...] = ("",)
    description: str = ""
    path: str = ""
    extract_date: tuple[str, str] | None = None  # (regex, strptime format) of the date in a file name

    def org_code_for(self, folder: str) -> str | None:
        """The organisation code for a source folder, when the mapping derives it from the folder."""
        if "const" in self.org_code:
            return str(self.org_code["const"])
        if "folder_regex" in self.org_code:
            m = re.search(self.org_code["folder_regex"], folder)
            if not m:
                raise MappingError(f"{self.path}: folder {folder!r} does not match org_code folder_regex")
            return m.group(1)
        return None

    def file_specs(self, name: str) -> list[FileSpec]:
        """The file specs that claim a file name: its glob, or the glob with a dated or sequenced suffix.

        Several specs may claim one file when each fills a different table (a wide row holding a
        crime, its suspect and the outcome); two for one table are a mistake in the mapping.
        """
        hits = [f for f in self.files if fnmatch.fnmatch(name.lower(), f.pattern.lower())]
        if not hits:  # a dated or sequenced delivery of a file the mapping names
            hits = [f for f in self.files if re.fullmatch(f.name_regex, name.lower())]
        tables = [f.table for f in hits]
        if len(set(tables)) != len(tables):
            raise MappingError(f"{self.path}: file {name!r} matches more than one files[] glob for one table")
        return hits

    def file_spec(self, name: str) -> FileSpec | None:
        """The one file spec whose glob matches a file name, if any."""
        hits = self.file_specs(name)
        if len(hits) > 1:
            raise MappingError(f"{self.path}: file {name!r} matches more than one files[] glob")
        return hits[0] if hits else None


def _field_spec(where: str, name: str, raw: Any) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(field=name, column=raw)
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: field {name}: expected a column name or a mapping")
    unknown = set(raw) - {"column", "const", "concat", "sep", "format", "map", "scheme", "split", "prefix", "split_regex",
                          "optional"}
    if unknown:
        raise MappingError(f"{where}: field {name}: unknown keys {sorted(unknown)}")
    sources = [k for k in ("column", "const", "concat") if k in raw]
    if len(sources) != 1:
        raise MappingError(f"{where}: field {name}: give exactly one of column, const, concat")
    fmt = raw.get("format", ())
    split, split_regex = raw.get("split"), raw.get("split_regex")
    if isinstance(split, list):  # several separators: any of them splits
        split_regex, split = "|".join(re.escape(str(x)) for x in split), None
    if split_regex is not None:
        _regex(f"{where}: field {name}: split_regex", split_regex)
    return FieldSpec(
        field=name,
        column=raw.get("column"),
        const=None if raw.get("const") is None else str(raw["const"]),
        concat=tuple(raw.get("concat", ())),
        sep=str(raw.get("sep", " ")),
        formats=(fmt,) if isinstance(fmt, str) else tuple(fmt),
        map={_yaml_text(k).strip().lower(): ("" if v is None else _yaml_text(v)) for k, v in (raw.get("map") or {}).items()},
        scheme=raw.get("scheme"),
        split=None if split is None else str(split),
        prefix=raw.get("prefix"),
        split_regex=None if split_regex is None else str(split_regex),
        optional=bool(raw.get("optional", False)),
    )


def _yaml_text(v: Any) -> str:
    """A YAML scalar as the text it was written as: YAML 1.1 reads Yes/No/On/Off as booleans."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _derived_columns(where: str, raw: Any) -> tuple[tuple[str, str, str, int], ...]:
    """columns: {SOURCE: {regex: '...(?P<NewColumn>...)...'}}: each named group becomes a column fields can read."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: columns: give {{SOURCE COLUMN: {{regex: PATTERN WITH NAMED GROUPS}}}}")
    out = []
    for src, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) != {"regex"}:
            raise MappingError(f"{where}: columns: {src}: give {{regex: PATTERN WITH NAMED GROUPS}}")
        rx = re.compile(_regex(f"{where}: columns: {src}", spec["regex"]))
        if not rx.groupindex:
            raise MappingError(f"{where}: columns: {src}: the regex names no groups ((?P<Name>...))")
        out += [(name, str(src), rx.pattern, idx) for name, idx in rx.groupindex.items()]
    return tuple(out)


def _repeated_keys(where: str, raw: Any) -> str:
    if raw not in ("quarantine", "skip"):
        raise MappingError(f"{where}: repeated_keys {raw!r} is not one of quarantine, skip")
    return str(raw)


def _skip_rules(where: str, raw: Any) -> tuple[SkipRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise MappingError(f"{where}: skip: give a list of rules ({{column: NAME, values: [...]}} or {{column: NAME, matches: REGEX}})")
    rules = []
    for r in raw:
        if not isinstance(r, dict) or "column" not in r or len({"values", "matches", "blank"} & set(r)) != 1:
            raise MappingError(f"{where}: skip rule {r!r}: give column and one of values, matches, blank")
        if "matches" in r:
            _regex(f"{where}: skip rule {r!r}", r["matches"])
        rules.append(SkipRule(column=str(r["column"]), values=tuple(_yaml_text(v) for v in r.get("values", ())),
                              matches=None if r.get("matches") is None else str(r["matches"]), blank=bool(r.get("blank"))))
    return tuple(rules)


def parse_mapping(text: str, path: str = "<mapping>") -> Mapping:
    """A Mapping from YAML text, checked against the standard."""
    try:
        # libyaml's parser, when PyYAML has it, reads the mappings several times faster (every
        # ingest starts by loading them all); the same safe constructor builds the same document.
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        try:  # the pure-Python parser words its errors as users have always seen them
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise MappingError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: expected a mapping document")
    for key in ("system", "agency_type", "folders", "files"):
        if key not in doc:
            raise MappingError(f"{path}: missing {key!r}")
    if doc["agency_type"] not in code_list("agency_type").codes:
        raise MappingError(f"{path}: agency_type {doc['agency_type']!r} is not in code list agency_type")
    tables = standard()
    files = []
    for i, f in enumerate(doc["files"]):
        where = f"{path}: files[{i}]"
        if f.get("table") not in tables:
            raise MappingError(f"{where}: table {f.get('table')!r} is not a table of the standard")
        table = tables[f["table"]]
        fields = {}
        for fname, raw in (f.get("fields") or {}).items():
            if fname in ("source", "agency_type"):
                raise MappingError(f"{where}: field {fname} is set by ingest, not by the mapping")
            try:
                std = table.field(fname)
            except KeyError:
                raise MappingError(f"{where}: {table.name} has no field {fname!r}") from None
            if std.derived:
                raise MappingError(f"{where}: {fname} is derived by ingest and cannot be mapped")
            spec = _field_spec(where, fname, raw)
            if spec.scheme:
                list_name = std.codes or ""
                schemes = {r["scheme"] for r in legacy_map(list_name)}
                if spec.scheme not in schemes:
                    raise MappingError(f"{where}: field {fname}: no legacy scheme {spec.scheme!r} for code list {list_name}")
            fields[fname] = spec
        has_org = "org_code" in fields or "org_code" not in table.field_names
        if not has_org and not doc.get("org_code"):
            raise MappingError(f"{where}: org_code is neither given for the file nor for the mapping")
        for req in (fl.name for fl in table.fields if fl.required_by(doc["agency_type"])):
            if req in ("source", "agency_type", "org_code"):
                continue
            if req not in fields:
                raise MappingError(f"{where}: required field {req!r} of {table.name} is not mapped")
        delivery = str(f.get("delivery", doc.get("delivery", "full")))
        if delivery not in DELIVERY_MODES:
            raise MappingError(f"{where}: delivery {delivery!r} is not one of {', '.join(DELIVERY_MODES)}")
        deleted = None
        if f.get("deleted") is not None:
            d = f["deleted"]
            if delivery != "delta":
                raise MappingError(f"{where}: a deletion marker (deleted) needs delivery: delta")
            if not isinstance(d, dict) or "column" not in d:
                raise MappingError(f"{where}: deleted: give {{column: NAME, values: [...]}}")
            vals = d.get("values", ["D", "Y", "true", "1", "deleted"])
            deleted = (str(d["column"]), tuple(_yaml_text(v).strip().lower() for v in vals))
        files.append(
            FileSpec(
                pattern=str(f["file"]),
                table=table.name,
                fields=fields,
                delimiter=str(f.get("delimiter", ",")),
                sheet=f.get("sheet", 0),
                delivery=delivery,
                deleted=deleted,
                skip=_skip_rules(where, f.get("skip")),
                derived=_derived_columns(where, f.get("columns")),
                repeated_keys=_repeated_keys(where, f.get("repeated_keys", "quarantine")),
            )
        )
    nulls = tuple(str(v).strip().lower() for v in doc.get("null_values", [""]))
    ed = doc.get("extract_date")
    extract_date = None
    if ed is not None:
        if not isinstance(ed, dict) or "pattern" not in ed or "format" not in ed:
            raise MappingError(f"{path}: extract_date: give {{pattern: REGEX, format: STRPTIME}}")
        try:
            re.compile(str(ed["pattern"]))
        except re.error as e:
            raise MappingError(f"{path}: extract_date pattern is not a regular expression ({e})") from None
        extract_date = (str(ed["pattern"]), str(ed["format"]))
    return Mapping(
        system=str(doc["system"]),
        agency_type=doc["agency_type"],
        folders=str(doc["folders"]),
        files=tuple(files),
        org_code=dict(doc.get("org_code") or {}),
        encoding=str(doc.get("encoding", "auto")),
        null_values=nulls if "" in nulls else nulls + ("",),
        description=str(doc.get("description", "")),
        path=path,
        extract_date=extract_date,
    )


def load_mappings(extra_dir: Path | None = None) -> list[Mapping]:
    """The shipped mappings plus any in extra_dir (a later file with the same system wins)."""
    found: dict[str, Mapping] = {}
    shipped = resources.files("joinedup.ingest").joinpath("mappings")
    entries = [(e.name, e.read_text(encoding="utf-8")) for e in shipped.iterdir() if e.name.endswith((".yaml", ".yml"))]
    for name, text in sorted(entries):
        m = parse_mapping(text, f"mappings/{name}")
        found[m.system] = m
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise MappingError(f"mappings folder {extra_dir} does not exist")
        for p in sorted(extra_dir.glob("*.y*ml")):
            m = parse_mapping(p.read_text(encoding="utf-8"), str(p))
            found[m.system] = m
    return list(found.values())


@dataclass(frozen=True)
class ExtractFile:
    """One extract file claimed by a mapping."""

    path: Path
    source: str
    mapping: Mapping
    spec: FileSpec
    extract_date: date | None = None  # from --extract-date or the file name; None: the load's date

    @property
    def label(self) -> str:
        """source/filename, as shown to users."""
        return f"{self.source}/{self.path.name}"


def discover(extracts: Path, mappings: list[Mapping], extract_date: date | None = None) -> list[ExtractFile]:
    """Every extract file under extracts/<source>/, each claimed by exactly one mapping, in delivery order.

    extract_date: the date of every file (--extract-date); else each file's date is read from its name.
    Files are ordered by extract date (undated last), then by path: deliveries apply oldest first.
    """
    if not extracts.exists():
        raise MappingError(f"extracts folder {extracts} does not exist")
    if not extracts.is_dir():
        raise MappingError(f"{extracts} is not a folder")
    out = []
    for path in sorted(p for p in extracts.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.suffix.lower() not in READABLE_SUFFIXES:
            continue
        rel = path.relative_to(extracts)
        if len(rel.parts) != 2:
            raise MappingError(f"{rel}: extracts must be laid out as <source folder>/<file>")
        source = rel.parts[0]
        claims = []
        for m in mappings:
            if fnmatch.fnmatch(source, m.folders):
                specs = m.file_specs(path.name)
                if specs:
                    claims.append((m, specs))
        if not claims:
            raise MappingError(f"{rel}: unknown source layout (no mapping claims this file)")
        if len(claims) > 1:
            systems = ", ".join(m.system for m, _ in claims)
            raise MappingError(f"{rel}: claimed by more than one mapping ({systems})")
        m, specs = claims[0]
        when = extract_date or extract_date_from_name(path.name, m.extract_date)
        out += [ExtractFile(path, source, m, spec, when) for spec in specs]
    if not out:
        raise MappingError(f"no extract files found under {extracts}")
    # A file with no date in its name, beside files of its source that all carry one date, is part
    # of that delivery.
    dates: dict[str, set[date]] = {}
    for ef in out:
        if ef.extract_date is not None:
            dates.setdefault(ef.source, set()).add(ef.extract_date)
    out = [ExtractFile(ef.path, ef.source, ef.mapping, ef.spec, next(iter(dates[ef.source])))
           if ef.extract_date is None and len(dates.get(ef.source, ())) == 1 else ef for ef in out]
    return sorted(out, key=lambda ef: (ef.extract_date is None, ef.extract_date or date.min, str(ef.path)))
