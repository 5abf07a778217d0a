"""Estimates with honest uncertainty: Wilson intervals, bounds under missing data, representation ratios."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (NaNs when n is 0)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # clamp: rounding can push the ends a hair past 0 or 1
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ShareBounds:
    """What a group's share of everyone could be when some people's value is unknown."""

    share: float   # k / recorded (among the recorded)
    lower: float   # k / total: nobody unrecorded is in the group
    upper: float   # (k + unrecorded) / total: everybody unrecorded is


def share_bounds(k: int, recorded: int, total: int) -> ShareBounds:
    """Share among the recorded and the bounds over everyone (total includes the unrecorded)."""
    if total < recorded or recorded < k or k < 0:
        raise ValueError(f"need 0 <= k <= recorded <= total, got {k}, {recorded}, {total}")
    unrec = total - recorded
    share = k / recorded if recorded else math.nan
    if total == 0:
        return ShareBounds(share, math.nan, math.nan)
    return ShareBounds(share, k / total, (k + unrec) / total)


def ratio(share: float, baseline: float | None) -> float:
    """Representation ratio: a share divided by the population's share (NaN with no baseline)."""
    if baseline is None or not baseline or math.isnan(share):
        return math.nan
    return share / baseline


def completeness(recorded: int, total: int) -> float:
    """Share of records with a value recorded (NaN for no records)."""
    return recorded / total if total else math.nan
