"""Account upkeep: an administrator disables, enables, re-scopes or resets an account; anyone changes their password."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from joinedup.errors import UserError

ACTIONS = {"disable": "Disable", "enable": "Enable", "password": "Set a new password", "areas": "Set the areas under inquiry"}


def add_secure_routes(app: FastAPI, guard, page, record, *, engine, csrf_form, users_data) -> None:
    """POST /users/change (admins) and GET/POST /account/password (every signed-in role)."""
    from joinedup.state.accounts import check_password, find_user, set_areas, set_disabled, set_password

    def users_page(request: Request, errors: dict[str, str], form: dict[str, str], changed: str | None, status: int):
        return page(request, "users.html", {"users": users_data(), "errors": errors, "form": {}, "change": form,
                                            "added": None, "changed": changed}, status)

    @app.post("/users/change", include_in_schema=False)
    async def users_change(request: Request):
        form = await request.form()
        csrf_form(request, form)
        p, _ = guard(request, "users")
        f = {k: str(form.get(k, ""))[:500] for k in ("user", "action", "new_password", "areas")}
        errors: dict[str, str] = {}
        target = find_user(engine, f["user"]) if f["user"] and len(f["user"]) <= 64 else None
        if target is None:
            errors["user"] = "Choose an account"
        if f["action"] not in ACTIONS:
            errors["action"] = "Choose what to change"
        elif target is not None and f["action"] == "disable" and target.id == p.user_id:
            errors["action"] = "You cannot disable your own account"
        if not errors:
            try:
                if f["action"] in ("disable", "enable"):
                    set_disabled(engine, target.name, f["action"] == "disable")
                    detail: dict[str, Any] = {}
                elif f["action"] == "password":
                    set_password(engine, target.name, f["new_password"])
                    detail = {}
                else:
                    u = set_areas(engine, target.name, f["areas"])
                    detail = {"areas": list(u.area_list)}
            except UserError as e:
                errors["new_password" if f["action"] == "password" else "change-areas"] = str(e)
        if errors:
            return users_page(request, errors, f | {"new_password": ""}, None, 422)
        record(p, f"user.{f['action']}", target=f"user:{target.name}", **detail)
        return users_page(request, {}, {}, f"{ACTIONS[f['action']]}: done for {target.name}", 200)

    @app.get("/account/password", include_in_schema=False)
    def password_form(request: Request):
        guard(request, "dashboard")
        return page(request, "password.html", {"errors": {}, "done": False})

    @app.post("/account/password", include_in_schema=False)
    async def password_change(request: Request):
        form = await request.form()
        csrf_form(request, form)
        p, _ = guard(request, "dashboard")
        cur, new, again = (str(form.get(k, ""))[:500] for k in ("current", "new", "confirm"))
        errors: dict[str, str] = {}
        user = find_user(engine, p.name)
        if user is None or not check_password(user, cur):
            errors["current"] = "Enter your current password"
        elif len(new) < 12:
            errors["new"] = "Your new password must be at least 12 characters"
        elif new == cur:
            errors["new"] = "Your new password must differ from the current one"
        elif new != again:
            errors["confirm"] = "Enter the same new password twice"
        if errors:
            return page(request, "password.html", {"errors": errors, "done": False}, 422)
        set_password(engine, p.name, new)
        record(p, "user.password", target=f"user:{p.name}", by="self")
        return RedirectResponse("/account/password?done=1", status_code=303)
