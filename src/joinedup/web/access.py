"""Roles and scoping, decided in this one module for pages and API alike: who may do what, and see which records."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("analyst", "investigator", "practitioner", "inquiry", "auditor", "admin")
CASE_ROLES = ("analyst", "investigator", "practitioner", "inquiry")
IDENTIFIED_ROLES = ("investigator", "practitioner", "inquiry")

# permission -> roles that hold it; every route names exactly one permission
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "dashboard": ROLES,
    "search": CASE_ROLES,
    "person": CASE_ROLES,
    "export": CASE_ROLES,
    "review": ("analyst", "investigator"),  # the inquiry is read-only; practitioners do not judge linkage
    "stages": CASE_ROLES,
    "groups": CASE_ROLES,  # groups list and group pages; members shaped by record_view
    "justice": CASE_ROLES,  # downgrades, disregards, cases to reopen; rows shaped by record_view
    "statistics": CASE_ROLES,  # the disclosure-controlled publication: aggregate, so every case role
    "risk": CASE_ROLES,  # the risk review queue, scoped: practitioners own LA's children, investigators own force's
    "risk_decide": ("practitioner", "investigator"),  # analysts read pseudonymised; the inquiry is read-only
    "audit": ("auditor",),
    "users": ("admin",),
}

ROLE_LABELS = {
    "analyst": "national analyst (pseudonymised records)",
    "investigator": "force investigator (identified records of own force)",
    "practitioner": "safeguarding practitioner (children of own local authority)",
    "inquiry": "inquiry investigator (read-only, identified)",
    "auditor": "auditor (audit log only)",
    "admin": "administrator (users only, no case data)",
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the server sees them."""

    user_id: int
    name: str
    role: str
    org: str
    areas: tuple[str, ...] = ()  # an inquiry account's areas under inquiry (organisation codes); () = whole remit

    @property
    def identified(self) -> bool:
        """True for roles that see names and dates of birth (and so give a reason before viewing)."""
        return self.role in IDENTIFIED_ROLES


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and why (shown on the 403 page and written to the audit log)."""

    allowed: bool
    reason: str


def decide(p: Principal, permission: str) -> Decision:
    """May this principal use a route guarded by this permission?"""
    roles = PERMISSIONS.get(permission)
    if roles is None:
        return Decision(False, f"unknown permission {permission!r}")
    if p.role in roles:
        return Decision(True, f"role {p.role} holds {permission}")
    return Decision(False, f"role {p.role} does not hold {permission} (held by {', '.join(roles)})")


def person_visible(p: Principal, person_orgs: set[str]) -> Decision:
    """May this principal open a person known to these organisations?"""
    if p.role == "inquiry" and p.areas:
        if person_orgs & set(p.areas):
            return Decision(True, f"a person known in an area under inquiry ({', '.join(sorted(person_orgs & set(p.areas)))})")
        return Decision(False, f"this inquiry account sees the areas under inquiry only ({', '.join(p.areas)})")
    if p.role in ("analyst", "inquiry"):
        return Decision(True, f"{p.role}s see every person")
    if p.role == "investigator":
        return Decision(True, "investigators see their force's records and pointers to the rest")
    if p.role == "practitioner":
        if p.org in person_orgs:
            return Decision(True, f"a child known to {p.org}")
        return Decision(False, f"practitioners see children of their own local authority ({p.org}) only")
    return Decision(False, f"role {p.role} sees no case data")


def record_view(p: Principal, record_org: str, person_orgs: set[str]) -> str | None:
    """How one record shows to this principal: identified, pseudonymised, pointer ('known to X') or not at all."""
    if p.role == "analyst":
        return "pseudonymised"
    if p.role == "inquiry":
        return "identified" if not p.areas or record_org in p.areas else "pointer"
    if p.role == "investigator":
        return "identified" if record_org == p.org else "pointer"
    if p.role == "practitioner":
        return "identified" if p.org in person_orgs else None
    return None


def org_scope(p: Principal) -> frozenset[str] | None:
    """The organisations whose records bound this principal's lists (None: not bounded by organisation).

    A list of persons (a queue, a group's members) keeps a person only when person_visible allows them; this is
    the same rule as a set, for filtering in SQL before shaping.
    """
    if p.role == "practitioner":
        return frozenset({p.org})
    if p.role == "inquiry" and p.areas:
        return frozenset(p.areas)
    if p.role in ("analyst", "inquiry", "investigator"):
        return None
    return frozenset()
