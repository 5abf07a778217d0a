"""National statistics: completeness, profiles with honest uncertainty, disclosure control, publication files."""

from joinedup.stats.run import run_stats

__all__ = ["run_stats"]
