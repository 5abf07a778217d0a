"""SQLAlchemy models and engine for application state; the schema is created by Alembic migrations."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources

from sqlalchemy import DateTime, Integer, String, Text, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base for every application-state table."""


class LinkJudgement(Base):
    """A person's judgement that two records are (not) the same person; soft-deleted, never overwritten."""

    __tablename__ = "link_judgement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # the pair is stored in sorted order so (a, b) and (b, a) are the same question
    source_a: Mapped[str] = mapped_column(String(200), nullable=False)
    record_a: Mapped[str] = mapped_column(String(200), nullable=False)
    source_b: Mapped[str] = mapped_column(String(200), nullable=False)
    record_b: Mapped[str] = mapped_column(String(200), nullable=False)
    decision: Mapped[str] = mapped_column(String(10), nullable=False)  # same | not-same | unsure
    decided_by: Mapped[str] = mapped_column(String(200), nullable=False)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


def default_state_url(db_path: str) -> str:
    """The state database beside a warehouse file: <db>.state.sqlite."""
    return f"sqlite:///{db_path}.state.sqlite"


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("joinedup.state").joinpath("migrations")))
    # ConfigParser interpolates %: a password or path with a percent sign must reach Alembic unchanged
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=16)
def open_state(url: str) -> Engine:
    """An engine on the state database, migrated to the newest schema (Alembic upgrade head)."""
    from alembic import command

    command.upgrade(_alembic_config(url), "head")
    return create_engine(url)
