"""Disclosure control: hand examples and the property that no suppressed cell can be recovered."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from joinedup.stats.sdc import determined, protect, round_to, suppress


def test_hand_example_rectangle():
    p = protect(np.array([[3, 10, 12], [20, 30, 40], [7, 8, 2]]), threshold=5)
    # 3 and 2 are small; the cheapest safe pattern is the rectangle through 12 and 7
    assert p.primary[0, 0] and p.primary[2, 2]
    assert {tuple(x) for x in np.argwhere(p.secondary)} == {(0, 2), (2, 0)}
    assert not determined(p.values, p.hidden | ~p.published).any()


def test_one_column_with_total_hides_two():
    p = protect(np.array([[3], [10], [12]]), threshold=5, row_totals=False)
    assert p.hidden[:, 0].sum() == 2 and p.hidden[0, 0]


def test_small_total_is_itself_suppressed():
    p = protect(np.array([[1, 2], [0, 0]]), threshold=5)
    assert p.hidden[-1, -1] and p.hidden[0, -1]


@settings(max_examples=150, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 30)),
       st.integers(2, 11), st.booleans(), st.booleans())
def test_property_nothing_small_shows_and_nothing_hidden_is_determined(counts, threshold, rows, cols):
    p = protect(counts, threshold, row_totals=rows, col_totals=cols)
    shown = p.published & ~p.hidden
    # no count from 1 to threshold-1 is published
    assert not ((p.values > 0) & (p.values < threshold) & shown).any()
    # solve the linear system of published totals: every hidden cell stays undetermined
    assert not (determined(p.values, p.hidden | ~p.published) & p.hidden).any()


def test_hierarchy_recorded_subtotal_cannot_expose_a_group():
    # groups -> recorded subtotal -> total; one small group must not be recoverable via the subtotal
    values = [40, 3, 10, 20, 73, 20, 93]
    ends = [("R", "o")] * 4 + [("R", "T"), ("T", "o"), ("T", "o")]
    prim, sec = suppress(values, ends, [True] * 7, 5, [False] * 4 + [True, False, True])
    assert prim[1] and sec[:4].sum() >= 1


def test_rounding():
    assert round_to(np.array([0, 2, 3, 7, 12, 13]), 5).tolist() == [0, 0, 5, 5, 10, 15]
    assert round_to(np.array([3]), 0).tolist() == [3]


def test_a_cell_hidden_elsewhere_is_hidden_here_and_still_protected():
    import pandas as pd

    from joinedup.stats.tables import Registry, Settings, two_way

    df = pd.DataFrame({"k": ["A", "A", "B", "B"], "status": ["Recorded", "Not recorded"] * 2, "n": [50, 40, 60, 30]})
    ident = lambda lab: ("shared", lab)  # noqa: E731
    reg = Registry({("shared", "A"): {"Not recorded"}})
    t = two_way("T", "", "", df, "Key", ["A", "B"], ["Recorded", "Not recorded"], Settings(), ident=ident, reg=reg)
    a = t.rows[0]
    assert a[2] == "[c]"  # forced although 40 is not small
    assert sum(v == "[c]" for v in a[1:4]) >= 2  # and a partner hides with it
    # the partner is shared too, so the other tables showing row A must now hide it as well
    hidden = reg.hidden[("shared", "A")]
    assert "Not recorded" in hidden and len(hidden) >= 2 and not reg.settled()
    assert reg.merged().forced(("shared", "A")) == hidden
