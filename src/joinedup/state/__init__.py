"""Application state (SQLAlchemy; SQLite by default): linkage judgements made by people, with Alembic migrations."""

from joinedup.state.db import Base, LinkJudgement, default_state_url, open_state

__all__ = ["Base", "LinkJudgement", "default_state_url", "open_state"]
