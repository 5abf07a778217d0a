"""Load the standard (entities.yaml) and its code lists (codes/*.csv) into typed objects."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

FIELD_TYPES = {"text", "name", "date", "partial_date", "code", "bool", "nhs_number", "postcode", "phone", "vrm", "list"}


@dataclass(frozen=True)
class Field:
    """One field of a standard table."""

    name: str
    type: str
    required: bool = False
    codes: str | None = None
    item: str | None = None
    on_invalid: str = "quarantine"
    matchable: bool = False
    protected: bool = False
    derived: bool = False
    description: str = ""
    required_for: tuple[str, ...] = ()  # agency types for which the field is required (when not always)

    def required_by(self, agency_type: str) -> bool:
        """True when a source of this agency type must fill the field."""
        return self.required or agency_type in self.required_for


@dataclass(frozen=True)
class Table:
    """One table of the standard, with its key and fields in order."""

    name: str
    description: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """The field called name (KeyError if the standard has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        """Field names in standard order."""
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class CodeList:
    """A versioned code list: codes with labels and any extra columns."""

    name: str
    version: str
    source: str
    rows: tuple[dict[str, str], ...] = field(repr=False)

    @property
    def codes(self) -> set[str]:
        """The valid codes."""
        return {r["code"] for r in self.rows}

    def label(self, code: str) -> str:
        """The human label of a code."""
        for r in self.rows:
            if r["code"] == code:
                return r["label"]
        raise KeyError(f"{code!r} is not in code list {self.name}")


def _data(path: str) -> Any:
    return resources.files("joinedup.standard").joinpath(path)


def _read_csv(path: str) -> list[dict[str, str]]:
    with _data(path).open("r", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _entities() -> dict[str, Any]:
    return yaml.safe_load(_data("entities.yaml").read_text(encoding="utf-8"))


def standard_version() -> str:
    """The version of the standard (entities.yaml), recorded with every load."""
    return str(_entities()["version"])


@cache
def standard() -> dict[str, Table]:
    """All tables of the standard, by name."""
    spec = _entities()
    tables: dict[str, Table] = {}
    for tname, t in spec["tables"].items():
        fields = []
        for fname, f in t["fields"].items():
            if f["type"] not in FIELD_TYPES:
                raise ValueError(f"{tname}.{fname}: unknown field type {f['type']!r}")
            fields.append(
                Field(
                    name=fname,
                    type=f["type"],
                    required=bool(f.get("required", False)),
                    codes=f.get("codes"),
                    item=f.get("item"),
                    on_invalid=f.get("on_invalid", "quarantine"),
                    matchable=bool(f.get("matchable", False)),
                    protected=bool(f.get("protected", False)),
                    derived=bool(f.get("derived", False)),
                    description=f.get("description", ""),
                    required_for=tuple(f.get("required_for", ())),
                )
            )
        tables[tname] = Table(tname, t.get("description", ""), tuple(t["key"]), tuple(fields))
    return tables


@cache
def code_lists() -> dict[str, CodeList]:
    """Every code list named in codes/index.yaml."""
    index = yaml.safe_load(_data("codes/index.yaml").read_text(encoding="utf-8"))
    return {
        name: CodeList(name, str(meta["version"]), meta.get("source", ""), tuple(_read_csv(f"codes/{name}.csv")))
        for name, meta in index.items()
    }


def code_list(name: str) -> CodeList:
    """One code list by name."""
    try:
        return code_lists()[name]
    except KeyError:
        raise KeyError(f"no code list called {name!r}") from None


@cache
def legacy_map(name: str) -> tuple[dict[str, str], ...]:
    """Legacy-code mappings for a code list: rows of scheme, legacy_code, code (and extras)."""
    try:
        return tuple(_read_csv(f"codes/legacy/{name}.csv"))
    except FileNotFoundError:
        return ()


# Fields that must never be an input to an individual-level score, match, rank or flag.
PROTECTED_FIELDS = frozenset(
    f.name for t in standard().values() for f in t.fields if f.protected
)
