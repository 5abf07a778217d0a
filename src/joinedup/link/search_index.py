"""An in-memory matching index for a server: the linkage model's blocking and scoring without a query per call.

`match_record` on the warehouse runs one SQL query per call: the model's blocking rules OR-ed over link_record (a
scan, ~80 ms at 1M records) and the level SQL of every comparison (DuckDB spends ~25 ms planning it even for a
handful of rows). A server that answers many searches builds this once at start instead:

- blocking: for each saved rule, a sorted array of 64-bit hashes of the candidate side's key (e.g. phonetic
  forename + phonetic surname + birth year) with the row of each, so one rule's candidates are two binary
  searches; the same key values from the query (the features `feature_row` gives, as linkage uses) find them;
  each candidate is then checked against the rule's real values (a hash collision never adds a candidate);
- scoring: each level's SQL compiled once to Python (level_python), with the saved m/u, prior and term
  frequencies, summed in the order the SQL sums them, so weights and probabilities equal the SQL path's
  (tests/link/test_match_index.py compares both on sampled records).
The rows are kept as an Arrow table; only a query's candidates become Python objects.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from joinedup.link.blocking import rule_texts
from joinedup.link.core import _label_for, level_weights
from joinedup.link.level_python import Unsupported, columns_of, compile_condition

MAX_CANDIDATES = 5000  # as match.scoring_sql: a query that blocks with more rows scores only the first 5000
_SIDE = re.compile(r'^(?:substr\()?\s*([lr])\."([a-z0-9_]+)"\s*(?:,\s*(\d+)\s*,\s*(\d+)\s*\))?$')
_KSEP = "\x1f"
SAVED_SUFFIX = ".search-index"  # the saved index's folder, beside the warehouse file (web/data.py)
SAVED_VERSION = 1  # bump when the arrays' layout or the hash changes: older copies are then ignored


def _parse_rule(rule: str) -> list[tuple[str, int | None, int | None, str, int | None, int | None]]:
    """A blocking rule as [(query column, start, length, candidate column, start, length)]: equalities only."""
    out = []
    for conj in re.split(r"\s+AND\s+", rule.strip()):
        sides = [s.strip() for s in conj.split("=")]
        if len(sides) != 2:
            raise Unsupported(f"blocking rule part {conj!r}")
        parsed = []
        for s in sides:
            m = _SIDE.match(s)
            if not m:
                raise Unsupported(f"blocking rule part {conj!r}")
            parsed.append((m[1], m[2], int(m[3]) if m[3] else None, int(m[4]) if m[4] else None))
        if {parsed[0][0], parsed[1][0]} != {"l", "r"}:
            raise Unsupported(f"blocking rule part {conj!r}")
        lft, rgt = parsed if parsed[0][0] == "l" else parsed[::-1]
        out.append((lft[1], lft[2], lft[3], rgt[1], rgt[2], rgt[3]))
    return out


def _cut(v: Any, start: int | None, length: int | None) -> Any:
    return v if v is None or start is None else v[start - 1:start - 1 + length]


def _sql_side(col: str, start: int | None, length: int | None) -> str:
    return f'"{col}"' if start is None else f'substr("{col}", {start}, {length})'


_FNV_OFFSET, _FNV_PRIME = np.uint64(14695981039346656037), np.uint64(1099511628211)


def hash_strings(arr: pa.Array) -> np.ndarray:
    """64-bit FNV-1a of each string's UTF-8 bytes, then a murmur finaliser, vectorised over the column (no nulls).

    DuckDB's hash() cannot be reproduced outside DuckDB, MD5 in DuckDB took ~3 s a rule at 1M rows, and hashing
    through Python objects ~0.6 s; this walks the Arrow buffers one byte position at a time (0.1-0.2 s a rule).
    """
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(1, np.uint8)
    starts, lens = offsets[:-1], np.diff(offsets)
    # longest first, so the strings still going at byte j are a prefix: slices, not a gather and scatter per byte
    order = np.argsort(-lens, kind="stable")
    st, neg = starts[order], -lens[order]
    hs = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    j = 0
    while True:
        going = int(np.searchsorted(neg, -j, "left"))  # rows longer than j bytes
        if going == 0:
            break
        hs[:going] = (hs[:going] ^ data[st[:going] + j].astype(np.uint64)) * _FNV_PRIME
        j += 1
    h = np.empty(n, dtype=np.uint64)
    h[order] = hs
    h ^= lens.astype(np.uint64)
    # murmur3's fmix64: FNV's low bits are weak and the blocks sort by the high bits
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


_M64 = (1 << 64) - 1


def hash_string(key: str) -> int:
    """hash_strings of one string, in plain Python (a query's key: no arrays to build)."""
    h = int(_FNV_OFFSET)
    b = key.encode()
    for c in b:
        h = ((h ^ c) * int(_FNV_PRIME)) & _M64
    h ^= len(b)
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    return h ^ (h >> 33)


class SearchIndex:
    """Blocking keys -> candidate rows, and the model's scoring in Python, for one linked warehouse's model."""

    def __init__(self, con: Any, settings: dict[str, Any], run_id: str, *, _arrays: tuple | None = None) -> None:
        """Build from a DuckDB connection whose default catalog holds link_record, link_person and link_tf_*
        (or take the table and blocks from a saved copy: `load`)."""
        self.run_id = run_id
        self.settings = settings
        lam = settings["probability_two_random_records_match"]
        self.prior = math.log2(lam / (1 - lam))
        self.rules = [_parse_rule(r) for r in rule_texts(settings)]
        self.comps: list[tuple[str, list[tuple[Any, float]], tuple | None]] = []
        cols: set[str] = set()
        tf_cols: set[str] = set()
        for comp in settings["comparisons"]:
            levels, tf = [], None
            for lv in comp["comparison_levels"]:
                cond = lv["sql_condition"]
                m, u = lv.get("m_probability"), lv.get("u_probability")
                w = 0.0 if lv.get("is_null_level") or not (m and u) else math.log2(m / u)
                f = compile_condition(cond)
                levels.append((f, w))
                cols |= columns_of(cond)
                if lv.get("tf_adjustment_column") and u and not lv.get("is_null_level"):
                    tf = (f, lv["tf_adjustment_column"], u, lv.get("tf_adjustment_weight", 1.0))
                    tf_cols.add(lv["tf_adjustment_column"])
            if not any(lv["sql_condition"].strip().upper() == "ELSE" for lv in comp["comparison_levels"]):
                levels.append((lambda q, r: True, 0.0))
            self.comps.append((comp["output_column_name"], levels, tf))
        self.labels = level_weights(settings)
        for rule in self.rules:
            cols |= {p[3] for p in rule}
        self.tf = {c: dict(con.execute(f'SELECT "{c}", tf_{c} FROM link_tf_{c}').fetchall()) for c in sorted(tf_cols)}
        self.cols = sorted(cols)
        if _arrays is not None:
            self.table, self.blocks, self.row_bits = _arrays
            self.rows = self.table.num_rows
            return
        # one scan gives the rows and every rule's candidate-side key, in one order
        keys = []
        for i, rule in enumerate(self.rules):
            parts = [_sql_side(p[3], p[4], p[5]) for p in rule]
            keys.append(f"CASE WHEN {' AND '.join(f'{x} IS NOT NULL' for x in parts)} THEN "
                        f"concat_ws(chr(31), {', '.join(parts)}) END AS __k{i}")
        tbl = con.sql(f"""SELECT k.source, k.source_record_id, p.person_id, {', '.join(f'k."{c}"' for c in self.cols)},
                                 {', '.join(keys)}
                          FROM link_record k LEFT JOIN link_person p USING (source, source_record_id)""").to_arrow_table()
        n = tbl.num_rows
        # each block is one sorted uint64 array: the key hash's high bits above the row number, so a sort (not an
        # argsort) builds it and a lookup is two binary searches; fewer hash bits only add candidates that the
        # check against the real values drops
        self.row_bits = max(1, int(n).bit_length())
        self.blocks: list[np.ndarray] = []
        for i in range(len(self.rules)):
            col = tbl.column(f"__k{i}").combine_chunks()
            rows = np.flatnonzero(np.asarray(col.is_valid())).astype(np.uint64)
            h = hash_strings(col.drop_null())
            packed = ((h >> np.uint64(self.row_bits)) << np.uint64(self.row_bits)) | rows
            packed.sort()
            self.blocks.append(packed)
        self.table: pa.Table = tbl.select(["source", "source_record_id", "person_id", *self.cols]).combine_chunks()
        self.rows = self.table.num_rows

    @classmethod
    def for_warehouse(cls, con: Any, saved: str | Path | None = None) -> SearchIndex | None:
        """The index of the warehouse's current model, or None when its rules or levels need the SQL path.

        saved: a folder for a copy of the index's arrays (SAVED_SUFFIX beside the warehouse file): read back when it
        was made for the same link run, model and rows, else built and written there (best effort: a folder that
        cannot be written only means the next start builds again). Reading it back takes ~1 s at a million
        records instead of ~20 s to build.
        """
        row = con.execute("SELECT run_id, settings_json FROM link_model ORDER BY created_at DESC LIMIT 1").fetchall()
        if not row:
            return None
        run_id, settings_json = row[0]
        settings = json.loads(settings_json)
        key = None
        if saved is not None:
            n = con.execute("SELECT count(*) FROM link_record").fetchall()[0][0]
            key = hashlib.sha256(f"{SAVED_VERSION}\x1f{run_id}\x1f{n}\x1f{settings_json}".encode()).hexdigest()[:24]
        try:
            if key is not None:
                arrays = _load_arrays(Path(saved) / key)
                if arrays is not None and arrays[0].num_rows == n:
                    return cls(con, settings, run_id, _arrays=arrays)
                shutil.rmtree(Path(saved) / key, ignore_errors=True)  # damaged: made again below
            idx = cls(con, settings, run_id)
        except Unsupported:
            return None
        if key is not None:
            _save_arrays(Path(saved), key, idx)
        return idx

    def candidates(self, q: dict[str, Any]) -> list[dict[str, Any]]:
        """Candidate rows (as dicts) that some blocking rule pairs with the query features q, in table order."""
        live = [(i, rule) for i, rule in enumerate(self.rules) if all(q.get(p[0]) is not None for p in rule)]
        if not live:
            return []
        b = np.uint64(self.row_bits)
        low = np.uint64((1 << self.row_bits) - 1)
        found = []
        for i, rule in live:
            key = _KSEP.join(_cut(q[p[0]], p[1], p[2]) for p in rule)
            h = np.uint64((hash_string(key) >> self.row_bits) << self.row_bits)
            block = self.blocks[i]
            lo, hi = np.searchsorted(block, h, "left"), np.searchsorted(block, h | low, "right")
            if hi > lo:
                found.append(block[lo:hi] & low)
        if not found:
            return []
        ids = np.unique(np.concatenate(found))
        out = []
        for r in self.table.take(pa.array(ids)).to_pylist():
            # the rule's real values, so a hash collision cannot add a candidate
            if any(all(_cut(q[p[0]], p[1], p[2]) == _cut(r[p[3]], p[4], p[5]) for p in rule) for _, rule in live):
                out.append(r)
                if len(out) >= MAX_CANDIDATES:
                    break
        return out

    def score(self, q: dict[str, Any], r: dict[str, Any]) -> tuple[float, float, dict[str, dict[str, Any]]]:
        """(match weight, match probability, explanation) of the query against one candidate, as the SQL path gives."""
        w = self.prior
        expl = {}
        for name, levels, tf in self.comps:
            mw = next(lw for f, lw in levels if f(q, r))
            adj = 0.0
            if tf is not None:
                f, col, u, tw = tf
                if f(q, r):
                    t = self.tf[col]
                    adj = math.log2(u / max(t.get(q.get(col), 0) or 0, t.get(r.get(col), 0) or 0, 1e-12)) * tw
            w = w + mw
            w = w + adj
            expl[name] = {"level": _label_for(self.labels[name], mw), "weight": round(mw + adj, 2)}
        p = pow(2, w) / (1 + pow(2, w))
        return w, p, expl

    def match(self, q: dict[str, Any], *, limit: int, min_probability: float) -> list[dict[str, Any]]:
        """Known persons who may be the record with features q, best first (match_record's answer)."""
        scored = []
        for r in self.candidates(q):
            w, p, expl = self.score(q, r)
            if p >= min_probability and r["person_id"] is not None:
                scored.append((p, w, r, expl))
        scored.sort(key=lambda x: (-x[0], x[2]["source"], x[2]["source_record_id"]))
        out: dict[str, dict[str, Any]] = {}
        for p, w, r, expl in scored:
            e = out.setdefault(r["person_id"], {"person_id": r["person_id"], "match_probability": p, "match_weight": w,
                                                "explanation": expl, "records": []})
            e["records"].append({"source": r["source"], "source_record_id": r["source_record_id"], "match_probability": p})
        return sorted(out.values(), key=lambda e: -e["match_probability"])[:limit]



def _load_arrays(d: Path) -> tuple[pa.Table, list[np.ndarray], int] | None:
    """A saved index's table and blocks, memory-mapped (None when absent or unreadable)."""
    try:
        meta = json.loads((d / "meta.json").read_text())
        with pa.memory_map(str(d / "table.arrow")) as src:
            table = pa.ipc.open_file(src).read_all().combine_chunks()
        blocks = [np.load(d / f"block{i}.npy", mmap_mode="r") for i in range(meta["blocks"])]
        return table, blocks, int(meta["row_bits"])
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None


def _save_arrays(root: Path, key: str, idx: SearchIndex) -> None:
    """Write the index's arrays to root/key (atomically: a folder renamed into place); drop older copies."""
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    try:
        tmp.mkdir(parents=True)
        with pa.OSFile(str(tmp / "table.arrow"), "wb") as sink, pa.ipc.new_file(sink, idx.table.schema) as w:
            w.write_table(idx.table)
        for i, b in enumerate(idx.blocks):
            np.save(tmp / f"block{i}.npy", np.asarray(b))
        (tmp / "meta.json").write_text(json.dumps({"version": SAVED_VERSION, "run_id": idx.run_id,
                                                   "blocks": len(idx.blocks), "row_bits": idx.row_bits}))
        os.rename(tmp, root / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # not writable, or another process saved it first
        return
    for old in root.iterdir():
        if old.name != key and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
