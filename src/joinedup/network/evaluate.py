"""Scoring found groups against a reference grouping: pairwise precision/recall/F1 and adjusted Rand index.

Pure functions over dicts (item -> label); tests and benchmarks pass the synthetic world's truth,
which no pipeline stage reads.
"""

from __future__ import annotations

from collections import Counter
from math import comb


def pairwise_prf(pred: dict, truth: dict) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of clustering `pred` against `truth` over their common items."""
    items = set(pred) & set(truth)
    by_p = Counter(pred[i] for i in items)
    by_t = Counter(truth[i] for i in items)
    by_pt = Counter((pred[i], truth[i]) for i in items)
    tp, pp, tt = (sum(comb(n, 2) for n in c.values()) for c in (by_pt, by_p, by_t))
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def adjusted_rand(pred: dict, truth: dict) -> float:
    """Adjusted Rand index of `pred` against `truth` over their common items (1 = identical)."""
    items = sorted(set(pred) & set(truth))
    n = len(items)
    if n < 2:
        return 1.0
    a = sum(comb(c, 2) for c in Counter(pred[i] for i in items).values())
    b = sum(comb(c, 2) for c in Counter(truth[i] for i in items).values())
    ab = sum(comb(c, 2) for c in Counter((pred[i], truth[i]) for i in items).values())
    expected = a * b / comb(n, 2)
    top = (a + b) / 2
    return 1.0 if top == expected else (ab - expected) / (top - expected)
