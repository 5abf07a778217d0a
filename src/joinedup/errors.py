"""The one base class for problems a user can act on; the CLI maps it to one line and exit code 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a state the user can fix (a missing file, an unknown id, a warehouse never linked)."""
