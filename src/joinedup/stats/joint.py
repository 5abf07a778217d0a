"""Joint disclosure control for tables linked by addition (a by-force table and a national one, a by-sex
table and an all-persons one, organisations and their agency type).

Each published count is a sum of *atoms*: the finest counts behind a family of tables (for instance
person records by organisation, role and status). A reader who has every published table can solve the
linear system they form; a suppressed cell is recoverable exactly when its atom vector lies in the row
space of the shown cells' vectors. `leaks` finds such cells and the shown cells that give each one away;
`settle` hides one of those (forcing it in its own table, whose own secondary suppression then protects it)
and protects again, until no suppressed cell anywhere can be worked out from all the tables together.

The atoms are every combination of the dimensions' values (organisation and role and status, say), less
those inside a count published as 0 (counts are never negative, so a shown 0 tells the reader that every
atom in it is 0). A person counted in several forces is split into one atom per force, so national figures
are treated as exact sums of force figures: an equation a reader may not really have, so a cell safe here is
safe against the real tables. The test ignores that counts are non-negative integers otherwise, so a hidden
cell may still be narrowed to a range.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from contextlib import nullcontext
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

    def family(self, name: Hashable, atoms: pd.DataFrame, product: list[list[str]] | None = None) -> None:
        """Declare a family's atoms: the finest counts (dimension columns and n). With product, every combination
        of the groups' observed values is an atom (a group holds columns known to go together, such as an
        organisation and its agency type), so a reader is not assumed to know which combinations are empty."""
        if product:
            full = None
            for grp in product:
                vals = atoms[grp].drop_duplicates()
                full = vals if full is None else full.merge(vals, how="cross")
            atoms = full.merge(atoms, how="left", on=[c for g in product for c in g]).fillna({"n": 0})
        self.families[name] = atoms.reset_index(drop=True)

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
    return [(c, w) for c, w, _ in _all_leaks(cells)]


def _all_leaks(cells: Iterable[Cell]) -> list[tuple[Cell, list[Cell], list[Cell]]]:
    by_family: dict[Hashable, list[Cell]] = {}
    for c in cells:
        by_family.setdefault(c.family, []).append(c)
    for fam, cs in by_family.items():
        # a count shown as 0 makes every atom in it known (0): take them out of every cell
        zero = np.unique(np.concatenate([c.atoms for c in cs if not c.hidden and c.value == 0] or [np.empty(0, int)]))
        if len(zero):
            for c in cs:  # in place: cells are only ever hidden, so what a shown 0 reveals stays revealed
                c.atoms = np.setdiff1d(c.atoms, zero)
    out: list[tuple[Cell, list[Cell], list[Cell]]] = []
    with _one_thread():
        for fam in by_family.values():
            for comp in _components(fam):
                out += [(c, w, comp) for c, w in _leaks(comp)]
    return out


def _svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        return np.linalg.svd(a, full_matrices=False)
    except np.linalg.LinAlgError:  # gesdd can fail to converge on some 0/1 matrices; gesvd is slower but sure
        import scipy.linalg
        return scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesvd")


def _fixed(target: Cell, comp: list[Cell]) -> bool:
    """True when the shown cells of its component fix the hidden target cell exactly."""
    return any(c is target for c, _ in _leaks([c for c in comp if not c.hidden] + [target]))


def _one_thread():
    # the systems are small: BLAS threads only fight the other processes on a busy machine (20x slower seen)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it numpy keeps its default threads
        return nullcontext()
    return threadpool_limits(1)


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
    u, s, vt = _svd(p)
    r = int((s > 1e-9 * max(1.0, s[0])).sum())
    u, s, basis = u[:, :r], s[:r], vt[:r]
    proj = h @ basis.T
    resid = h - proj @ basis
    out = []
    for k in np.nonzero(np.abs(resid).max(axis=1) < 1e-7)[0]:
        # the least-norm combination of shown cells that gives the hidden one: p.T @ coef = h[k]
        coef = u @ (proj[k] / s)
        out.append((hidden[k], [shown[i] for i in np.nonzero(np.abs(coef) > 1e-7)[0]]))
    return out


def _table(block: Hashable) -> Hashable:
    return block[0] if isinstance(block, tuple) else block


def pick(leaked: Cell, witnesses: list[Cell]) -> Cell | None:
    """The first witness in `ranked` order (None when there is none)."""
    order = ranked(leaked, witnesses)
    return order[0] if order else None


def ranked(leaked: Cell, witnesses: list[Cell]) -> list[Cell]:
    """The shown cells that could be hidden so that this combination no longer recovers the leaked one, best first.

    The smallest interior count in another block of the same table first (another force, age band or sex: the
    hidden cells then pair up at the detailed level and the national figures stay shown), then the smallest in
    another table, totals last; a witness in the leaked cell's own block only when there is no other. Within
    each, cells that share atoms with the leaked one come first.
    """
    same_table = [w for w in witnesses if w.block != leaked.block and _table(w.block) == _table(leaked.block)]
    other = [w for w in witnesses if _table(w.block) != _table(leaked.block)]
    mine = set(leaked.atoms.tolist())

    def cost(w: Cell) -> tuple:
        # a witness sharing atoms with the leaked cell is on the path that gives it away (a twin figure, a
        # subtotal containing it); one that shares none may only be in this least-norm combination by chance
        return (not mine.intersection(w.atoms.tolist()), w.total, w.value)
    rest = [w for w in witnesses if w.block == leaked.block]
    # the same figure for another force, age band or sex first (the classic pair across a linked dimension)
    return sorted(same_table, key=lambda w: (w.part != leaked.part, w.total, w.value)) + sorted(other, key=cost) + \
        sorted(rest, key=cost)


def close(cells: list[Cell], max_steps: int = 500, tries: int = 8, try_below: int = 60_000) -> list[tuple[Hashable, str]]:
    """Hide shown cells (in place) until no hidden cell can be worked out from all the cells together; returns
    the (ident, part) of every cell hidden here.

    For each leak, the witnesses are tried in `ranked` order and the first whose hiding leaves the leaked cell
    undetermined is hidden (a least-norm combination names cells that are not all needed); failing that, the
    first. Trying costs a solve per witness, so it is done only in systems of fewer than try_below cells x atoms
    (the record tables); in the larger person profiles the first in order is hidden.
    """
    added: list[tuple[Hashable, str]] = []
    for _ in range(max_steps):
        found = _all_leaks(cells)
        if not found:
            return added
        with _one_thread():
            for leaked, wit, comp in found:
                if any(x.hidden for x in wit) and not _fixed(leaked, comp):
                    continue  # a cell hidden this step already protects it
                order = ranked(leaked, [w for w in wit if not w.hidden])
                if not order:
                    continue
                choice = order[0]
                size = len(comp) * len({int(a) for c in comp for a in c.atoms})
                for w in order[:tries] if size < try_below else []:
                    w.hidden = True
                    ok = not _fixed(leaked, comp)
                    w.hidden = False
                    if ok:
                        choice = w
                        break
                choice.hidden = True
                added.append((choice.ident, choice.part))
    raise RuntimeError("joint suppression of linked tables did not settle")


def settle(protect_all: Callable[[dict[Hashable, set[str]]], list[Cell]], max_rounds: int = 20) -> tuple[list[Cell], int]:
    """Protect every table with the cells forced so far, close the leaks across tables in the ledger, force the
    cells that took, and protect again (each table's own secondary suppression may hide more), until a round
    adds nothing; returns the final cells and the number of rounds."""
    forced: dict[Hashable, set[str]] = {}
    for rounds in range(1, max_rounds + 1):
        cells = protect_all(forced)
        added = close(cells)
        if not added:
            return cells, rounds
        for ident, part in added:
            forced.setdefault(ident, set()).add(part)
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
