"""The groups, justice and statistics pages (issue 15), added to the application by one call in create_app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from joinedup.web.access import Principal
from joinedup.web.auth import SessionInfo

# the STAGES keys whose placeholder pages these replace
REPLACED = {"groups", "justice", "statistics"}
REASON_MIN, REASON_MAX = 10, 500


def reason_given(info: SessionInfo, p: Principal, key: str, given: str | None) -> str | None:
    """The reason behind viewing identified data under this key ('' for pseudonymised roles; None when missing)."""
    if not p.identified:
        return ""
    return given or info.reasons().get(key)


def reason_form(page, request: Request, action: str, reason: str = "", errors: dict[str, str] | None = None,
                status: int = 200, next_path: str | None = None, one: bool = False):
    """The page that asks why someone needs to see identified data (one person's records, or a list's)."""
    return page(request, "reason.html", {"action": action, "reason": reason, "errors": errors or {},
                                         "next": next_path, "one": one}, status)


def check_reason(text: str, one: bool = False) -> str | None:
    """An error message for a reason of the wrong length (None when it will do); one: a person's records."""
    if not REASON_MIN <= len(text) <= REASON_MAX:
        what = "this record" if one else "these records"
        return f"Enter why you need to see {what}, in {REASON_MIN} to {REASON_MAX} characters"
    return None


def add_pages_routes(app: FastAPI, guard, page, record, wh, *, sessions, csrf_form, state: str) -> None:
    """Add the groups, justice and statistics pages and their API twins."""
    from joinedup.web.routes_groups import add_groups_routes
    from joinedup.web.routes_justice import add_justice_routes
    from joinedup.web.routes_stats import add_stats_routes

    ctx: dict[str, Any] = {"sessions": sessions, "csrf_form": csrf_form}
    add_groups_routes(app, guard, page, record, wh, **ctx)
    add_justice_routes(app, guard, page, record, wh, **ctx)
    add_stats_routes(app, guard, page, record, wh, state=state)
