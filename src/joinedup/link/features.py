"""Turn person records into the comparison-ready rows the model scores (names, keys, dates, postcodes).

Every feature column is a function of one input field (or a fixed pair, e.g. dob + dob_precision). So the
Python that derives it (folding, variant groups, Double Metaphone, date parsing) runs once per *distinct*
value of that field, and DuckDB joins the results back to the records. A million records hold a few tens of
thousands of distinct names, dates and addresses, so this is much cheaper than a pass per record, and the
records themselves never become a pandas frame. `feature_row` runs the same functions for one record.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from joinedup.link.variants import groups_of, phonetic
from joinedup.standard.names import fold_name
from joinedup.standard.postcode import UK_POSTCODE_PARTS
from joinedup.warehouse.sql import list_literal, literal

# The only fields linkage may read. Protected fields (ethnicity, nationality, religion) are
# aggregate-only and are deliberately absent: features never copy a column they do not name here.
LINK_FIELDS = (
    "forename", "middle_names", "surname", "aliases", "dob", "dob_precision",
    "sex", "address", "postcode", "phones", "nhs_number",
)

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
    m = UK_POSTCODE_PARTS.match(s)
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


# ------------------------------------------------------------------ one function per input field (or pair)

def _forename(v: Any) -> tuple:
    f = fold_name(v)
    g = list(groups_of(f))
    d = list(phonetic(f.split()[0] if f else None))
    # blocking keys: the first variant group (or the name itself) and the primary phonetic code
    return f, g, d, (g[0] if g else f), (d[0] if d else None)


def _surname(v: Any) -> tuple:
    s = fold_name(v)
    g = list(groups_of(s))
    d = list(phonetic(s))
    # the surname tokens: "SMITH JONES" shares a part with "JONES"
    return s, g, d, [t for t in (s or "").split() if len(t) > 1], (g[0] if g else s), (d[0] if d else None)


def _middle_aliases(middle: Any, aliases: Any) -> tuple:
    m = fold_name(middle)
    toks = {t for x in _as_list(aliases) for t in (fold_name(x) or "").split() if len(t) > 1}
    toks.update(t for t in (m or "").split() if len(t) > 1)  # a middle name is often used as a known-as
    return m, sorted(toks)


def _dob(v: Any, precision: Any) -> tuple:
    iso, prec = parse_dob(v, precision)
    d = iso if prec == "day" else None
    return (d, iso[:7] if iso and prec in ("day", "month") else None, iso[:4] if iso else None,
            # year + the day/month pair in sorted order, so a day/month swap still shares the block
            f"{d[:4]}-{min(d[5:7], d[8:10])}-{max(d[5:7], d[8:10])}" if d else None,
            not _blank(v) and iso is None)


def _sex(v: Any) -> tuple:
    return (v.strip().upper()[:1] if isinstance(v, str) and v.strip().upper()[:1] in ("M", "F") else None,)


def _postcode(v: Any) -> tuple:
    return (None, None, None) if _blank(v) else _postcode_parts(str(v))


def _address(v: Any) -> tuple:
    a = None if _blank(v) else " ".join(str(v).upper().split()) or None
    return a, _address_tokens(a), _address_key(a)


def _phones(v: Any) -> tuple:
    p = sorted({d for d in (_digits(x) for x in _as_list(v)) if d and len(d) >= 6})
    return p, (p[0] if p else None)


def _nhs(v: Any) -> tuple:
    d = _digits(v)
    return (d if d and len(d) == 10 else None,)


_S, _L, _B = pa.string(), pa.list_(pa.string()), pa.bool_()
# (input fields, function, output columns and their types)
_DERIVE: tuple[tuple[tuple[str, ...], Callable[..., tuple], tuple[tuple[str, pa.DataType], ...]], ...] = (
    (("forename",), _forename, (("forename", _S), ("fore_groups", _L), ("fore_dm", _L), ("fore_key", _S), ("fore_dm1", _S))),
    (("surname",), _surname, (("surname", _S), ("sur_groups", _L), ("sur_dm", _L), ("sur_tokens", _L), ("sur_key", _S),
                              ("sur_dm1", _S))),
    (("middle_names", "aliases"), _middle_aliases, (("middle_names", _S), ("alias_tokens", _L))),
    (("dob", "dob_precision"), _dob, (("dob", _S), ("dob_ym", _S), ("dob_year", _S), ("dob_swap_key", _S), ("dob_unparsed", _B))),
    (("sex",), _sex, (("sex", _S),)),
    (("postcode",), _postcode, (("postcode", _S), ("postcode_sector", _S), ("postcode_district", _S))),
    (("address",), _address, (("address", _S), ("address_tokens", _L), ("address_key", _S))),
    (("phones",), _phones, (("phones", _L), ("phone1", _S))),
    (("nhs_number",), _nhs, (("nhs_number", _S),)),
)

# the column order of the feature table (and of link_record)
FEATURE_COLUMNS = ("unique_id", "source", "source_record_id", "forename", "surname", "middle_names", "fore_groups",
                   "sur_groups", "fore_dm", "sur_dm", "sur_tokens", "alias_tokens", "fore_key", "sur_key", "fore_dm1",
                   "sur_dm1", "dob", "dob_ym", "dob_year", "dob_swap_key", "dob_unparsed", "sex", "postcode",
                   "postcode_sector", "postcode_district", "address", "address_tokens", "address_key", "phones",
                   "phone1", "nhs_number")
LIST_COLUMNS = tuple(c for _, _, outs in _DERIVE for c, t in outs if t == _L)


def feature_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Feature values of one record given as a dict of LINK_FIELDS (the same functions as the table path)."""
    out: dict[str, Any] = {"unique_id": rec.get("unique_id"), "source": rec.get("source"),
                           "source_record_id": rec.get("source_record_id")}
    for ins, fn, outs in _DERIVE:
        vals = fn(*(rec.get(c) for c in ins))
        out.update(zip((c for c, _ in outs), vals))
    return {c: out[c] for c in FEATURE_COLUMNS}


def feature_table(con: Any, src: str, out: str, *, temp: bool = False) -> int:
    """Create table `out` in con holding the features of relation `src` (unique_id, source, source_record_id + any
    LINK_FIELDS); returns the row count. Python runs once per distinct field value; DuckDB joins the results back."""
    types = {r[0]: r[1] for r in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})").fetchall()}
    have = set(types)
    tag = uuid.uuid4().hex[:8]
    expr = {"unique_id": "s.unique_id::VARCHAR", "source": "s.source::VARCHAR",
            "source_record_id": "s.source_record_id::VARCHAR"}
    joins, regs = [], []
    for i, (ins, fn, outs) in enumerate(_DERIVE):
        present = [c for c in ins if c in have]
        if present and fn in _IN_SQL:
            # identifiers are nearly all distinct (one per person): a Python call per distinct value cost more
            # than the rest of the features together at 10M records, so these are derived in SQL
            expr.update(_IN_SQL[fn](f's."{ins[0]}"', types[ins[0]]))
            continue
        if not present:
            # the field is absent: every record gets the value a blank field gets
            for (c, t), v in zip(outs, fn(*([None] * len(ins)))):
                expr[c] = _sql_const(v, t)
            continue
        keys = ", ".join(f'"{c}"' for c in present)
        distinct = con.sql(f"SELECT DISTINCT {keys} FROM {src}").to_arrow_table()
        cols = [distinct.column(c).to_pylist() for c in present]
        full = [cols[present.index(c)] if c in present else [None] * distinct.num_rows for c in ins]
        vals = [fn(*args) for args in zip(*full)]
        tbl = distinct.rename_columns([f"k{j}" for j in range(len(present))])
        for j, (c, t) in enumerate(outs):
            tbl = tbl.append_column(c, pa.array([v[j] for v in vals], type=t))
        name = f"__jf_{tag}_{i}"
        con.register(name, tbl)
        regs.append(name)
        cond = " AND ".join(f's."{c}" IS NOT DISTINCT FROM d{i}.k{j}' for j, c in enumerate(present))
        joins.append(f"LEFT JOIN {name} d{i} ON {cond}")
        for c, t in outs:
            # a left join never misses (every value is in the distinct table); coalesce keeps lists non-NULL
            expr[c] = f"coalesce(d{i}.{c}, []::VARCHAR[])" if t == _L else f"d{i}.{c}"
    order = " ORDER BY s.__row" if "__row" in have else ""
    try:
        con.execute(f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {out} AS SELECT "
                    + ", ".join(f"{expr[c]} AS {c}" for c in FEATURE_COLUMNS) + f" FROM {src} s " + " ".join(joins) + order)
    finally:
        for n in regs:
            con.unregister(n)
    return con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]


def _digits_sql(x: str) -> str:
    return f"nullif(regexp_replace({x}, '[^0-9]', '', 'g'), '')"


def _phones_sql(col: str, typ: str) -> dict[str, str]:
    # as _phones: the parts of a list (or of text split on ; | ,), digits only, 6 or more, distinct and sorted
    parts = col if typ.endswith("[]") else f"regexp_split_to_array({col}::VARCHAR, '[;|,]')"
    ph = (f"coalesce(list_sort(list_distinct(list_filter(list_transform({parts}, lambda x: {_digits_sql('x::VARCHAR')}), "
          f"lambda d: length(d) >= 6))), []::VARCHAR[])")
    return {"phones": ph, "phone1": f"{ph}[1]"}


def _nhs_sql(col: str, typ: str) -> dict[str, str]:
    # as _nhs: the digits when there are exactly ten
    d = _digits_sql(f"{col}::VARCHAR")
    return {"nhs_number": f"CASE WHEN length({d}) = 10 THEN {d} END"}


_IN_SQL: dict[Callable[..., tuple], Callable[[str, str], dict[str, str]]] = {_phones: _phones_sql, _nhs: _nhs_sql}


def _sql_const(v: Any, t: pa.DataType) -> str:
    if t == _L:
        return list_literal(v or [])
    if t == _B:
        return "TRUE" if v else "FALSE"
    return "NULL::VARCHAR" if v is None else literal(v)


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Comparison-ready frame: one row per input row keyed by unique_id, with variant groups, phonetic codes and date/postcode parts."""
    import duckdb

    con = duckdb.connect()
    try:
        keep = [c for c in ("unique_id", "source", "source_record_id", *LINK_FIELDS) if c in df.columns]
        src = df[keep].reset_index(drop=True)
        for c in ("source", "source_record_id"):
            if c not in src.columns:
                src[c] = None
        src["__row"] = np.arange(len(src))
        con.register("__src", src)
        feature_table(con, "__src", "feat")
        tbl = con.sql(f"SELECT {', '.join(FEATURE_COLUMNS)} FROM feat").to_arrow_table()
    finally:
        con.close()
    out = pd.DataFrame({c: (tbl.column(c).to_pylist() if c in LIST_COLUMNS or c == "dob_unparsed"
                            else tbl.column(c).to_pandas().astype(object).where(lambda s: s.notna(), None))
                        for c in FEATURE_COLUMNS})
    return out
