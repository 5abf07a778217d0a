"""Turn person records into the comparison-ready frame the model scores (names, keys, dates, postcodes)."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from joinedup.link.variants import fold, groups_of, phonetic

# The only fields linkage may read. Protected fields (ethnicity, nationality, religion) are
# aggregate-only and are deliberately absent: features() never copies a column it does not name here.
LINK_FIELDS = (
    "forename", "middle_names", "surname", "aliases", "dob", "dob_precision",
    "sex", "address", "postcode", "phones", "nhs_number",
)

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])([A-Z]{2})$")
_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d", "day"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%d/%m/%Y", "day"),
    (re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"), "%d-%m-%Y", "day"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y", "day"),
    (re.compile(r"^\d{8}$"), "%Y%m%d", "day"),
    (re.compile(r"^\d{4}-\d{2}$"), "%Y-%m", "month"),
    (re.compile(r"^\d{4}$"), "%Y", "year"),
)


_STREET_WORDS = frozenset(
    "STREET ST ROAD RD PLACE PL AVENUE AVE CRESCENT CRES CLOSE DRIVE DR LANE LN FLAT APARTMENT HOUSE COURT CT "
    "WAY TERRACE CIRCUIT PARADE GROVE GARDENS SQUARE HILL PARK VILLAGE MOUNT NORTH SOUTH EAST WEST THE".split())


def _address_tokens(a: str | None) -> list[str]:
    return sorted({t for t in re.findall(r"[A-Z0-9]+", a or "") if len(t) > 1})


def _address_key(a: str | None) -> str | None:
    # the street name: the first word of 3+ letters that is not a street type ("SOLLY" in "308 SOLLY PLACE")
    for t in re.findall(r"[A-Z]+", a or ""):
        if len(t) >= 3 and t not in _STREET_WORDS:
            return t
    return None


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or (isinstance(v, str) and not v.strip())


@lru_cache(maxsize=500_000)
def _parse_date_str(s: str) -> tuple[str | None, str | None]:
    s = s.strip()
    if "T" in s or " " in s:  # a timestamp: keep the date part
        s = re.split(r"[T ]", s)[0]
    for rx, fmt, prec in _DATE_FORMATS:
        if rx.match(s):
            try:
                d = dt.datetime.strptime(s, fmt).date()
            except ValueError:
                return None, None
            if not 1900 <= d.year <= 2100:
                return None, None
            return d.isoformat(), prec
    return None, None


def parse_dob(value: Any, precision: Any = None) -> tuple[str | None, str | None]:
    """ISO date and precision ('day'|'month'|'year') of a date-like value; (None, None) if unparseable."""
    if _blank(value):
        return None, None
    if isinstance(value, (dt.date, pd.Timestamp)):
        iso = value.date().isoformat() if isinstance(value, (dt.datetime, pd.Timestamp)) else value.isoformat()
        return iso, (precision if isinstance(precision, str) and precision in ("day", "month", "year") else "day")
    iso, prec = _parse_date_str(str(value))
    if iso and isinstance(precision, str) and precision in ("month", "year"):
        prec = precision
    return iso, prec


@lru_cache(maxsize=500_000)
def _postcode_parts(pc: str) -> tuple[str, str | None, str | None]:
    s = re.sub(r"\s+", "", pc.upper())
    m = _POSTCODE.match(s)
    if not m:
        return s, None, None  # not a UK postcode (e.g. FEBRL's Australian ones): exact/typo levels only
    return f"{m[1]} {m[2]}{m[3]}", f"{m[1]} {m[2]}", m[1]


def _as_list(v: Any) -> list[str]:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return [p for p in re.split(r"[;|,]", v) if p.strip()]
    return [str(x) for x in v if x is not None and str(x).strip()]


def _digits(v: Any) -> str | None:
    if _blank(v):
        return None
    d = re.sub(r"\D", "", str(v))
    return d or None


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """Apply fn once per distinct value (names repeat heavily, so this is ~100x faster on real data)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [fn(u) for u in uniques]
    none_val = fn(None)
    return pd.Series([mapped[c] if c >= 0 else none_val for c in codes], index=series.index, dtype=object)


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Comparison-ready frame: one row per input row keyed by unique_id, with variant groups, phonetic codes and date/postcode parts."""
    n = len(df)
    col = lambda c: df[c] if c in df.columns else pd.Series([None] * n, index=df.index, dtype=object)  # noqa: E731
    out = pd.DataFrame(index=df.index)
    out["unique_id"] = df["unique_id"].astype(str)
    out["source"] = col("source").astype(object)
    out["source_record_id"] = col("source_record_id").astype(object)

    for f in ("forename", "surname", "middle_names"):
        out[f] = _map_unique(col(f).astype(object), fold)
    out["fore_groups"] = _map_unique(out["forename"], lambda v: list(groups_of(v)))
    out["sur_groups"] = _map_unique(out["surname"], lambda v: list(groups_of(v)))
    out["fore_dm"] = _map_unique(out["forename"], lambda v: list(phonetic(v.split()[0] if v else None)))
    out["sur_dm"] = _map_unique(out["surname"], lambda v: list(phonetic(v)))
    # the first name token and the surname tokens: "SMITH JONES" shares a part with "JONES"
    out["sur_tokens"] = _map_unique(out["surname"], lambda v: [t for t in (v or "").split() if len(t) > 1])
    alias_tokens = []
    for a, m in zip(col("aliases"), out["middle_names"]):
        toks = {t for x in _as_list(a) for t in (fold(x) or "").split() if len(t) > 1}
        toks.update(t for t in (m or "").split() if len(t) > 1)  # a middle name is often used as a known-as
        alias_tokens.append(sorted(toks))
    out["alias_tokens"] = alias_tokens
    # blocking keys: the first variant group (or the name itself) and the primary phonetic code
    out["fore_key"] = [g[0] if g else f for g, f in zip(out["fore_groups"], out["forename"])]
    out["sur_key"] = [g[0] if g else s for g, s in zip(out["sur_groups"], out["surname"])]
    out["fore_dm1"] = [d[0] if d else None for d in out["fore_dm"]]
    out["sur_dm1"] = [d[0] if d else None for d in out["sur_dm"]]

    parsed = [parse_dob(v, p) for v, p in zip(col("dob"), col("dob_precision"))]
    iso = [p[0] for p in parsed]
    prec = [p[1] for p in parsed]
    out["dob"] = [d if p == "day" else None for d, p in zip(iso, prec)]
    out["dob_ym"] = [d[:7] if d and p in ("day", "month") else None for d, p in zip(iso, prec)]
    out["dob_year"] = [d[:4] if d else None for d in iso]
    # year + the day/month pair in sorted order, so a day/month swap still shares the block
    out["dob_swap_key"] = [f"{d[:4]}-{min(d[5:7], d[8:10])}-{max(d[5:7], d[8:10])}" if d else None for d in out["dob"]]
    out["dob_unparsed"] = [not _blank(v) and d is None for v, d in zip(col("dob"), iso)]

    sex = col("sex").astype(object)
    out["sex"] = [s.strip().upper()[:1] if isinstance(s, str) and s.strip().upper()[:1] in ("M", "F") else None for s in sex]
    pcs = _map_unique(col("postcode").astype(object), lambda v: None if _blank(v) else _postcode_parts(str(v)))
    out["postcode"] = [p[0] if p else None for p in pcs]
    out["postcode_sector"] = [p[1] if p else None for p in pcs]
    out["postcode_district"] = [p[2] if p else None for p in pcs]
    out["address"] = _map_unique(col("address").astype(object), lambda v: None if _blank(v) else " ".join(str(v).upper().split()) or None)
    out["address_tokens"] = _map_unique(out["address"], _address_tokens)
    out["address_key"] = _map_unique(out["address"], _address_key)
    out["phones"] = [sorted({d for d in (_digits(x) for x in _as_list(v)) if d and len(d) >= 6}) for v in col("phones")]
    out["phone1"] = [p[0] if p else None for p in out["phones"]]
    out["nhs_number"] = [d if d and len(d) == 10 else None for d in (_digits(v) for v in col("nhs_number"))]
    return out.reset_index(drop=True)
