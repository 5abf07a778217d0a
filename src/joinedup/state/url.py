"""Turn a --state argument (a file path or a database URL) into a SQLAlchemy URL."""

from __future__ import annotations

from pathlib import Path

from joinedup.errors import UserError


def state_url(value: str) -> str:
    """A SQLAlchemy URL for --state: a path means SQLite; postgresql://... uses psycopg 3."""
    v = (value or "").strip()
    if not v:
        raise UserError("--state: give a file path (SQLite) or a postgresql://... URL")
    if "://" not in v:
        p = Path(v).expanduser().resolve()
        if not p.parent.is_dir():
            raise UserError(f"--state {value}: folder {p.parent} does not exist")
        return f"sqlite:///{p}"
    scheme = v.split("://", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + v.split("://", 1)[1]
    if scheme.startswith("postgresql+") or scheme == "sqlite":
        return v
    raise UserError(f"--state {value}: unsupported database {scheme!r} (use a file path or postgresql://...)")
