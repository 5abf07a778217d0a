"""User accounts for the web application: roles, organisations, Argon2 password hashes and TOTP secrets."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from joinedup.errors import UserError
from joinedup.state.db import Base

ROLES = ("analyst", "investigator", "practitioner", "inquiry", "auditor", "admin")
NATIONAL_ROLES = ("analyst", "inquiry", "auditor", "admin")
# roles that see identified records sign in with a second factor
TOTP_ROLES = ("investigator", "practitioner", "inquiry")
MIN_PASSWORD = 12
_NAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")
_ORG = re.compile(r"^[A-Z0-9]{2,12}$")


class User(Base):
    """One person who can sign in: role, organisation, password hash and (for identified roles) a TOTP secret."""

    __tablename__ = "web_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    org: Mapped[str] = mapped_column(String(12), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # inquiry accounts only: comma-separated organisation codes under inquiry (NULL: the inquiry's whole remit)
    areas: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def area_list(self) -> tuple[str, ...]:
        """The areas (organisation codes) this account is scoped to; empty when it has no area bound."""
        return tuple(a for a in (self.areas or "").split(",") if a)


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


MAX_AREAS = 200
AREA_ROLES = ("inquiry",)  # only the inquiry is scoped to areas; the other roles are scoped by their own org


def parse_areas(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Areas as given on the CLI or a form ('F01,LA02' or a list) -> sorted unique upper-case codes; one-line errors."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = sorted({str(a).strip().upper() for a in items if str(a).strip()})
    for c in codes:
        if not _ORG.match(c) or c == "NAT":
            raise UserError(f"areas {c!r}: use organisation codes as in the warehouse's org_code (F01, LA02, TR01...)")
    if len(codes) > MAX_AREAS:
        raise UserError(f"areas: at most {MAX_AREAS} codes")
    return tuple(codes)


def check_new_user(name: str, role: str, org: str, password: str, areas: tuple[str, ...] = ()) -> None:
    """Refuse a bad name, role, organisation, password or areas with one clear line."""
    if not _NAME.match(name or ""):
        raise UserError(f"name {name!r}: use 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if not _ORG.match(org or ""):
        raise UserError(f"org {org!r}: use an organisation code such as F01, LA02 or NAT")
    if role in NATIONAL_ROLES and org != "NAT":
        raise UserError(f"org {org}: the {role} role is national, use --org NAT")
    if role not in NATIONAL_ROLES and org == "NAT":
        raise UserError(f"org NAT: an {role} belongs to a force or local authority (e.g. F01, LA02)")
    if areas and role not in AREA_ROLES:
        raise UserError(f"areas: only an inquiry account is scoped to areas (the {role} role is scoped by its own org)")
    check_password_rules(password)


def check_password_rules(password: str) -> None:
    """Refuse a password too short to be safe."""
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")


def add_user(engine: Engine, name: str, role: str, org: str, password: str,
             areas: tuple[str, ...] | list[str] | str | None = None) -> User:
    """Create a user (Argon2 hash; a TOTP secret for identified-data roles); refuses a name already taken."""
    import pyotp

    codes = parse_areas(areas)
    check_new_user(name, role, org, password, codes)
    u = User(name=name, role=role, org=org, password_hash=_hasher().hash(password),
             totp_secret=pyotp.random_base32() if role in TOTP_ROLES else None,
             created_at=dt.datetime.now(dt.timezone.utc), areas=",".join(codes) or None)
    with Session(engine, expire_on_commit=False) as s:
        s.add(u)
        try:
            s.commit()
        except IntegrityError:
            raise UserError(f"name {name!r} is already taken") from None
    return u


def get_user(engine: Engine, user_id: int) -> User | None:
    """The user with this id (None when absent)."""
    with Session(engine, expire_on_commit=False) as s:
        return s.get(User, user_id)


def find_user(engine: Engine, name: str) -> User | None:
    """The user with this name (None when absent)."""
    with Session(engine, expire_on_commit=False) as s:
        return s.scalars(select(User).where(User.name == name)).first()


def list_users(engine: Engine) -> list[User]:
    """Every user, by name."""
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(select(User).order_by(User.name)))


def _change(engine: Engine, name: str, fn) -> User:
    with Session(engine, expire_on_commit=False) as s:
        u = s.scalars(select(User).where(User.name == name)).first()
        if u is None:
            raise UserError(f"no user named {name!r}")
        fn(u)
        s.commit()
        return u


def set_disabled(engine: Engine, name: str, disabled: bool = True) -> User:
    """Disable a user (their sessions stop working at once and they cannot sign in) or enable them again."""
    now = dt.datetime.now(dt.timezone.utc)
    return _change(engine, name, lambda u: setattr(u, "disabled_at", (u.disabled_at or now) if disabled else None))


def set_password(engine: Engine, name: str, password: str) -> User:
    """Give a user a new password (Argon2 hash)."""
    check_password_rules(password)
    h = _hasher().hash(password)
    return _change(engine, name, lambda u: setattr(u, "password_hash", h))


def set_areas(engine: Engine, name: str, areas: tuple[str, ...] | list[str] | str | None) -> User:
    """Scope an inquiry account to these areas (empty: the inquiry's whole remit)."""
    codes = parse_areas(areas)

    def apply(u: User) -> None:
        if codes and u.role not in AREA_ROLES:
            raise UserError(f"areas: only an inquiry account is scoped to areas (not a {u.role})")
        u.areas = ",".join(codes) or None
    return _change(engine, name, apply)


def check_password(user: User, password: str) -> bool:
    """True when the password matches the user's Argon2 hash."""
    from argon2.exceptions import VerificationError, InvalidHashError

    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_check() -> None:
    """Spend the time a password check takes, so an unknown name answers as slowly as a known one."""
    from argon2.exceptions import VerificationError

    try:
        _hasher().verify(_DUMMY[0] or _dummy(), "not the password")
    except VerificationError:
        pass


_DUMMY: list[str | None] = [None]


def _dummy() -> str:
    _DUMMY[0] = _hasher().hash("dummy-password-for-timing")
    return _DUMMY[0]


def check_totp(user: User, code: str) -> bool:
    """True when the six-digit code is valid now for the user's TOTP secret (one step either side)."""
    import pyotp

    if not user.totp_secret or not re.fullmatch(r"\d{6}", code or ""):
        return False
    return pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)


def totp_uri(user: User) -> str | None:
    """The otpauth:// URI to enrol the user's authenticator app (None for roles without a second factor)."""
    import pyotp

    if not user.totp_secret:
        return None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.name, issuer_name="joinedup")
