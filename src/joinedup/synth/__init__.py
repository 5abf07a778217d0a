"""Synthetic world generator: agency extracts in legacy layouts plus ground truth (synthetic data only)."""

from joinedup.synth.generate import generate

__all__ = ["generate"]
