"""Source mapping files: load them, check them against the standard, and match extract files."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from joinedup.errors import UserError
from joinedup.standard import code_list, legacy_map, standard

READABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")


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

    @property
    def columns(self) -> list[str]:
        """Source columns this field reads."""
        return [self.column] if self.column else list(self.concat)


@dataclass(frozen=True)
class FileSpec:
    """One kind of file in a source system's extract."""

    pattern: str
    table: str
    fields: dict[str, FieldSpec]
    delimiter: str = ","
    sheet: int | str = 0


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

    def file_spec(self, name: str) -> FileSpec | None:
        """The file spec whose glob matches a file name, if any."""
        hits = [f for f in self.files if fnmatch.fnmatch(name.lower(), f.pattern.lower())]
        if len(hits) > 1:
            raise MappingError(f"{self.path}: file {name!r} matches more than one files[] glob")
        return hits[0] if hits else None


def _field_spec(where: str, name: str, raw: Any) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(field=name, column=raw)
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: field {name}: expected a column name or a mapping")
    unknown = set(raw) - {"column", "const", "concat", "sep", "format", "map", "scheme", "split", "prefix"}
    if unknown:
        raise MappingError(f"{where}: field {name}: unknown keys {sorted(unknown)}")
    sources = [k for k in ("column", "const", "concat") if k in raw]
    if len(sources) != 1:
        raise MappingError(f"{where}: field {name}: give exactly one of column, const, concat")
    fmt = raw.get("format", ())
    return FieldSpec(
        field=name,
        column=raw.get("column"),
        const=None if raw.get("const") is None else str(raw["const"]),
        concat=tuple(raw.get("concat", ())),
        sep=str(raw.get("sep", " ")),
        formats=(fmt,) if isinstance(fmt, str) else tuple(fmt),
        map={str(k).strip().lower(): str(v) for k, v in (raw.get("map") or {}).items()},
        scheme=raw.get("scheme"),
        split=raw.get("split"),
        prefix=raw.get("prefix"),
    )


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
        for req in (fl.name for fl in table.fields if fl.required):
            if req in ("source", "agency_type", "org_code"):
                continue
            if req not in fields:
                raise MappingError(f"{where}: required field {req!r} of {table.name} is not mapped")
        files.append(
            FileSpec(
                pattern=str(f["file"]),
                table=table.name,
                fields=fields,
                delimiter=str(f.get("delimiter", ",")),
                sheet=f.get("sheet", 0),
            )
        )
    nulls = tuple(str(v).strip().lower() for v in doc.get("null_values", [""]))
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

    @property
    def label(self) -> str:
        """source/filename, as shown to users."""
        return f"{self.source}/{self.path.name}"


def discover(extracts: Path, mappings: list[Mapping]) -> list[ExtractFile]:
    """Every extract file under extracts/<source>/, each claimed by exactly one mapping."""
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
                spec = m.file_spec(path.name)
                if spec is not None:
                    claims.append((m, spec))
        if not claims:
            raise MappingError(f"{rel}: unknown source layout (no mapping claims this file)")
        if len(claims) > 1:
            systems = ", ".join(m.system for m, _ in claims)
            raise MappingError(f"{rel}: claimed by more than one mapping ({systems})")
        out.append(ExtractFile(path, source, claims[0][0], claims[0][1]))
    if not out:
        raise MappingError(f"no extract files found under {extracts}")
    return out
