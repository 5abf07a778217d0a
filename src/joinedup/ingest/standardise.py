"""Build the SQL that standardises and validates one extract file against the standard.

Everything here produces SQL that the warehouse runs over whole columns; no Python touches rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from joinedup.ingest.mapping import FieldSpec, FileSpec, Mapping, MappingError
from joinedup.standard import Field, code_list, legacy_map, standard
from joinedup.standard.names import name_sql
from joinedup.standard.postcode import UK_POSTCODE, UK_POSTCODE_SPACED
from joinedup.warehouse.sql import ident, literal

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")
UNIT_SEPARATOR = "\x1f"  # what split_regex turns each separator into, so one string_split does the rest
EARLIEST = "1900-01-01"

# NHS number: 10 digits; weights 10..2 on the first nine; check = 11 - (sum mod 11), 11 -> 0, 10 invalid.
_NHS_SUM = " + ".join(f"CAST(substr({{x}}, {i}, 1) AS INTEGER) * {11 - i}" for i in range(1, 10))
_UK_PHONE = r"0[0-9]{9,10}"
_PLAIN_VRM = r"[A-Z0-9]+"


q = ident  # short names: the generated SQL quotes hundreds of identifiers and literals
lit = literal


def _in_list(x: str, values: set[str] | list[str]) -> str:
    return f"{x} IN ({', '.join(lit(v) for v in sorted(values))})"


def human_format(fmt: str) -> str:
    """A strptime format as people write it (dd/mm/yyyy)."""
    for a, b in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"), ("%b", "Mon"), ("%H", "HH"), ("%M", "MM"), ("%S", "SS")):
        fmt = fmt.replace(a, b)
    return fmt


def nhs_valid_sql(x: str) -> str:
    """SQL that is true when x (text) is 10 digits with a valid NHS modulus-11 check digit."""
    # (11 - sum mod 11) mod 11 maps 11 to 0 and leaves 10, which no digit equals: invalid, as it
    # should be. Written once, not twice: binding the expression (a regex compiled per mention)
    # cost more planning time than anything else in a person file's query.
    check = "(11 - ((" + _NHS_SUM.format(x=x) + ") % 11)) % 11"
    return (
        f"coalesce(CASE WHEN regexp_full_match({x}, '[0-9]{{10}}') THEN "
        f"{check} = CAST(substr({x}, 10, 1) AS INTEGER) END, false)"
    )


def _item_sql(item: str, x: str) -> str:
    """Standardise one scalar value x of a simple type (NULL when it does not parse)."""
    if item == "name":
        return name_sql(x)  # the one normaliser, shared with linkage
    if item == "phone":
        d = f"regexp_replace({x}, '[^0-9+]', '', 'g')"
        d = f"regexp_replace(regexp_replace({d}, '^\\+?44', '0'), '^00', '0')"
        return f"CASE WHEN regexp_full_match({d}, '0[0-9]{{9,10}}') THEN {d} END"
    if item == "vrm":
        return f"nullif(regexp_replace(upper({x}), '[^A-Z0-9]', '', 'g'), '')"
    if item == "postcode":
        p = f"upper(replace({x}, ' ', ''))"
        # A postcode already written the standard way is kept as it is.
        return (
            f"CASE WHEN regexp_full_match({x}, '{UK_POSTCODE_SPACED}') THEN {x} "
            f"WHEN regexp_full_match({p}, '{UK_POSTCODE}') THEN substr({p}, 1, length({p}) - 3) || ' ' || right({p}, 3) END"
        )
    if item == "nhs_number":
        d = f"regexp_replace({x}, '[\\s-]', '', 'g')"
        return f"CASE WHEN {nhs_valid_sql(d)} THEN {d} END"
    if item == "bool":
        return (
            f"CASE WHEN lower({x}) IN ('y','yes','1','true','t') THEN true "
            f"WHEN lower({x}) IN ('n','no','0','false','f') THEN false END"
        )
    return x  # text


def _blank_to_null_sql(x: str, nulls: tuple[str, ...], empty: bool = True) -> str:
    """Text x trimmed, with blanks and the mapping's null markers (any case) as NULL.

    empty: whether x can be the empty string (DuckDB's CSV reader already gives NULL for an empty
    field, quoted or not; Parquet and spreadsheets can hold '').
    """
    markers = set(nulls) | {""}
    slow = f"CASE WHEN {_in_list(f'lower(trim({x}))', markers)} THEN NULL ELSE trim({x}) END"
    # An empty cell (CSV reads them as '', to tell them from a short row's missing fields) is the
    # commonest blank: answered first, without trimming or lower-casing it.
    first = f"WHEN {x} = '' THEN NULL " if empty else ""
    return f"CASE {first}WHEN {_needs_cleaning(x, markers - {''}, False)} THEN {slow} ELSE {x} END"


def _raw_sql(spec: FieldSpec, value: dict[str, str], item_is_list: bool) -> str:
    """The raw text for a field: column/concat/const (value[c] is column c, already blank-to-null), prefix and value map applied."""
    if spec.const is not None:
        x = lit(spec.const)
    elif spec.concat:
        x = f"nullif(concat_ws({lit(spec.sep)}, {', '.join(value[c] for c in spec.concat)}), '')"
    else:
        x = value[spec.column or ""]
    if item_is_list:
        if spec.split_regex:  # several separators, or a pattern: each becomes one unit separator
            x = f"regexp_replace({x}, {lit(spec.split_regex)}, chr(31), 'g')"
        return x  # prefix and map apply per item after splitting
    return _prefix_map(spec, x)


def _needs_cleaning(x: str, markers: set[str], empty: bool = True) -> str:
    """SQL true when text x may need trimming or is a null marker: blank, spaces at either end, or a marker.

    Most values are none of these, and these tests are cheaper than trimming and lower-casing
    every value (trim only removes spaces, so the LIKEs catch everything it would change).
    """
    cond = (f"{x} = '' OR " if empty else "") + f"{x} LIKE ' %' OR {x} LIKE '% '"
    if markers:
        # Lower-casing keeps the length of ASCII text, so only values of a marker's length can be one.
        guard = f"length({x}) IN ({', '.join(str(n) for n in sorted({len(m) for m in markers}))}) AND " if all(
            m.isascii() for m in markers) else ""
        cond += f" OR ({guard}{_in_list(f'lower({x})', markers)})"
    return cond


def _prefix_map(spec: FieldSpec, x: str) -> str:
    if spec.prefix:
        x = f"CASE WHEN {x} IS NULL THEN NULL ELSE {lit(spec.prefix)} || {x} END"
    if spec.map:
        # A value mapped to blank is not recorded (NULL), like a blank cell.
        whens = " ".join(f"WHEN {lit(k)} THEN {lit(v) if v != '' else 'NULL'}" for k, v in spec.map.items())
        x = f"CASE lower({x}) {whens} ELSE {x} END"
    return x


def _scheme_sql(list_name: str, scheme: str, x: str) -> str:
    """Translate legacy codes through a scheme; a code the scheme lacks becomes '?' + code."""
    rows = [r for r in legacy_map(list_name) if r["scheme"] == scheme]
    # A constant MAP lookup is a hash probe; a CASE with hundreds of WHENs is a scan per row.
    pairs = ", ".join(f"{lit(r['legacy_code'].upper())}: {lit(r['code'])}" for r in rows)
    return f"coalesce(map_extract_value(MAP {{{pairs}}}, upper({x})), '?' || {x})"


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


def expand_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats to try: as given, then each four-digit-year format with a two-digit year (25/10/05)."""
    extra = tuple(f.replace("%Y", "%y") for f in formats if "%Y" in f and f.replace("%Y", "%y") not in formats)
    return tuple(formats) + extra


def _parse_sql(raw: str, fmt: str, today: date | None = None) -> str:
    """SQL: raw parsed with one strptime format (NULL when it does not fit).

    A four-digit-year format never takes a shorter year (DuckDB reads '05' with %Y as the year 5);
    a two-digit year is the latest such year not after today (25/10/68 is 1968 for a birth date);
    ordinal days ("3rd March 2009") are read wherever a format names the month.
    """
    x = raw
    if "%B" in fmt or "%b" in fmt:
        x = f"regexp_replace({raw}, '([0-9])(st|nd|rd|th)\\b', '\\1', 'gi')"
    t = f"try_strptime({x}, {lit(fmt)})"
    if "%Y" in fmt:
        # One evaluation of the parse (a CASE would name it twice): years before 1000 become NULL.
        return f"nullif(greatest({t}, TIMESTAMP '1000-01-01'), TIMESTAMP '1000-01-01')"
    if "%y" in fmt and today is not None:
        return f"CASE WHEN {t} > DATE {lit(today.isoformat())} THEN {t} - INTERVAL 100 YEAR ELSE {t} END"
    return t


def _date_sql(raw: str, formats: tuple[str, ...], today: date | None = None) -> str:
    return "CAST(coalesce(" + ", ".join(_parse_sql(raw, f, today) for f in formats) + ", NULL) AS DATE)"


def _precision(fmt: str) -> str:
    return "day" if "%d" in fmt else ("month" if ("%m" in fmt or "%b" in fmt) else "year")


def _format_index_sql(raw: str, formats: tuple[str, ...], today: date | None = None) -> str:
    """Which of the formats (1-based) parses raw first; NULL when none does.

    A CASE tries the next format only on the rows the earlier ones failed: a failed try_strptime
    costs several times a successful one, and most values match the first format.
    """
    whens = " ".join(f"WHEN {_parse_sql(raw, f, today)} IS NOT NULL THEN {i}" for i, f in enumerate(formats, 1))
    return f"CASE {whens} END"


def _partial_date_sql(raw: str, idx: str, formats: tuple[str, ...], first: str,
                      today: date | None = None) -> tuple[str, str]:
    """The date and its precision ('day', 'month', 'year') from the index of the format that parses raw.

    first: a column holding raw parsed with the first format (most values), so it is not parsed twice.
    """
    dates = " ".join(f"WHEN {i} THEN {first if i == 1 else _parse_sql(raw, f, today)}" for i, f in enumerate(formats, 1))
    precs = " ".join(f"WHEN {i} THEN {lit(_precision(f))}" for i, f in enumerate(formats, 1))
    return f"CAST(CASE {idx} {dates} END AS DATE)", f"CASE {idx} {precs} END"


class FileSQL:
    """The standardising SELECT for one file spec, and the field list it yields.

    Three stages, so each value is parsed once (after s0 trims each source column and turns blanks
    and null markers into NULL, once however many fields read it): s1 takes the raw text of each field (r_*),
    s2 parses it (p_*), s3 names the standard columns and lists errors and warnings. Between s1
    and s2, s1b finds which format parses a partial date (f_*), so that s2 parses each value with
    that format alone (with the date and its precision in one stage, DuckDB's common-subexpression
    pass would run every format's try_strptime on every row), and strips an NHS number (n_*).
    """

    def __init__(self, mapping: Mapping, spec: FileSpec, source: str, raw_table: str, columns: list[str], today: date,
                 file_name: str = "<file>", empty_cells: bool = True, row_width: str | None = None):
        self.table = standard()[spec.table]
        self.empty_cells = empty_cells  # False when the reader gives NULL for every empty cell
        # CSV: the column that a row with one field too many fills (None: no check of row width)
        self.row_width = row_width
        self.mapping, self.spec, self.source, self.raw_table = mapping, spec, source, raw_table
        self.columns = columns
        self.today = today
        self.derived = {d[0]: d for d in spec.derived}  # columns split out of another by a regex
        columns = [*columns, *(c for c in self.derived if c not in columns)]
        # an optional column the file lacks (an extract from before the standard added the field) leaves it null
        absent = [k for k, fs in spec.fields.items() if fs.optional and any(c not in columns for c in fs.columns)]
        if absent:
            spec = replace(spec, fields={k: fs for k, fs in spec.fields.items() if k not in absent})
            self.spec = spec
        named = {c for fs in spec.fields.values() for c in fs.columns} | {r.column for r in spec.skip}
        named |= {d[1] for d in spec.derived}
        if spec.deleted:
            named.add(spec.deleted[0])
        missing = sorted(named - set(columns))
        if missing:
            raise MappingError(
                f"{source}/{file_name}: column {missing[0]!r} named by mapping {mapping.system} is not in the file"
            )
        self.out_columns: list[str] = []  # columns of the standardised rows, beside _row, _errors, _warnings, _raw
        self.constants: dict[str, str] = {}  # standard columns with one value (SQL) for the whole file
        self._stage1: list[str] = []
        self._stage1b: list[str] = []
        self._stage2: list[str] = []
        self._final: list[str] = []
        self._errors: list[str] = []
        self._warnings: list[str] = []
        self._err_conds: list[str] = []
        self._warn_conds: list[str] = []
        self._build()

    def _out(self, name: str, expr: str) -> None:
        if expr.startswith(("'", "CAST(NULL AS ")):
            # The same for every row: the loader adds it, so the worker's copy does not carry it.
            self.constants[name] = expr
            return
        self._final.append(f"{expr} AS {q(name)}")
        self.out_columns.append(name)

    def _err(self, fld: str, value: str, cond: str, reason: str, warn: bool = False) -> None:
        entry = f"CASE WHEN {cond} THEN {{'field': {lit(fld)}, 'value': CAST({value} AS VARCHAR), 'reason': {reason}}} END"
        (self._warnings if warn else self._errors).append(entry)
        (self._warn_conds if warn else self._err_conds).append(f"({cond})")

    def _build(self) -> None:
        nulls = self.mapping.null_values
        # Each source column is trimmed and blank-to-null once, in stage s0, whatever fields read it.
        used = [c for c in [*self.columns, *(d for d in self.derived if d not in self.columns)]
                if any(c in fs.columns for fs in self.spec.fields.values())]
        value = {c: q(f"v_{i}") for i, c in enumerate(used)}
        def source(c: str) -> str:
            if c not in self.derived:
                return q(c)
            _, src, rx, idx = self.derived[c]
            return f"regexp_extract({q(src)}, {lit(rx)}, {idx})"

        self._stage0 = [f"{_blank_to_null_sql(source(c), nulls, True if c in self.derived else self.empty_cells)} AS {value[c]}"
                        for c in used]
        for src, rx in {(d[1], d[2]) for d in self.derived.values()}:
            names = ", ".join(d[0] for d in self.derived.values() if d[1] == src)
            # A value the pattern does not fit leaves its parts blank: said, never silent.
            self._stage0.append(f"({q(src)} <> '' AND NOT regexp_matches({q(src)}, {lit(rx)})) AS {q('m_' + src)}")
            self._stage0.append(f"{q(src)} AS {q('x_' + src)}")
            self._err(src, q("x_" + src), q("m_" + src),
                      f"{lit(src + ': ')} || '''' || {q('x_' + src)} || {lit(chr(39) + ' does not fit the pattern that splits it into ' + names)}",
                      warn=True)
        if self.row_width is not None and self.columns:
            # The reader reads an empty field as '' and pads a short row with NULL: a NULL last
            # column is a short row, a value in the extra column a long one (never loaded shifted).
            n = len(self.columns)
            self._stage0 += [f"{q(self.row_width)} IS NOT NULL AS _long", f"{q(self.columns[-1])} IS NULL AS _short"]
            self._err("row", "NULL", "_long", lit(f"the row has more fields than the header's {n} "
                                                   "(an unquoted delimiter?); not loaded shifted"))
            self._err("row", "NULL", "_short", lit(f"the row has fewer fields than the header's {n}"))
        for f in self.table.fields:
            name = f.name
            if name == "source":
                self._out(name, lit(self.source))
                continue
            if name == "agency_type":
                self._out(name, lit(self.mapping.agency_type))
                continue
            if f.derived:
                continue  # filled alongside the field it derives from
            spec = self.spec.fields.get(name)
            if spec is None and name == "org_code":
                spec = FieldSpec(field=name, const=self.mapping.org_code_for(self.source))
            if spec is None:
                self._out(name, f"CAST(NULL AS {self._sql_type(f)})")
                if f.type == "partial_date":
                    self._out(name + "_precision", "CAST(NULL AS VARCHAR)")
                if name == "ethnicity_self":
                    self._out("ethnicity_ons21", "CAST(NULL AS VARCHAR)")
                continue
            r = q("r_" + name)
            self._stage1.append(f"{_raw_sql(spec, value, f.type == 'list')} AS {r}")
            if spec.split_regex:
                spec = replace(spec, split=UNIT_SEPARATOR)
            self._field(f, spec, r)

    @staticmethod
    def _sql_type(f: Field) -> str:
        return {"date": "DATE", "partial_date": "DATE", "bool": "BOOLEAN", "list": "VARCHAR[]"}.get(f.type, "VARCHAR")

    def _field(self, f: Field, spec: FieldSpec, r: str) -> None:
        name = f.name
        p = q("p_" + name)
        label = name.replace("_", " ")
        if f.required_by(self.mapping.agency_type):
            self._err(name, r, f"{r} IS NULL", lit(f"{label} is missing (required)"))
        if f.type == "nhs_number":
            # Strip spaces and dashes one stage earlier, so the check reads a column, not the
            # regexp_replace written out a dozen times.
            d = q("n_" + name)
            self._stage1b.append(f"regexp_replace({r}, '[\\s-]', '', 'g') AS {d}")
            self._stage2.append(f"CASE WHEN {nhs_valid_sql(d)} THEN {d} END AS {p}")
        elif f.type in ("text", "name", "vrm", "phone", "postcode", "bool"):
            self._stage2.append(f"{_item_sql(f.type, r)} AS {p}")
        if f.type == "name":
            # A NUL byte is never part of a name: the normaliser drops it; the change is noted.
            self._err(name, r, f"contains({r}, chr(0))", lit(f"{label}: contains a NUL byte (removed)"), warn=True)
        if f.type in ("text", "name", "vrm", "phone", "postcode", "nhs_number", "bool"):
            self._out(name, p)
            if f.type in ("phone", "postcode", "nhs_number", "bool"):
                what = {"phone": "a UK phone number", "postcode": "a UK postcode", "bool": "yes/no",
                        "nhs_number": "an NHS number with a valid check digit"}[f.type]
                reason = f"{lit(label + ': ')} || '''' || {r} || {lit(chr(39) + ' is not ' + what)}"
                warn = f.on_invalid == "clear" or f.type in ("phone", "bool")
                self._err(name, r, f"{r} IS NOT NULL AND {p} IS NULL", reason, warn=warn)
        elif f.type in ("date", "partial_date"):
            given = spec.formats or DEFAULT_DATE_FORMATS
            fmts = expand_formats(given)
            if f.type == "partial_date":
                idx, first = q("f_" + name), q("d_" + name)
                # The index's first test and this column are one expression in one projection:
                # DuckDB computes it once.
                self._stage1b.append(f"{_format_index_sql(r, fmts, self.today)} AS {idx}")
                self._stage1b.append(f"{_parse_sql(r, fmts[0], self.today)} AS {first}")
                value, precision = _partial_date_sql(r, idx, fmts, first, self.today)
                self._stage2.append(f"{value} AS {p}")
                self._stage2.append(f"{precision} AS {q('p_' + name + '_precision')}")
                self._out(name, p)
                self._out(name + "_precision", q("p_" + name + "_precision"))
            else:
                self._stage2.append(f"{_date_sql(r, fmts, self.today)} AS {p}")
                self._out(name, p)
            expect = " or ".join(human_format(x) for x in given)
            warn = f.on_invalid == "clear"
            bad = f"{lit(label + ': ')} || '''' || {r} || {lit(chr(39) + ' is not a real date in the form ' + expect)}"
            self._err(name, r, f"{r} IS NOT NULL AND {p} IS NULL", bad, warn=warn)
            today = f"DATE {lit(self.today.isoformat())}"
            rng = (
                f"{lit(label + ': ')} || CAST({p} AS VARCHAR) || "
                f"CASE WHEN {p} > {today} THEN ' is in the future' ELSE ' is before {EARLIEST[:4]}' END"
            )
            self._err(name, r, f"({p} > {today} OR {p} < DATE {lit(EARLIEST)})", rng, warn=warn)
        elif f.type == "code":
            self._code_field(f, spec, r, p)
        elif f.type == "list":
            self._list_field(f, spec, r, p)
        else:  # pragma: no cover - the standard's loader rejects unknown types
            raise ValueError(f.type)

    def _code_field(self, f: Field, spec: FieldSpec, r: str, p: str) -> None:
        name, cl = f.name, code_list(f.codes or "")
        x = _scheme_sql(cl.name, spec.scheme, r) if spec.scheme else r
        nr = "NR" in cl.codes and spec.const is None and not f.required
        self._stage2.append(f"CASE WHEN {r} IS NULL THEN {lit('NR') if nr else 'NULL'} ELSE {x} END AS {p}")
        via = f" (after mapping scheme {spec.scheme})" if spec.scheme else ""
        reason = f"{lit(label_of(name) + ': code ')} || '''' || {r} || {lit(chr(39) + ' is not in code list ' + cl.name + via)}"
        # Every scheme target is a valid code (tests/standard checks), so only untranslated '?' codes fail.
        valid = f"NOT starts_with({p}, '?')" if spec.scheme else f"coalesce({_in_list(p, cl.codes)}, false)"
        if f.protected:
            # A statistics-only field never costs a record: an unknown code is not recorded, and said so.
            p = f"CASE WHEN {r} IS NULL OR {valid} THEN {p} ELSE {lit('NR') if 'NR' in cl.codes else 'NULL'} END"
            reason = f"{reason} || {lit('; recorded as not recorded')}"
        self._out(name, p)
        if name == "ethnicity_self":
            self._out("ethnicity_ons21", _ons21_sql(spec, r, p))
        self._err(name, r, f"{r} IS NOT NULL AND NOT {valid}", reason, warn=f.protected)

    def _list_field(self, f: Field, spec: FieldSpec, r: str, p: str) -> None:
        name, item = f.name, f.item or "text"
        parts = f"string_split({r}, {lit(spec.split)})" if spec.split else f"[{r}]"
        each = _prefix_map(spec, "trim(x)")
        if item == "code":
            cl = code_list(f.codes or "")
            if spec.scheme:
                each = _scheme_sql(cl.name, spec.scheme, each)
            items = f"list_transform(list_filter({parts}, lambda x: trim(x) <> ''), lambda x: {each})"
            self._stage2.append(f"CASE WHEN {r} IS NULL THEN NULL ELSE {items} END AS {p}")
            self._out(name, p)
            bad = f"list_filter({p}, lambda y: NOT {_in_list('y', cl.codes)})"
            reason = f"{lit(label_of(name) + ': code ')} || '''' || array_to_string({bad}, ',') || {lit(chr(39) + ' is not in code list ' + cl.name)}"
            self._err(name, r, f"{r} IS NOT NULL AND len({bad}) > 0", reason)
        elif item == "phone":
            # Clean the whole cell once, then fold +44/0044 per item: regexes inside lambdas are slow.
            sep = spec.split or ";"
            keep = "".join("\\" + ch if ch in "\\^]-[" else ch for ch in sep)
            cleaned = f"regexp_replace({r}, '[^0-9+{keep}]', '', 'g')"
            cparts = f"string_split({cleaned}, {lit(sep)})" if spec.split else f"[{cleaned}]"
            fold = "CASE WHEN starts_with(x, '+44') THEN '0' || x[4:] WHEN starts_with(x, '0044') THEN '0' || x[5:] ELSE x END"
            items = (
                f"list_filter(list_transform(list_filter({cparts}, lambda x: x <> ''), lambda x: {fold}), "
                f"lambda y: regexp_full_match(y, '0[0-9]{{9,10}}'))"
            )
            # Most cells hold one clean number: flag those one stage earlier, and keep them as they are.
            plain = q("c_" + name)
            self._stage1b.append(f"regexp_full_match({r}, '{_UK_PHONE}') AS {plain}")
            self._stage2.append(f"CASE WHEN {r} IS NULL THEN NULL WHEN {plain} THEN [{r}] ELSE {items} END AS {p}")
            self._out(name, f"nullif({p}, [])")
            given = f"len(list_filter({parts}, lambda x: trim(x) <> ''))"
            reason = f"{lit(name + ': ')} || '''' || {r} || {lit(chr(39) + ' has values that are not UK phone numbers (dropped)')}"
            self._err(name, r, f"{r} IS NOT NULL AND NOT {plain} AND len({p}) < {given}", reason, warn=True)
        else:
            std = _item_sql(item, each)
            items = f"list_filter(list_transform({parts}, lambda x: {std}), lambda y: y IS NOT NULL)"
            plain = ""
            if item == "vrm" and not (spec.prefix or spec.map):
                # One registration already in capitals and digits needs nothing done.
                plain = f"WHEN regexp_full_match({r}, '{_PLAIN_VRM}') THEN [{r}] "
            self._stage2.append(f"CASE WHEN {r} IS NULL THEN NULL {plain}ELSE nullif({items}, []) END AS {p}")
            self._out(name, p)

    def sql(self, raw_columns: list[str] | None = None) -> str:
        """SELECT _row, standard fields..., _errors, _warnings FROM the raw table.

        With raw_columns, also `_raw`: the row's raw values as JSON, for rows with errors only.
        The error and warning lists are built only for rows whose cheap flag (any condition true)
        is set; most rows are clean, and building and filtering a list of structs per row is not free.
        """
        stage0 = ", ".join(["_row"] + self._stage0 + [f"{self._skip_sql()} AS _skip", f"{self._deleted_sql()} AS _deleted"])
        if raw_columns is not None:
            stage0 += ", {" + ", ".join(f"{lit(c)}: {q(c)}" for c in raw_columns) + "} AS _src"
        stage1 = ", ".join(["*"] + self._stage1)
        stage2 = ", ".join(["*"] + self._stage2)
        flags = ["*"]
        if self._errors:
            flags.append("CASE WHEN " + " OR ".join(self._err_conds) + " THEN true ELSE false END AS _bad")
        if self._warnings:
            flags.append("CASE WHEN " + " OR ".join(self._warn_conds) + " THEN true ELSE false END AS _warn")
        errs = (
            "CASE WHEN _bad THEN list_filter([" + ", ".join(self._errors) + "], lambda e: e IS NOT NULL) ELSE [] END"
            if self._errors else "[]"
        )
        warns = (
            "CASE WHEN _warn THEN list_filter([" + ", ".join(self._warnings) + "], lambda e: e IS NOT NULL) ELSE [] END"
            if self._warnings else "[]"
        )
        # Rows outside the scope (a skip rule) are neither loaded nor quarantined; a row marking a
        # deleted record (delta deliveries) needs only its key.
        skip = self._skip_sql()
        deleted = self._deleted_sql()
        if skip != "NULL":
            errs = f"CASE WHEN _skip IS NOT NULL THEN [] ELSE {errs} END"
            warns = f"CASE WHEN _skip IS NOT NULL THEN [] ELSE {warns} END"
        if deleted != "false":
            errs = f"CASE WHEN _deleted THEN list_filter({errs}, lambda e: e.field = 'source_record_id') ELSE {errs} END"
            warns = f"CASE WHEN _deleted THEN [] ELSE {warns} END"
        extra = ""
        if raw_columns is not None:
            extra = (", CASE WHEN _bad THEN CAST(to_json(_src) AS VARCHAR) END AS _raw" if self._errors
                     else ", CAST(NULL AS VARCHAR) AS _raw")
        return (
            f"WITH s0 AS (SELECT {stage0} FROM {self.raw_table}), s1 AS (SELECT {stage1} FROM s0), "
            f"s1b AS (SELECT {', '.join(['*'] + self._stage1b)} FROM s1), s2 AS (SELECT {stage2} FROM s1b), "
            f"s3 AS (SELECT {', '.join(flags)} FROM s2) "
            f"SELECT _row, {', '.join(self._final)}, {errs} AS _errors, {warns} AS _warnings, _skip, _deleted{extra} FROM s3"
        )

    def _skip_sql(self) -> str:
        """SQL over the raw columns: the text of the first skip rule a row meets (NULL: not skipped)."""
        if not self.spec.skip:
            return "NULL"
        whens = []
        for rule in self.spec.skip:
            c = q(rule.column)
            if rule.values:
                cond = f"lower(trim({c})) IN ({', '.join(lit(v.strip().lower()) for v in rule.values)})"
            elif rule.matches is not None:
                cond = f"regexp_matches(coalesce({c}, ''), {lit(rule.matches)})"
            else:
                cond = f"coalesce(trim({c}), '') = ''"
            whens.append(f"WHEN {cond} THEN {lit(rule.text)}")
        return f"CASE {' '.join(whens)} END"

    def _deleted_sql(self) -> str:
        """SQL over the raw columns: true when a delta row marks its record deleted."""
        if not self.spec.deleted:
            return "false"
        col, values = self.spec.deleted
        return f"coalesce(lower(trim({q(col)})) IN ({', '.join(lit(v) for v in values)}), false)"


def label_of(field: str) -> str:
    """A field name as words, for messages."""
    return field.replace("_", " ")
