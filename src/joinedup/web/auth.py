"""Sessions, sign-in with a second factor, CSRF tokens and login throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from joinedup.state import audit
from joinedup.state.accounts import User, check_password, check_totp, dummy_check, find_user, get_user
from joinedup.state.sessions import WebSession
from joinedup.web.access import Principal

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=8)
MAX_FAILURES = 5            # per sign-in name in THROTTLE_WINDOW
MAX_IP_FAILURES = 20        # per client address in THROTTLE_WINDOW (guessing many names)
THROTTLE_WINDOW = dt.timedelta(minutes=15)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(t: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for timezone-aware columns
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SessionInfo:
    """The session behind a request's cookie."""

    token: str
    row: WebSession
    user: User | None

    @property
    def principal(self) -> Principal | None:
        """The signed-in principal (None until both factors are done)."""
        if self.user is None or self.row.stage != "active" or self.user.disabled_at is not None:
            return None
        return Principal(self.user.id, self.user.name, self.user.role, self.user.org, self.user.area_list)

    def reasons(self) -> dict[str, str]:
        """Reasons given this session, by person id."""
        return json.loads(self.row.reasons or "{}")


class Sessions:
    """Server-side sessions in the state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ip_failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def load(self, token: str | None) -> SessionInfo | None:
        """The live session for a cookie token (None when unknown or expired)."""
        if not token or len(token) > 100:
            return None
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(WebSession, _sid(token))
            if row is None:
                return None
            now = _now()
            if now - _aware(row.last_seen) > IDLE or now - _aware(row.created_at) > ABSOLUTE:
                s.delete(row)
                s.commit()
                return None
            if now - _aware(row.last_seen) > dt.timedelta(seconds=60):  # write at most once a minute per session
                row.last_seen = now
                s.commit()
        user = get_user(self.engine, row.user_id) if row.user_id is not None else None
        return SessionInfo(token, row, user)

    def new(self, user_id: int | None = None, stage: str = "anon") -> SessionInfo:
        """A fresh session with a new token and CSRF secret (also after every sign-in step: no fixation)."""
        token = secrets.token_urlsafe(32)
        now = _now()
        row = WebSession(id=_sid(token), user_id=user_id, stage=stage, csrf=secrets.token_urlsafe(32), reasons=None,
                         created_at=now, last_seen=now)
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(row)
            s.commit()
            if now.second % 10 == 0:  # now and then, forget sessions long expired
                s.execute(delete(WebSession).where(WebSession.last_seen < now - ABSOLUTE))
                s.commit()
        return SessionInfo(token, row, get_user(self.engine, user_id) if user_id is not None else None)

    def end(self, info: SessionInfo) -> None:
        """Forget a session (sign out, or replaced by the next sign-in step)."""
        with Session(self.engine) as s:
            s.execute(delete(WebSession).where(WebSession.id == info.row.id))
            s.commit()

    def add_reason(self, info: SessionInfo, person_id: str, reason: str) -> None:
        """Remember the reason given for viewing a person, for the rest of the session."""
        r = info.reasons()
        r[person_id] = reason
        with Session(self.engine) as s:
            row = s.get(WebSession, info.row.id)
            if row is not None:
                row.reasons = json.dumps(r)
                s.commit()
        info.row.reasons = json.dumps(r)

    # --- sign-in -------------------------------------------------------------------------------------------
    def _ip_blocked(self, ip: str) -> bool:
        cutoff = time.monotonic() - THROTTLE_WINDOW.total_seconds()
        with self._lock:
            hits = [t for t in self._ip_failures.get(ip, []) if t > cutoff]
            self._ip_failures[ip] = hits
            return len(hits) >= MAX_IP_FAILURES

    def _ip_fail(self, ip: str) -> None:
        with self._lock:
            self._ip_failures.setdefault(ip, []).append(time.monotonic())

    def password_step(self, name: str, password: str, ip: str) -> tuple[User | None, str | None]:
        """Check name and password with throttling; returns (user, None) or (None, message for the page)."""
        actor = name if name and len(name) <= 64 and name.replace(".", "").replace("_", "").replace("-", "").isalnum() else "(invalid name)"
        failures = audit.count_since(self.engine, actor=actor, action="login.failed", since=_now() - THROTTLE_WINDOW)
        if failures >= MAX_FAILURES or self._ip_blocked(ip):
            audit.append(self.engine, actor=actor, role="-", org="-", action="login.throttled", detail={"ip": ip})
            return None, "Too many failed sign-ins. Wait 15 minutes and try again."
        user = find_user(self.engine, name) if actor != "(invalid name)" else None
        if user is None:
            dummy_check()  # an unknown name takes as long as a wrong password
        ok = user is not None and user.disabled_at is None and check_password(user, password)
        if not ok:
            self._ip_fail(ip)
            audit.append(self.engine, actor=actor, role=user.role if user else "-", org=user.org if user else "-",
                         action="login.failed", detail={"ip": ip, "step": "password"})
            return None, "Enter a correct name and password."
        return user, None

    def totp_step(self, user: User, code: str, ip: str) -> str | None:
        """Check the second factor; returns None when good, else a message for the page."""
        failures = audit.count_since(self.engine, actor=user.name, action="login.failed", since=_now() - THROTTLE_WINDOW)
        if failures >= MAX_FAILURES:
            audit.append(self.engine, actor=user.name, role=user.role, org=user.org, action="login.throttled", detail={"ip": ip})
            return "Too many failed sign-ins. Wait 15 minutes and try again."
        if not check_totp(user, code):
            audit.append(self.engine, actor=user.name, role=user.role, org=user.org, action="login.failed",
                         detail={"ip": ip, "step": "totp"})
            return "Enter the 6-digit code from your authenticator app."
        return None


def csrf_ok(info: SessionInfo | None, token: str | None) -> bool:
    """True when the form's (or header's) token is this session's CSRF token."""
    # compare bytes: compare_digest refuses a str with non-ASCII characters (a forged token must not be a 500)
    return bool(info and token and hmac.compare_digest(info.row.csrf.encode(), str(token).encode("utf-8", "replace")))
