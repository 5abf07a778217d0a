"""CLI commands for the web application: users add/list, audit verify, serve."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from joinedup.errors import UserError


def _engine(state: str):
    from joinedup.state import open_state
    from joinedup.state.url import state_url

    url = state_url(state)
    try:
        return open_state(url)
    except Exception as e:  # noqa: BLE001 - a database we cannot reach is the user's to fix; say so in one line
        if isinstance(e, UserError):
            raise
        raise UserError(f"--state: cannot open the state database ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None


def register(app: typer.Typer) -> None:
    """Add the users, audit and serve commands to the main app."""
    users = typer.Typer(help="Web application accounts.", no_args_is_help=True)
    audit = typer.Typer(help="The web application's audit log.", no_args_is_help=True)
    app.add_typer(users, name="users")
    app.add_typer(audit, name="audit")

    @users.command("add")
    def users_add(name: str = typer.Argument(..., help="sign-in name"),
                  role: str = typer.Option(..., help="analyst, investigator, practitioner, inquiry, auditor or admin"),
                  org: str = typer.Option(..., help="organisation code (F01, LA02...; NAT for national roles)"),
                  password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
                  areas: Optional[str] = typer.Option(None, help="inquiry only: the areas under inquiry, as the "
                                                      "warehouse's org codes, comma-separated (e.g. F01,LA01,LA02)"),
                  state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://..."),
                  json_out: bool = typer.Option(False, "--json", help="print a JSON summary")) -> None:
        """Create a user; identified-data roles get a TOTP secret to enrol in an authenticator app."""
        from joinedup.cli_common import print_json
        from joinedup.state import audit as audit_log
        from joinedup.state.accounts import add_user, check_new_user, parse_areas, totp_uri

        if not password_stdin:
            raise UserError("give the password on stdin with --password-stdin (never on the command line)")
        password = sys.stdin.readline().rstrip("\r\n")
        codes = parse_areas(areas)
        if areas is not None and not codes:
            raise UserError("--areas: give at least one organisation code (or leave --areas out)")
        check_new_user(name, role, org, password, codes)  # before touching the database
        eng = _engine(state)
        u = add_user(eng, name, role, org, password, codes)
        audit_log.append(eng, actor="cli", role="admin", org="NAT", action="user.add", target=f"user:{u.name}",
                         detail={"role": role, "org": org, **({"areas": list(codes)} if codes else {})})
        out = {"name": u.name, "role": u.role, "org": u.org, "areas": list(u.area_list), "totp_uri": totp_uri(u)}
        if json_out:
            print_json(out)
        else:
            typer.echo(f"added {u.name} ({u.role}, {u.org}" + (f"; areas {','.join(codes)}" if codes else "") + ")")
            if out["totp_uri"]:
                typer.echo(f"second factor: enrol this in an authenticator app: {out['totp_uri']}")

    @users.command("list")
    def users_list(state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://..."),
                   json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """List users with role and organisation."""
        from joinedup.cli_common import print_json
        from joinedup.state.accounts import list_users

        rows = [{"name": u.name, "role": u.role, "org": u.org, "areas": list(u.area_list),
                 "second_factor": bool(u.totp_secret), "disabled": u.disabled_at is not None}
                for u in list_users(_engine(state))]
        if json_out:
            print_json(rows)
        else:
            for r in rows:
                typer.echo(f"{r['name']}\t{r['role']}\t{r['org']}\t{','.join(r['areas']) or '-'}"
                           + ("\tdisabled" if r["disabled"] else ""))

    def _changed(eng, action: str, name: str, **detail) -> None:
        from joinedup.state import audit as audit_log

        audit_log.append(eng, actor="cli", role="admin", org="NAT", action=action, target=f"user:{name}",
                         detail=detail or None)

    def _set_disabled(name: str, state: str, disabled: bool) -> None:
        from joinedup.state.accounts import set_disabled

        eng = _engine(state)
        set_disabled(eng, name, disabled)
        _changed(eng, "user.disable" if disabled else "user.enable", name)
        typer.echo(f"{'disabled' if disabled else 'enabled'} {name}")

    @users.command("disable")
    def users_disable(name: str = typer.Argument(..., help="sign-in name"),
                      state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://...")) -> None:
        """Disable a user: their open sessions stop at once and they cannot sign in."""
        _set_disabled(name, state, True)

    @users.command("enable")
    def users_enable(name: str = typer.Argument(..., help="sign-in name"),
                     state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://...")) -> None:
        """Enable a disabled user again."""
        _set_disabled(name, state, False)

    @users.command("password")
    def users_password(name: str = typer.Argument(..., help="sign-in name"),
                       password_stdin: bool = typer.Option(False, "--password-stdin", help="read the new password from stdin"),
                       state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://...")) -> None:
        """Set a user's password (read from stdin)."""
        from joinedup.state.accounts import check_password_rules, set_password

        if not password_stdin:
            raise UserError("give the password on stdin with --password-stdin (never on the command line)")
        password = sys.stdin.readline().rstrip("\r\n")
        check_password_rules(password)
        eng = _engine(state)
        set_password(eng, name, password)
        _changed(eng, "user.password", name)
        typer.echo(f"new password set for {name}")

    @users.command("areas")
    def users_areas(name: str = typer.Argument(..., help="sign-in name (an inquiry account)"),
                    areas: str = typer.Option(..., help="org codes, comma-separated; '' for the whole remit"),
                    state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://...")) -> None:
        """Scope an inquiry account to the areas under inquiry."""
        from joinedup.state.accounts import set_areas

        eng = _engine(state)
        u = set_areas(eng, name, areas)
        _changed(eng, "user.areas", name, areas=list(u.area_list))
        typer.echo(f"{name}: areas {','.join(u.area_list) or 'all (whole remit)'}")

    @audit.command("verify")
    def audit_verify(state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://..."),
                     json_out: bool = typer.Option(False, "--json", help="print a JSON verdict"),
                     expect: Optional[str] = typer.Option(None, help="ENTRIES:HEAD from an earlier verify, kept "
                                                          "outside the database (catches entries cut from the end)")) -> None:
        """Check the audit log's hash chain; exit 1 and name the first bad entry when it was tampered with."""
        import re

        from joinedup.cli_common import print_json
        from joinedup.state.audit import verify

        anchor = None
        if expect is not None:
            m = re.fullmatch(r"(\d+):([0-9a-f]{64})", expect.strip())
            if not m:
                raise UserError(f"--expect {expect!r}: use ENTRIES:HEAD as printed by audit verify (e.g. 120:3fa9...)")
            anchor = (int(m[1]), m[2])
        v = verify(_engine(state), anchor)
        if json_out:
            print_json(v.as_dict())
        elif v.ok:
            typer.echo(f"audit log intact: {v.entries} entries; anchor {v.entries}:{v.head}")
        else:
            typer.echo(f"audit log TAMPERED: {v.problem}", err=True)
        if not v.ok:
            raise typer.Exit(code=1)

    @app.command("serve")
    def serve(db: str = typer.Option(..., help="the linked warehouse (DuckDB file)"),
              state: str = typer.Option(..., help="state database: a file (SQLite) or postgresql://..."),
              host: str = typer.Option("127.0.0.1", help="address to listen on"),
              port: int = typer.Option(8000, help="port to listen on"),
              workers: int = typer.Option(1, min=1, max=32, help="worker processes (uvicorn)"),
              insecure_cookies: bool = typer.Option(False, "--insecure-cookies",
                                                    help="drop the Secure flag (only for plain http off localhost)"),
              as_of: Optional[str] = typer.Option(None, "--as-of", help="every page reads the warehouse as known on "
                                                  "this date (YYYY-MM-DD)"),
              oidc_issuer: Optional[str] = typer.Option(None, "--oidc-issuer", help="single sign-on: the OpenID Connect "
                                                        "issuer URL (its /.well-known/openid-configuration)"),
              oidc_client_id: Optional[str] = typer.Option(None, "--oidc-client-id", help="single sign-on: this "
                                                           "service's client id (secret in JOINEDUP_OIDC_CLIENT_SECRET)"),
              oidc_claim: str = typer.Option("preferred_username", "--oidc-claim", help="single sign-on: the ID token "
                                             "claim that holds the joinedup account name")) -> None:
        """Run the web application (pages and JSON API) over the warehouse."""
        import os

        from joinedup.warehouse.snapshot import parse_past_date
        from joinedup.web.oidc import OidcConfig
        from joinedup.web.server import run

        day = parse_past_date(as_of)
        oidc = None
        if oidc_issuer or oidc_client_id:
            oidc = OidcConfig.checked(oidc_issuer, oidc_client_id, os.environ.get("JOINEDUP_OIDC_CLIENT_SECRET", ""),
                                      oidc_claim)
        _engine(state)
        run(db=db, state=state, host=host, port=port, secure_cookies=not insecure_cookies, workers=workers,
            as_of=day, oidc=oidc)
