"""Single sign-on through OpenID Connect (optional, for deployment): the issuer authenticates, joinedup authorises.

The authorization code flow with PKCE, state and nonce (authlib), the ID token's signature checked against the
issuer's published keys and its iss, aud, exp and nonce claims checked (joserfc, authlib's JOSE library). One
claim (`preferred_username` by default) names an existing joinedup account; role, organisation and areas stay
those of the account in the state database. An account that does not exist or is disabled is refused. An
identified-data role still gives its TOTP code unless the ID token says the issuer used a second factor (amr).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from joinedup.errors import UserError

SSO_COOKIE = "joinedup-sso"
FLOW_SECONDS = 600          # a sign-in started longer ago than this is refused
MFA_AMR = {"mfa", "otp", "hwk", "swk", "sms", "fpt", "face", "iris"}  # RFC 8176 methods that are a second factor


class SsoError(Exception):
    """A single sign-on that cannot complete; the message is safe to show (no token or claim values)."""


@dataclass
class OidcConfig:
    """Where the issuer is, who this service is to it, and which claim holds the account name."""

    issuer: str
    client_id: str
    client_secret: str
    claim: str = "preferred_username"
    scope: str = "openid profile email"
    transport: Any = field(default=None, repr=False, compare=False)  # an httpx transport (tests: an in-process issuer)

    @classmethod
    def checked(cls, issuer: str | None, client_id: str | None, client_secret: str, claim: str) -> "OidcConfig":
        """A configuration from the serve options, refusing a partial or unsafe one with one line."""
        if not issuer or not client_id:
            raise UserError("single sign-on needs both --oidc-issuer and --oidc-client-id")
        u = urlparse(issuer)
        local = u.hostname in ("localhost", "127.0.0.1", "::1")
        if u.scheme not in ("https", "http") or not u.hostname or (u.scheme == "http" and not local):
            raise UserError(f"--oidc-issuer {issuer!r}: use an https:// URL (http only for localhost)")
        if not client_secret:
            raise UserError("single sign-on: set the client secret in the JOINEDUP_OIDC_CLIENT_SECRET environment variable")
        if not claim or not claim.replace("_", "").isalnum():
            raise UserError(f"--oidc-claim {claim!r}: a claim name such as preferred_username, email or sub")
        return cls(issuer.rstrip("/"), client_id, client_secret, claim)

    def to_json(self) -> str:
        """For worker processes (the transport is not passed on)."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "transport"})

    @classmethod
    def from_json(cls, text: str) -> "OidcConfig":
        """The configuration to_json wrote."""
        return cls(**json.loads(text))


class OidcClient:
    """Talks to the issuer: discovery, the authorization URL, the code exchange and the ID token's checks."""

    def __init__(self, cfg: OidcConfig) -> None:
        self.cfg = cfg
        self._meta: dict[str, Any] | None = None
        self._keys: Any = None

    def _http(self):
        import httpx

        return httpx.Client(transport=self.cfg.transport, timeout=10, follow_redirects=False)

    def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (fetched once)."""
        if self._meta is None:
            try:
                with self._http() as h:
                    r = h.get(self.cfg.issuer + "/.well-known/openid-configuration")
                    r.raise_for_status()
                    meta = r.json()
            except Exception as e:  # noqa: BLE001 - any failure to reach the issuer is one message
                raise SsoError(f"the sign-in service cannot be reached ({type(e).__name__})") from None
            if meta.get("issuer", "").rstrip("/") != self.cfg.issuer:
                raise SsoError("the sign-in service's discovery document names another issuer")
            self._meta = meta
        return self._meta

    def _key_set(self, refresh: bool = False):
        from joserfc.jwk import KeySet

        if self._keys is None or refresh:
            with self._http() as h:
                r = h.get(self.metadata()["jwks_uri"])
                r.raise_for_status()
                self._keys = KeySet.import_key_set(r.json())
        return self._keys

    def authorization_url(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and the flow's secrets to keep until the callback (state, nonce, verifier)."""
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        flow = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64)}
        q = {"response_type": "code", "client_id": self.cfg.client_id, "redirect_uri": redirect_uri,
             "scope": self.cfg.scope, "state": flow["state"], "nonce": flow["nonce"],
             "code_challenge": create_s256_code_challenge(flow["verifier"]), "code_challenge_method": "S256"}
        return self.metadata()["authorization_endpoint"] + "?" + urlencode(q), flow

    def exchange(self, code: str, redirect_uri: str, flow: dict[str, str]) -> dict[str, Any]:
        """Trade the code for tokens and return the ID token's checked claims."""
        try:
            with self._http() as h:
                r = h.post(self.metadata()["token_endpoint"], auth=(self.cfg.client_id, self.cfg.client_secret),
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                 "code_verifier": flow["verifier"]})
        except SsoError:
            raise
        except Exception as e:  # noqa: BLE001
            raise SsoError(f"the sign-in service cannot be reached ({type(e).__name__})") from None
        if r.status_code != 200:
            raise SsoError("the sign-in service refused the sign-in code")
        try:
            id_token = r.json()["id_token"]
        except (ValueError, KeyError, TypeError):
            raise SsoError("the sign-in service sent no ID token") from None
        return self.claims(id_token, flow["nonce"])

    def claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce are right."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            try:
                tok = jwt.decode(id_token, self._key_set(), algorithms=["RS256", "ES256", "PS256"])
            except JoseError:  # the issuer may have rotated its keys since we fetched them
                tok = jwt.decode(id_token, self._key_set(refresh=True), algorithms=["RS256", "ES256", "PS256"])
            jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": self.cfg.issuer},
                                  aud={"essential": True, "value": self.cfg.client_id},
                                  exp={"essential": True}, sub={"essential": True},
                                  nonce={"essential": True, "value": nonce}).validate(tok.claims)
        except (JoseError, ValueError, KeyError, TypeError) as e:
            raise SsoError(f"the ID token was not accepted ({type(e).__name__})") from None
        aud = tok.claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and tok.claims.get("azp") != self.cfg.client_id:
            raise SsoError("the ID token was not accepted (azp)")
        return tok.claims


def seal(secret: bytes, data: dict[str, str]) -> str:
    """The flow's secrets in a cookie value, signed with the server's key (so any worker can check the callback)."""
    body = base64.urlsafe_b64encode(json.dumps(data | {"t": int(time.time())}).encode()).decode().rstrip("=")
    mac = hmac.new(secret, b"sso\x1f" + body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unseal(secret: bytes, value: str | None) -> dict[str, str] | None:
    """The flow's secrets if the cookie is ours, untouched and fresh (None otherwise)."""
    if not value or len(value) > 2000 or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    good = hmac.new(secret, b"sso\x1f" + body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good.encode(), mac.encode("utf-8", "replace")):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or time.time() - data.get("t", 0) > FLOW_SECONDS:
        return None
    return data


def add_oidc_routes(app, cfg: OidcConfig, *, sessions, engine, secret: bytes, page, set_cookie, secure_cookies: bool,
                    safe_next) -> None:
    """GET /login/sso (off to the issuer) and GET /login/sso/callback (back: the account named by the claim)."""
    from joinedup.state import audit
    from joinedup.state.accounts import TOTP_ROLES, find_user

    client = OidcClient(cfg)
    app.state.oidc = client

    def redirect_uri(request: Request) -> str:
        return str(request.url_for("sso_callback"))

    def refuse(request: Request, message: str, status: int = 403):
        return page(request, "error.html", {"title": "You cannot sign in", "message": message}, status)

    @app.get("/login/sso", include_in_schema=False)
    def sso_start(request: Request, next: str = Query("/", max_length=200)):
        try:
            url, flow = client.authorization_url(redirect_uri(request))
        except SsoError as e:
            return refuse(request, f"Single sign-on is not available: {e}.", 503)
        resp = RedirectResponse(url, status_code=303)
        # Lax, not Strict: the issuer sends the browser back with a cross-site top-level GET
        resp.set_cookie(SSO_COOKIE, seal(secret, flow | {"next": safe_next(next)}), max_age=FLOW_SECONDS,
                        httponly=True, secure=secure_cookies, samesite="lax", path="/login/sso")
        return resp

    @app.get("/login/sso/callback", include_in_schema=False, name="sso_callback")
    def sso_callback(request: Request, code: str | None = Query(None, max_length=2000),
                     state: str | None = Query(None, max_length=200), error: str | None = Query(None, max_length=200)):
        ip = request.client.host if request.client else "-"
        flow = unseal(secret, request.cookies.get(SSO_COOKIE))
        if flow is None or not state or not hmac.compare_digest(flow["state"].encode(), state.encode("utf-8", "replace")):
            audit.append(engine, actor="(sso)", role="-", org="-", action="login.failed", detail={"ip": ip, "step": "sso-state"})
            return refuse(request, "This sign-in expired or did not start here. Go back to the sign-in page and try again.", 400)
        if error or not code:
            return refuse(request, "The sign-in service did not sign you in.", 401)
        try:
            claims = client.exchange(code, redirect_uri(request), flow)
        except SsoError as e:
            audit.append(engine, actor="(sso)", role="-", org="-", action="login.failed", detail={"ip": ip, "step": "sso-token"})
            return refuse(request, f"Single sign-on failed: {e}.", 401)
        name = claims.get(cfg.claim)
        user = find_user(engine, name) if isinstance(name, str) and 0 < len(name) <= 64 else None
        if user is None or user.disabled_at is not None:
            # the claim's value is not logged or audited as the actor: it may be a person's e-mail address
            audit.append(engine, actor="(sso)", role="-", org="-", action="login.failed",
                         detail={"ip": ip, "step": "sso-account", "why": "no account" if user is None else "disabled"})
            return refuse(request, "Your organisation signed you in, but you have no joinedup account "
                                   "(or it is disabled). Ask an administrator.", 403)
        old = request.state.session if getattr(request.state, "session", None) else None
        if old is not None:
            sessions.end(old)
        amr = set(claims.get("amr") or []) if isinstance(claims.get("amr"), list) else set()
        second = user.role in TOTP_ROLES and user.totp_secret and not (amr & MFA_AMR)
        new = sessions.new(user.id, "totp" if second else "active")
        request.state.session = new
        nxt = flow.get("next", "/")
        if second:
            resp = RedirectResponse(f"/login/code?next={nxt}", status_code=303)
        else:
            audit.append(engine, actor=user.name, role=user.role, org=user.org, action="login.ok",
                         detail={"via": "oidc", "issuer": cfg.issuer, "amr": sorted(amr)})
            resp = RedirectResponse(nxt, status_code=303)
        set_cookie(resp, new)
        resp.delete_cookie(SSO_COOKIE, path="/login/sso", secure=secure_cookies, httponly=True, samesite="lax")
        return resp
