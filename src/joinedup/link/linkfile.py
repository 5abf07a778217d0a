"""Link any CSV of people without a warehouse: map its columns, link, write one row per input row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from joinedup.link import core
from joinedup.link.errors import LinkError
from joinedup.link.features import parse_dob

MAPPABLE = ("record_id", "source", "forename", "surname", "dob", "sex", "postcode", "address", "phone", "nhs_number")
_LINK = ("forename", "surname", "dob", "postcode", "address", "phone", "nhs_number")


class InputError(LinkError):
    """A CSV or --map a user can fix; the CLI prints it as one line."""


def parse_maps(maps: list[str]) -> dict[str, str]:
    """Turn ['forename=COL', ...] into {field: column}, rejecting unknown fields."""
    out: dict[str, str] = {}
    for m in maps:
        if "=" not in m:
            raise InputError(f"--map {m!r}: expected FIELD=COLUMN")
        f, c = (x.strip() for x in m.split("=", 1))
        if f not in MAPPABLE:
            raise InputError(f"--map {f}: unknown field (mappable: {', '.join(MAPPABLE)})")
        if not c:
            raise InputError(f"--map {f}: no column named")
        out[f] = c
    return out


def read_mapped(path: str | Path, mapping: dict[str, str]) -> pd.DataFrame:
    """Read the CSV as text and return the standard frame (unique_id, source, source_record_id, fields)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(f"{p}: file is empty") from None
    except UnicodeDecodeError:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="latin-1")
    if raw.empty:
        raise InputError(f"{p}: file has a header but no rows")
    for f, c in mapping.items():
        if c not in raw.columns:
            raise InputError(f"--map {f}={c}: no column {c!r} in {p.name} (columns: {', '.join(map(str, raw.columns[:20]))})")
    if not any(f in mapping for f in _LINK):
        raise InputError("map at least one of forename, surname, dob, postcode, address, phone, nhs_number")
    raw = raw.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", None)
    for f, c in mapping.items():
        if raw[c].isna().all():
            raise InputError(f"{f} (column {c!r}) is empty in every row")
    df = pd.DataFrame(index=raw.index)
    df["record_id"] = raw[mapping["record_id"]] if "record_id" in mapping else (raw.index + 1).astype(str)
    if df["record_id"].isna().any():
        raise InputError(f"record_id (column {mapping['record_id']!r}) is blank in row {int(df['record_id'].isna().idxmax()) + 2}")
    df["source"] = raw[mapping["source"]].fillna("") if "source" in mapping else "file"
    dup = df.duplicated(["source", "record_id"])
    if dup.any():
        r = df.loc[dup.idxmax()]
        raise InputError(f"record_id {r['record_id']!r} appears more than once" + (f" in source {r['source']!r}" if "source" in mapping else ""))
    df["source_record_id"] = df["record_id"]
    df["unique_id"] = df["source"].astype(str) + "::" + df["record_id"].astype(str)
    for f in ("forename", "surname", "sex", "postcode", "address", "nhs_number"):
        if f in mapping:
            df[f] = raw[mapping[f]]
    if "phone" in mapping:
        df["phones"] = raw[mapping["phone"]]
    if "dob" in mapping:
        col = raw[mapping["dob"]]
        ok = col.map(lambda v: v is None or parse_dob(v)[0] is not None)
        if not ok.any():
            raise InputError(f"dob (column {mapping['dob']!r}): no value is a date (use YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD)")
        if (~ok).any():
            # kept, with the date treated as missing: a record is never dropped for a bad field
            print(f"warning: dob: {int((~ok).sum())} value(s) not readable as dates were treated as missing "
                  f"(first: {col[~ok].iloc[0]!r})", file=sys.stderr)
        df["dob"] = col
    return df


def link_file(path: str | Path, mapping: dict[str, str], out: str | Path, *, engine: str = "duckdb",
              threshold: float = core.DEFAULT_THRESHOLD) -> dict[str, Any]:
    """Link a CSV and write record_id,person_id,match_probability (one row per input row); returns a summary."""
    df = read_mapped(path, mapping)
    res = core.link_frame(df, engine=engine, threshold=threshold)
    outdf = pd.DataFrame({"record_id": df["record_id"].values})
    m = res.persons.set_index("unique_id")
    outdf["person_id"] = m.loc[df["unique_id"], "person_id"].values
    outdf["match_probability"] = m.loc[df["unique_id"], "match_probability"].values
    # rows stay in input order, so a record_id repeated across sources is still identifiable by position
    assert len(outdf) == len(df)  # never a silently dropped record
    outdf.to_csv(out, index=False)
    return {"records": len(df), "persons": int(outdf["person_id"].nunique()),
            "links": int((res.pairs["match_probability"] >= threshold).sum()), "run_time_seconds": round(res.timings["total"], 3)}
