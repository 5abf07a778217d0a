"""The secure web application: FastAPI, GOV.UK Frontend pages, a JSON API, roles and an audit log."""

from __future__ import annotations

DEMO_ROLES = (("analyst", "NAT"), ("investigator", "F01"), ("practitioner", "LA01"), ("inquiry", "NAT"),
              ("auditor", "NAT"), ("admin", "NAT"))


def demo_accounts(db: str, state: str, password: str = "demo-password-only") -> list[str]:
    """Create one demo account per role (skipping names already taken) and return lines telling how to serve."""
    from joinedup.state import open_state
    from joinedup.state.accounts import add_user, find_user, totp_uri
    from joinedup.state.url import state_url

    engine = open_state(state_url(state))
    lines = ["Start the web application with demo accounts (synthetic data only):",
             f"  joinedup serve --db {db} --state {state}",
             f"  then open http://127.0.0.1:8000/ and sign in with password {password!r} as:"]
    for role, org in DEMO_ROLES:
        name = f"demo-{role}"
        u = find_user(engine, name) or add_user(engine, name, role, org, password)
        uri = totp_uri(u)
        lines.append(f"    {name:<20} ({role}, {org})" + (f"  TOTP secret {u.totp_secret}" if uri else ""))
    return lines
