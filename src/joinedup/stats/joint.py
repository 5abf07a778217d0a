"""Joint disclosure control for tables linked by addition (a by-force table and a national one, a by-sex
table and an all-persons one, organisations and their agency type).

Each published count is a sum of *atoms*: the finest counts behind a family of tables (for instance
person records by organisation, role and status). A reader who has every published table can solve the
linear system they form; a suppressed cell is recoverable exactly when its atom vector lies in the row
space of the shown cells' vectors. `leaks` finds such cells and the shown cells that give each one away;
`settle` hides one of those (forcing it in its own table, whose own secondary suppression then protects it)
and protects again, until no suppressed cell anywhere can be worked out from all the tables together.

The atoms are conservative: only non-zero ones are unknowns (a reader is assumed to know the structural
zeros) and a person counted in several forces is split into one atom per force, so national figures are
treated as exact sums of force figures. Both add equations a reader may not really have, so a cell safe
here is safe against the real tables.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Filter = dict[str, object]   # column -> value, or a set/list/tuple of values


@dataclass
class Cell:
    """One published count: where it is (ident, part), which atoms it sums, its value and whether it is hidden."""

    ident: Hashable
    part: str
    atoms: np.ndarray        # indexes into its family's atom frame
    value: int
    hidden: bool
    family: Hashable
    block: Hashable          # the table (or stacked block) it sits in
    total: bool = False


@dataclass
class Ledger:
    """Every published count of the linked families, with its atoms; filled while the tables are built."""

    families: dict[Hashable, pd.DataFrame] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)

    def family(self, name: Hashable, atoms: pd.DataFrame) -> None:
        """Declare a family's atoms: one row per non-zero finest count (its dimension columns and n)."""
        self.families[name] = atoms[atoms["n"] > 0].reset_index(drop=True)

    def has(self, name: Hashable) -> bool:
        """True when the family has been declared."""
        return name in self.families

    def add(self, family: Hashable, filt: Filter, ident: Hashable, part: str, value: int, hidden: bool,
            block: Hashable, total: bool = False) -> None:
        """Record one published count as the sum of the family's atoms matching filt."""
        a = self.families[family]
        mask = np.ones(len(a), dtype=bool)
        for col, v in filt.items():
            vals = a[col].to_numpy()
            mask &= np.isin(vals, list(v)) if isinstance(v, (set, list, tuple, frozenset)) else vals == v
        self.cells.append(Cell(ident, part, np.nonzero(mask)[0], int(value), bool(hidden), family, block, total))


def leaks(cells: Iterable[Cell]) -> list[tuple[Cell, list[Cell]]]:
    """Hidden cells that the shown cells fix exactly, each with the shown cells of one combination that does."""
    by_family: dict[Hashable, list[Cell]] = {}
    for c in cells:
        by_family.setdefault(c.family, []).append(c)
    out: list[tuple[Cell, list[Cell]]] = []
    for fam in by_family.values():
        for comp in _components(fam):
            out += _leaks(comp)
    return out


def _components(cells: list[Cell]) -> list[list[Cell]]:
    """Split cells into groups sharing no atom (independent linear systems, solved apart for speed)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for c in cells:
        if len(c.atoms):
            r = find(int(c.atoms[0]))
            for a in c.atoms[1:]:
                parent[find(int(a))] = r
    groups: dict[int, list[Cell]] = {}
    for c in cells:
        if len(c.atoms):
            groups.setdefault(find(int(c.atoms[0])), []).append(c)
    return [g for g in groups.values() if any(c.hidden for c in g)]


def _leaks(cells: list[Cell]) -> list[tuple[Cell, list[Cell]]]:
    atoms = sorted({int(a) for c in cells for a in c.atoms})
    col = {a: j for j, a in enumerate(atoms)}

    def vec(c: Cell) -> np.ndarray:
        v = np.zeros(len(atoms))
        v[[col[int(a)] for a in c.atoms]] = 1.0
        return v
    shown = [c for c in cells if not c.hidden]
    hidden = [c for c in cells if c.hidden]
    if not shown or not hidden:
        return []
    p = np.array([vec(c) for c in shown])
    h = np.array([vec(c) for c in hidden])
    _, s, vt = np.linalg.svd(p, full_matrices=False)
    basis = vt[: int((s > 1e-9 * max(1.0, s[0])).sum())]
    resid = h - (h @ basis.T) @ basis
    out = []
    for k in np.nonzero(np.abs(resid).max(axis=1) < 1e-7)[0]:
        coef, *_ = np.linalg.lstsq(p.T, h[k], rcond=None)
        out.append((hidden[k], [shown[i] for i in np.nonzero(np.abs(coef) > 1e-7)[0]]))
    return out


def pick(leaked: Cell, witnesses: list[Cell]) -> Cell | None:
    """The shown cell to hide so that this combination no longer recovers the leaked one: the smallest count in
    another table (the link), interior cells before totals; any witness when none is in another table."""
    if not witnesses:
        return None
    other = [w for w in witnesses if w.block != leaked.block] or witnesses
    return min(other, key=lambda w: (w.total, w.value))


def settle(protect_all: Callable[[dict[Hashable, set[str]]], list[Cell]], max_rounds: int = 40) -> tuple[list[Cell], int]:
    """Protect every table with the cells forced so far, look for leaks across tables, force one witness of
    each, and repeat until none is left; returns the final cells and the number of rounds."""
    forced: dict[Hashable, set[str]] = {}
    for rounds in range(1, max_rounds + 1):
        cells = protect_all(forced)
        found = leaks(cells)
        if not found:
            return cells, rounds
        for leaked, wit in found:
            w = pick(leaked, wit)
            if w is not None:
                forced.setdefault(w.ident, set()).add(w.part)
    raise RuntimeError("joint suppression of linked tables did not settle")


def add_two_way(ledger: Ledger, family: Hashable, block: Hashable, values: np.ndarray, hidden: np.ndarray,
                idents: list[Hashable], parts: list[str], row_filters: list[Filter], col_filters: list[Filter],
                fixed: Filter | None = None) -> None:
    """Record an extended two-way table (last row and column the totals): cell (i, j) sums the atoms matching
    fixed, row_filters[i] and col_filters[j]."""
    r, c = values.shape
    for i in range(r):
        for j in range(c):
            ledger.add(family, {**(fixed or {}), **row_filters[i], **col_filters[j]}, idents[i], parts[j],
                       int(values[i, j]), bool(hidden[i, j]), block, total=i == r - 1 or j == c - 1)


def forced_mask(forced: dict[Hashable, set[str]], idents: list[Hashable], parts: list[str]) -> np.ndarray:
    """The cells of a table (rows by ident, columns by part) that another table's protection forces hidden."""
    return np.array([[p in forced.get(i, ()) for p in parts] for i in idents], dtype=bool)
