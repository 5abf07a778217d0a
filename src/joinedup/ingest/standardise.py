"""Build the SQL that standardises and validates one extract file against the standard.

Everything here produces SQL that the warehouse runs over whole columns; no Python touches rows.
"""

from __future__ import annotations

from datetime import date

from joinedup.ingest.mapping import FieldSpec, FileSpec, Mapping
from joinedup.standard import Field, code_list, legacy_map, standard

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")
EARLIEST = "1900-01-01"

# NHS number: 10 digits; weights 10..2 on the first nine; check = 11 - (sum mod 11), 11 -> 0, 10 invalid.
_NHS_SUM = " + ".join(f"CAST(substr({{x}}, {i}, 1) AS INTEGER) * {11 - i}" for i in range(1, 10))
_UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def _in_list(x: str, values: set[str] | list[str]) -> str:
    return f"{x} IN ({', '.join(lit(v) for v in sorted(values))})"


def human_format(fmt: str) -> str:
    """A strptime format as people write it (dd/mm/yyyy)."""
    for a, b in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"), ("%b", "Mon"), ("%H", "HH"), ("%M", "MM"), ("%S", "SS")):
        fmt = fmt.replace(a, b)
    return fmt


def nhs_valid_sql(x: str) -> str:
    """SQL that is true when x (text) is 10 digits with a valid NHS modulus-11 check digit."""
    inner = "(11 - ((" + _NHS_SUM.format(x=x) + ") % 11))"
    return (
        f"(regexp_full_match({x}, '[0-9]{{10}}') AND CASE WHEN regexp_full_match({x}, '[0-9]{{10}}') THEN "
        f"CASE {inner} WHEN 11 THEN 0 WHEN 10 THEN -1 ELSE {inner} END = CAST(substr({x}, 10, 1) AS INTEGER) END)"
    )


def _item_sql(item: str, x: str) -> str:
    """Standardise one scalar value x of a simple type (NULL when it does not parse)."""
    if item == "name":
        s = f"upper(strip_accents({x}))"
        s = f"regexp_replace({s}, '[''’`]', '', 'g')"
        s = f"regexp_replace({s}, '[^A-Z]+', ' ', 'g')"
        return f"nullif(trim({s}), '')"
    if item == "phone":
        d = f"regexp_replace({x}, '[^0-9+]', '', 'g')"
        d = f"regexp_replace(regexp_replace({d}, '^\\+?44', '0'), '^00', '0')"
        return f"CASE WHEN regexp_full_match({d}, '0[0-9]{{9,10}}') THEN {d} END"
    if item == "vrm":
        return f"nullif(regexp_replace(upper({x}), '[^A-Z0-9]', '', 'g'), '')"
    if item == "postcode":
        p = f"regexp_replace(upper({x}), '[^A-Z0-9]', '', 'g')"
        return f"CASE WHEN regexp_full_match({p}, '{_UK_POSTCODE}') THEN substr({p}, 1, length({p}) - 3) || ' ' || right({p}, 3) END"
    if item == "nhs_number":
        d = f"regexp_replace({x}, '[\\s-]', '', 'g')"
        return f"CASE WHEN {nhs_valid_sql(d)} THEN {d} END"
    if item == "bool":
        return (
            f"CASE WHEN lower({x}) IN ('y','yes','1','true','t') THEN true "
            f"WHEN lower({x}) IN ('n','no','0','false','f') THEN false END"
        )
    return x  # text


def _raw_sql(spec: FieldSpec, nulls: tuple[str, ...], item_is_list: bool) -> str:
    """The raw text for a field: column/concat/const, blanks to NULL, prefix and value map applied."""

    def col(c: str) -> str:
        return f"CASE WHEN {_in_list(f'lower(trim({q(c)}))', set(nulls))} THEN NULL ELSE trim({q(c)}) END"

    if spec.const is not None:
        x = lit(spec.const)
    elif spec.concat:
        x = f"nullif(concat_ws({lit(spec.sep)}, {', '.join(col(c) for c in spec.concat)}), '')"
    else:
        x = col(spec.column or "")
    if item_is_list:
        return x  # prefix and map apply per item after splitting
    return _prefix_map(spec, x)


def _prefix_map(spec: FieldSpec, x: str) -> str:
    if spec.prefix:
        x = f"CASE WHEN {x} IS NULL THEN NULL ELSE {lit(spec.prefix)} || {x} END"
    if spec.map:
        whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spec.map.items())
        x = f"CASE lower({x}) {whens} ELSE {x} END"
    return x


def _scheme_sql(list_name: str, scheme: str, x: str) -> str:
    """Translate legacy codes through a scheme; a code the scheme lacks becomes '?' + code."""
    rows = [r for r in legacy_map(list_name) if r["scheme"] == scheme]
    whens = " ".join(f"WHEN {lit(r['legacy_code'].upper())} THEN {lit(r['code'])}" for r in rows)
    return f"CASE upper({x}) {whens} ELSE '?' || {x} END"


def _ons21_sql(spec: FieldSpec, raw: str, canonical: str) -> str:
    """ONS 2021 ethnic group from the source code: the scheme's override, else the canonical crosswalk."""
    over = ""
    if spec.scheme:
        rows = [r for r in legacy_map("ethnicity") if r["scheme"] == spec.scheme and r.get("ons21")]
        if rows:
            whens = " ".join(f"WHEN {lit(r['legacy_code'].upper())} THEN {lit(r['ons21'])}" for r in rows)
            over = f"CASE upper({raw}) {whens} END"
    cw = " ".join(f"WHEN {lit(r['code'])} THEN {lit(r['ons21'])}" for r in code_list("ethnicity").rows)
    base = f"CASE {canonical} {cw} END"
    return f"coalesce({over}, {base})" if over else base


def _date_sql(raw: str, formats: tuple[str, ...]) -> str:
    return "CAST(coalesce(" + ", ".join(f"try_strptime({raw}, {lit(f)})" for f in formats) + ", NULL) AS DATE)"


def _precision_sql(raw: str, formats: tuple[str, ...]) -> str:
    def prec(f: str) -> str:
        return "day" if "%d" in f else ("month" if ("%m" in f or "%b" in f) else "year")

    whens = " ".join(f"WHEN try_strptime({raw}, {lit(f)}) IS NOT NULL THEN {lit(prec(f))}" for f in formats)
    return f"CASE {whens} END"


class FileSQL:
    """The standardising SELECT for one file spec, and the field list it yields."""

    def __init__(self, mapping: Mapping, spec: FileSpec, source: str, raw_table: str, columns: list[str], today: date):
        self.table = standard()[spec.table]
        self.mapping, self.spec, self.source, self.raw_table = mapping, spec, source, raw_table
        self.today = today
        missing = sorted({c for fs in spec.fields.values() for c in fs.columns} - set(columns))
        if missing:
            from joinedup.ingest.mapping import MappingError

            raise MappingError(
                f"{source}/{'{file}'}: column {missing[0]!r} named by mapping {mapping.system} is not in the file"
            )
        self.out_columns: list[str] = []
        self._stage1: list[str] = []
        self._stage2: list[str] = []
        self._errors: list[str] = []
        self._warnings: list[str] = []
        self._build()

    def _err(self, fld: str, value: str, cond: str, reason: str, warn: bool = False) -> None:
        entry = f"CASE WHEN {cond} THEN {{'field': {lit(fld)}, 'value': CAST({value} AS VARCHAR), 'reason': {reason}}} END"
        (self._warnings if warn else self._errors).append(entry)

    def _build(self) -> None:
        nulls = self.mapping.null_values
        for f in self.table.fields:
            name = f.name
            if name == "source":
                self._stage2.append(f"{lit(self.source)} AS source")
                self.out_columns.append(name)
                continue
            if name == "agency_type":
                self._stage2.append(f"{lit(self.mapping.agency_type)} AS agency_type")
                self.out_columns.append(name)
                continue
            if f.derived:
                continue  # filled alongside the field it derives from
            spec = self.spec.fields.get(name)
            if spec is None and name == "org_code":
                spec = FieldSpec(field=name, const=self.mapping.org_code_for(self.source))
            if spec is None:
                self._stage2.append(f"CAST(NULL AS {self._sql_type(f)}) AS {q(name)}")
                self.out_columns.append(name)
                if f.type == "partial_date":
                    self._stage2.append(f"CAST(NULL AS VARCHAR) AS {q(name + '_precision')}")
                    self.out_columns.append(name + "_precision")
                if name == "ethnicity_self":
                    self._stage2.append("CAST(NULL AS VARCHAR) AS ethnicity_ons21")
                    self.out_columns.append("ethnicity_ons21")
                continue
            r = q("r_" + name)
            self._stage1.append(f"{_raw_sql(spec, nulls, f.type == 'list')} AS {r}")
            self._field(f, spec, r)

    @staticmethod
    def _sql_type(f: Field) -> str:
        return {"date": "DATE", "partial_date": "DATE", "bool": "BOOLEAN", "list": "VARCHAR[]"}.get(f.type, "VARCHAR")

    def _field(self, f: Field, spec: FieldSpec, r: str) -> None:
        name = f.name
        has_column = spec.const is None
        label = name.replace("_", " ")
        if f.required:
            self._err(name, r, f"{r} IS NULL", lit(f"{label} is missing (required)"))
        if f.type in ("text", "name", "vrm", "phone", "postcode", "nhs_number", "bool"):
            expr = _item_sql(f.type, r)
            self._stage2.append(f"{expr} AS {q(name)}")
            self.out_columns.append(name)
            if f.type in ("phone", "postcode", "nhs_number", "bool"):
                what = {"phone": "a UK phone number", "postcode": "a UK postcode", "bool": "yes/no",
                        "nhs_number": "an NHS number with a valid check digit"}[f.type]
                reason = f"{lit(label + ': ')} || '''' || {r} || {lit(chr(39) + ' is not ' + what)}"
                warn = f.on_invalid == "clear" or f.type in ("phone", "bool")
                self._err(name, r, f"{r} IS NOT NULL AND ({expr}) IS NULL", reason, warn=warn)
        elif f.type in ("date", "partial_date"):
            fmts = spec.formats or DEFAULT_DATE_FORMATS
            expr = _date_sql(r, fmts)
            self._stage2.append(f"{expr} AS {q(name)}")
            self.out_columns.append(name)
            if f.type == "partial_date":
                self._stage2.append(f"{_precision_sql(r, fmts)} AS {q(name + '_precision')}")
                self.out_columns.append(name + "_precision")
            expect = " or ".join(human_format(x) for x in fmts)
            bad = f"{lit(label + ': ')} || '''' || {r} || {lit(chr(39) + ' is not a real date in the form ' + expect)}"
            self._err(name, r, f"{r} IS NOT NULL AND {expr} IS NULL", bad, warn=f.on_invalid == "clear")
            rng = (
                f"{lit(label + ': ')} || CAST({expr} AS VARCHAR) || "
                f"CASE WHEN {expr} > DATE {lit(self.today.isoformat())} THEN ' is in the future' ELSE ' is before {EARLIEST[:4]}' END"
            )
            self._err(
                name, r,
                f"{expr} IS NOT NULL AND ({expr} > DATE {lit(self.today.isoformat())} OR {expr} < DATE {lit(EARLIEST)})",
                rng, warn=f.on_invalid == "clear",
            )
        elif f.type == "code":
            self._code_field(f, spec, r, has_column)
        elif f.type == "list":
            self._list_field(f, spec, r)
        else:  # pragma: no cover - the standard's loader rejects unknown types
            raise ValueError(f.type)

    def _code_field(self, f: Field, spec: FieldSpec, r: str, has_column: bool) -> None:
        name, cl = f.name, code_list(f.codes or "")
        x = _scheme_sql(cl.name, spec.scheme, r) if spec.scheme else r
        nr = "NR" in cl.codes and has_column and not f.required
        canonical = f"CASE WHEN {r} IS NULL THEN {lit('NR') if nr else 'NULL'} ELSE {x} END"
        self._stage2.append(f"{canonical} AS {q(name)}")
        self.out_columns.append(name)
        if name == "ethnicity_self":
            self._stage2.append(f"{_ons21_sql(spec, r, canonical)} AS ethnicity_ons21")
            self.out_columns.append("ethnicity_ons21")
        via = f" (after mapping scheme {spec.scheme})" if spec.scheme else ""
        reason = f"{lit(f.name.replace('_', ' ') + ': code ')} || '''' || {r} || {lit(chr(39) + ' is not in code list ' + cl.name + via)}"
        self._err(name, r, f"{r} IS NOT NULL AND NOT coalesce({_in_list(canonical, cl.codes)}, false)", reason)

    def _list_field(self, f: Field, spec: FieldSpec, r: str) -> None:
        name, item = f.name, f.item or "text"
        parts = f"string_split({r}, {lit(spec.split)})" if spec.split else f"[{r}]"
        each = _prefix_map(spec, "trim(x)")
        if item == "code":
            cl = code_list(f.codes or "")
            if spec.scheme:
                each = _scheme_sql(cl.name, spec.scheme, each)
            items = f"list_transform(list_filter({parts}, lambda x: trim(x) <> ''), lambda x: {each})"
            self._stage2.append(f"CASE WHEN {r} IS NULL THEN NULL ELSE {items} END AS {q(name)}")
            bad = f"list_filter({items}, lambda y: NOT {_in_list('y', cl.codes)})"
            reason = f"{lit(name.replace('_', ' ') + ': code ')} || '''' || array_to_string({bad}, ',') || {lit(chr(39) + ' is not in code list ' + cl.name)}"
            self._err(name, r, f"{r} IS NOT NULL AND len({bad}) > 0", reason)
        else:
            std = _item_sql(item, each)
            items = f"list_filter(list_transform({parts}, lambda x: {std}), lambda y: y IS NOT NULL)"
            self._stage2.append(f"CASE WHEN {r} IS NULL THEN NULL ELSE nullif({items}, []) END AS {q(name)}")
            if item in ("phone",):
                kept = f"len({items})"
                raw_n = f"len(list_filter({parts}, lambda x: trim(x) <> ''))"
                reason = f"{lit(name + ': ')} || '''' || {r} || {lit(chr(39) + ' has values that are not UK phone numbers (dropped)')}"
                self._err(name, r, f"{r} IS NOT NULL AND {kept} < {raw_n}", reason, warn=True)
        self.out_columns.append(name)

    def sql(self) -> str:
        """SELECT _row, standard fields..., _errors, _warnings FROM the raw table."""
        stage1 = ", ".join(["_row"] + self._stage1)
        errs = "list_filter([" + ", ".join(self._errors) + "], lambda e: e IS NOT NULL)" if self._errors else "[]"
        warns = "list_filter([" + ", ".join(self._warnings) + "], lambda e: e IS NOT NULL)" if self._warnings else "[]"
        key = "source_record_id"
        dup = (
            f"CASE WHEN count(*) OVER (PARTITION BY {q(key)}) > 1 AND _row <> min(_row) OVER (PARTITION BY {q(key)}) "
            f"THEN {{'field': {lit(key)}, 'value': {q(key)}, 'reason': 'source record id ''' || {q(key)} || ''' appears more than once in this file (first at row ' || CAST(min(_row) OVER (PARTITION BY {q(key)}) AS VARCHAR) || ')'}} END"
        )
        return (
            f"WITH s1 AS (SELECT {stage1} FROM {self.raw_table}), "
            f"s2 AS (SELECT _row, {', '.join(self._stage2)}, {errs} AS _errors, {warns} AS _warnings FROM s1) "
            f"SELECT * EXCLUDE (_errors), CASE WHEN {q(key)} IS NULL THEN _errors "
            f"ELSE list_filter(list_append(_errors, {dup}), lambda e: e IS NOT NULL) END AS _errors FROM s2"
        )
