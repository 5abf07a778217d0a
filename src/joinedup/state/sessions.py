"""Server-side web sessions: the cookie holds a random token, the state holds only its hash and who signed in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.state.db import Base


class WebSession(Base):
    """One browser session: signed in fully, half-way (password done, TOTP due) or not yet; its CSRF token."""

    __tablename__ = "web_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stage: Mapped[str] = mapped_column(String(10), nullable=False)  # anon | totp | active
    csrf: Mapped[str] = mapped_column(String(64), nullable=False)
    reasons: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON {person_id: reason} given this session
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
