"""The linkage stage's user-facing errors (the CLI prints them as one line and exits 2)."""

from __future__ import annotations

from joinedup.errors import UserError


class LinkError(UserError):
    """Linkage cannot run on this input: no records, no linkable field, never linked, an unknown record."""


class NotLinkedError(LinkError):
    """The warehouse has never been linked (link_person is missing or empty)."""

    def __init__(self, db: str | None = None) -> None:
        where = f"{db} " if db else "this warehouse "
        super().__init__(f"{where}has not been linked yet: run `joinedup link --db {db or 'WAREHOUSE'}` first")
