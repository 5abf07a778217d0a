"""Published tables: counts under disclosure control, with the shares, intervals and bounds beside them.

Every builder takes true counts (from `warehouse`), protects them (`sdc`) and returns a StatTable
whose cells are numbers or the shorthand symbols: [c] confidential (suppressed), [x] not available
(withheld because the data cannot support it, or no baseline), [z] not applicable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from joinedup.stats import sdc
from joinedup.stats.joint import Filter, Ledger, add_two_way
from joinedup.stats.methods import share_bounds, wilson

C, X, Z = "[c]", "[x]", "[z]"
Cell = int | float | str


@dataclass(frozen=True)
class Settings:
    """Disclosure and quality settings for one publication."""

    threshold: int = 5              # counts 1 .. threshold-1 are suppressed
    round_base: int = 0             # round shown counts to this base (0 or 1: no rounding)
    min_completeness: float = 0.6   # below this share recorded, no statement about groups is made


@dataclass
class StatTable:
    """One published table: a sheet of the workbook and one CSV."""

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[int] = field(default_factory=list)
    caveat: str = ""

    def column(self, name: str) -> list[Cell]:
        """The values of one column."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


class Registry:
    """Figures that appear in more than one table, keyed by what they count, and which of their cells are hidden.

    A figure hidden in one table must be hidden wherever else it is published, or the other table would
    give it away; `build` re-runs until no table hides a shared cell that another shows.
    """

    def __init__(self, force: dict[Hashable, set[str]] | None = None) -> None:
        self.force: dict[Hashable, set[str]] = {k: set(v) for k, v in (force or {}).items()}
        self.hidden: dict[Hashable, set[str]] = {}

    def forced(self, ident: Hashable | None) -> set[str]:
        """Cells (by part name) to hide for a shared figure."""
        return self.force.get(ident, set()) if ident is not None else set()

    def note(self, ident: Hashable | None, parts: set[str]) -> None:
        """Record which cells of a shared figure one table hid."""
        if ident is not None:
            self.hidden.setdefault(ident, set()).update(parts)

    def settled(self) -> bool:
        """True when every table hides exactly the shared cells forced on it."""
        return all(v <= self.force.get(k, set()) for k, v in self.hidden.items())

    def merged(self) -> "Registry":
        """A fresh registry forcing every cell hidden anywhere so far."""
        force = {k: set(v) for k, v in self.force.items()}
        for k, v in self.hidden.items():
            force.setdefault(k, set()).update(v)
        return Registry(force)


@dataclass
class Link:
    """Where a table's counts sit among the atoms of a family of tables linked by addition (see joint.py)."""

    ledger: Ledger
    family: Hashable
    block: Hashable                     # this table (or stacked block), for choosing which linked cell to hide
    key_dim: str | None = None          # the atom column the table's rows are keyed by
    fixed: Filter = field(default_factory=dict)   # what every cell of the table is restricted to
    part_dim: str = "status"            # the atom column the table's columns are keyed by
    key_value: Callable[[object], object] = lambda k: k   # a row label's value in key_dim
    part_values: dict[str, object] = field(default_factory=dict)   # a column's value(s) in part_dim, if not its name

    def ident(self, label: object) -> tuple:
        """The cell ident a joint fix forces by (one per row of this block)."""
        return ("cell", self.block, label)


def _forced(reg: Registry | None, idents: Sequence[Hashable | None], names: Sequence[str],
            link: Link | None, labels: Sequence[object]) -> np.ndarray:
    forced = np.zeros((len(idents), len(names)), dtype=bool)
    if reg is None:
        return forced
    for i, idn in enumerate(idents):
        want = reg.forced(idn) | (reg.forced(link.ident(labels[i])) if link else set())
        for j, nm in enumerate(names):
            forced[i, j] = nm in want
    return forced


def _pct(num: Cell, den: Cell) -> Cell:
    if num == C or den == C:
        return C
    if not den:
        return Z
    return round(100 * float(num) / float(den), 1)


def _ci(num: Cell, den: Cell) -> tuple[Cell, Cell]:
    if num == C or den == C:
        return C, C
    if not den:
        return Z, Z
    lo, hi = wilson(int(num), int(den))
    return round(100 * lo, 1), round(100 * hi, 1)


def _shown(values: np.ndarray, hidden: np.ndarray, s: Settings) -> np.ndarray:
    out = sdc.round_to(values, s.round_base).astype(object)
    out[hidden] = C
    return out


def matrix(df: pd.DataFrame, keys: Sequence, parts: Sequence[str]) -> np.ndarray:
    """A (key x part) count matrix from a long k/status/n frame (absent combinations are 0)."""
    m = np.zeros((len(keys), len(parts)), dtype=np.int64)
    ki = {k: i for i, k in enumerate(keys)}
    pi = {p: j for j, p in enumerate(parts)}
    for k, p, n in df[["k", "status", "n"]].itertuples(index=False):
        if k in ki and p in pi:
            m[ki[k], pi[p]] += int(n)
    return m


def two_way(key: str, title: str, description: str, df: pd.DataFrame, key_col: str, keys: Sequence,
            parts: Sequence[str], s: Settings, total_label: str = "Total", share_of: str | None = "Recorded",
            lead: Sequence[tuple[str, Sequence[Cell]]] = (), notes: Sequence[int] = (), caveat: str = "",
            part_unit: str = "number", ident: Callable[[object], Hashable | None] | None = None,
            reg: Registry | None = None, link: Link | None = None) -> StatTable:
    """A key x part count table with row and column totals, suppressed, plus the share (and 95% CI) of one part.

    ident maps a row label to what the row counts when the same figures appear in another table (see Registry);
    link records its counts among the atoms of tables linked by addition, for joint protection (see joint.py).
    """
    m = matrix(df, keys, parts)
    labels = list(keys) + [total_label]
    names = list(parts) + ["Total"]
    idents = [ident(lab) if ident else None for lab in labels]
    p = sdc.protect(m, s.threshold, forced=_forced(reg, idents, names, link, labels))
    if reg is not None:
        for i, idn in enumerate(idents):
            reg.note(idn, {nm for j, nm in enumerate(names) if p.hidden[i, j]})
    if link is not None:
        kv = [link.key_value(k) for k in keys]
        rows_f: list[Filter] = [{link.key_dim: v} for v in kv] + [{link.key_dim: set(kv)}] if link.key_dim else \
            [{} for _ in labels]
        pv = [link.part_values.get(x, x) for x in parts]
        every = set().union(*({v} if isinstance(v, str) else set(v) for v in pv))
        cols_f: list[Filter] = [{link.part_dim: v} for v in pv] + [{link.part_dim: every}]
        add_two_way(link.ledger, link.family, link.block, p.values, p.hidden, [link.ident(lab) for lab in labels],
                    names, rows_f, cols_f, link.fixed)
    shown = _shown(p.values, p.hidden, s)
    cols = [c for c, _ in lead] + [key_col] + [f"{x} ({part_unit})" for x in parts] + [f"Total ({part_unit})"]
    if share_of:
        cols += [f"{share_of} (percentage)", "95% CI lower (percentage)", "95% CI upper (percentage)"]
    rows = []
    for i, lab in enumerate(labels):
        row: list[Cell] = [vals[i] if i < len(vals) else "" for _, vals in lead]
        row += [lab] + [_cell(v) for v in shown[i]]
        if share_of:
            num, den = shown[i, list(parts).index(share_of)], shown[i, -1]
            row += [_pct(num, den), *_ci(num, den)]
        rows.append(row)
    return StatTable(key, title, description, cols, rows, list(notes), caveat)


def _cell(v: object) -> Cell:
    return v if isinstance(v, str) else int(v)


def stack(key: str, title: str, description: str, parts: Sequence[StatTable], notes: Sequence[int] = (),
          caveat: str = "") -> StatTable:
    """Several tables with the same columns, one below the other (each protected on its own)."""
    rows = [r for t in parts for r in t.rows]
    return StatTable(key, title, description, parts[0].columns, rows, list(notes), caveat)


def profile(area: str, role: str, counts: dict[str, int], groups: Sequence[str], statuses: Sequence[str],
            base: tuple[str, dict[str, float]], s: Settings, ident: Hashable | None = None,
            reg: Registry | None = None, link: Link | None = None) -> list[list[Cell]]:
    """Rows of a profile for one area and role: each group's count, share, CI, bounds and ratio, then the statuses.

    The counts form a two-level hierarchy (groups add up to the recorded; the recorded and the
    statuses add up to the total), protected as one table so no hidden count can be recovered.
    """
    vals = [counts.get(g, 0) for g in groups]
    recorded = sum(vals)
    others = [counts.get(x, 0) for x in statuses]
    total = recorded + sum(others)
    # cells: groups (recorded-sum to outside), recorded (recorded-sum to total-sum), statuses, total
    values = vals + [recorded] + others + [total]
    ends = [("R", "out")] * len(vals) + [("R", "T")] + [("T", "out")] * len(others) + [("T", "out")]
    is_total = [False] * len(vals) + [True] + [False] * len(others) + [True]
    names = list(groups) + ["Recorded"] + list(statuses) + ["Total"]
    forced = _forced(reg, [ident], names, link, [area])[0]
    primary, secondary = sdc.suppress(values, ends, [True] * len(values), s.threshold, is_total, forced)
    if reg is not None:
        reg.note(ident, {n for n, h in zip(names, primary | secondary) if h})
    if link is not None:
        # groups, the recorded (any group), each status, the total: as sums of the family's atoms
        filters: list[Filter] = [{link.part_dim: g} for g in groups] + [{link.part_dim: set(groups)}] + \
            [{link.part_dim: x} for x in statuses] + [{link.part_dim: set(groups) | set(statuses)}]
        for nm, f, v, h, tot in zip(names, filters, values, primary | secondary, is_total):
            link.ledger.add(link.family, {**link.fixed, **f}, link.ident(area), nm, v, h, link.block, tot)
    shown = _shown(np.array(values), primary | secondary, s)
    rec_s, tot_s = shown[len(vals)], shown[-1]
    base_name, base_share = base
    comp = recorded / total if total else math.nan
    supported = total > 0 and comp >= s.min_completeness
    if rec_s == C or tot_s == C:
        # the share recorded would give away the suppressed count behind it
        statement = C
    elif total == 0:
        statement = "No one in this group"
    elif supported:
        statement = f"Supported: recorded for {comp:.0%}; at least {s.min_completeness:.0%} needed"
    else:
        statement = f"Not supported: recorded for only {comp:.0%}; at least {s.min_completeness:.0%} needed"
    rows: list[list[Cell]] = []
    for g, v in zip(groups, shown[:len(vals)]):
        b = base_share.get(g)
        if v == C or rec_s == C or tot_s == C:
            share = lo = hi = lb = ub = ratio = rlo = rhi = C
        else:
            k, n, t = int(v), int(rec_s), int(tot_s)
            bounds = share_bounds(min(k, n), min(n, t), t) if t else None
            share = _pct(k, n)
            lo, hi = _ci(k, n)
            lb = round(100 * bounds.lower, 1) if bounds else Z
            ub = round(100 * bounds.upper, 1) if bounds else Z
            if b is None:
                ratio = rlo = rhi = X
            else:
                ratio = round(bounds.share / b, 2) if bounds and n else Z
                rlo = round(bounds.lower / b, 2) if bounds else Z
                rhi = round(bounds.upper / b, 2) if bounds else Z
            if not supported:
                share = lo = hi = ratio = X
        rows.append([area, role, g, _cell(v), share, lo, hi, lb, ub,
                     round(100 * b, 1) if b is not None else X, ratio, rlo, rhi, statement, base_name if b else X])
    for lab, v in [("Recorded (any group)", rec_s)] + list(zip(statuses, shown[len(vals) + 1:-1])) + [("Total", tot_s)]:
        rows.append([area, role, lab, _cell(v)] + [Z] * 9 + [statement, Z])
    return rows


PROFILE_COLUMNS = ["Area", "Role", "Group", "Persons (number)", "Share of recorded (percentage)",
                   "95% CI lower (percentage)", "95% CI upper (percentage)",
                   "Lower bound: no unrecorded person in group (percentage)",
                   "Upper bound: every unrecorded person in group (percentage)",
                   "Population share (percentage)", "Representation ratio",
                   "Representation ratio lower bound", "Representation ratio upper bound",
                   "Can the data support a statement?", "Population baseline used"]


def one_way_columns(key: str, title: str, description: str, key_col: str, keys: Sequence, columns: dict[str, Sequence[int]],
                    s: Settings, extra: dict[str, Sequence[Cell]] | None = None, notes: Sequence[int] = (),
                    caveat: str = "") -> StatTable:
    """A table of several count columns, each protected on its own against its column total."""
    cols = [key_col] + list(columns) + list(extra or {})
    rows: list[list[Cell]] = [[k] for k in list(keys) + ["Total"]]
    for name, vals in columns.items():
        p = sdc.protect(np.array(vals, dtype=np.int64).reshape(-1, 1), s.threshold, row_totals=False)
        shown = _shown(p.values[:, 0], p.hidden[:, 0], s)
        for r, v in zip(rows, shown):
            r.append(_cell(v))
    for name, vals in (extra or {}).items():
        for r, v in zip(rows, list(vals) + [Z]):
            r.append(v)
    return StatTable(key, title, description, cols, rows, list(notes), caveat)
