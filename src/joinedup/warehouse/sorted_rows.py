"""Rows of the warehouse held in memory, sorted by a key, for lookups without a query.

A page or a briefing asks for a few keys at a time; through DuckDB each lookup is a query (~2 ms of planning and an
index probe). Here the rows sit in an Arrow table sorted by key, so a lookup is a binary search in a sorted array and
a slice: microseconds, no query and no lock. Used by the chronology's lookups and the web server's.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pyarrow as pa


class SortedRows:
    """Rows of an Arrow table sorted by one text key; rows_for(keys) finds every row with one of the keys."""

    def __init__(self, table: pa.Table, key: str) -> None:
        """table must already be sorted by key (DuckDB's ORDER BY; same byte order as Python's for our ids)."""
        self.table = table.combine_chunks()
        self.keys = np.asarray(self.table.column(key).to_numpy(zero_copy_only=False), dtype=object)

    def rows_for(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The rows whose key is one of keys, as dicts, grouped by key in sorted key order."""
        ids: list[np.ndarray] = []
        for k in sorted(set(keys)):
            lo = int(np.searchsorted(self.keys, k, "left"))
            hi = int(np.searchsorted(self.keys, k, "right"))
            if hi > lo:
                ids.append(np.arange(lo, hi))
        if not ids:
            return []
        return self.table.take(pa.array(np.concatenate(ids))).to_pylist()
