"""joinedup: one joined-up, multi-agency picture of group-based child sexual exploitation."""

__version__ = "0.1.0"
