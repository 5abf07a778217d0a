"""Single sign-on through OpenID Connect against a fake issuer in this process (httpx MockTransport: no network).

The issuer authenticates; the account, its role, organisation and areas come from joinedup's state database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from web_support import PASSWORD, USERS, csrf

ISSUER = "https://idp.example.test"
CLIENT_ID = "joinedup-test"
CLIENT_SECRET = "s3cret-for-tests-only"
SRC = str(Path(__file__).resolve().parents[2] / "src")


class FakeIssuer:
    """A tiny OpenID provider: discovery, JWKS, and a token endpoint that checks the client, code and PKCE."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, dict] = {}
        self.requests: list[str] = []

    def authorize(self, url: str, claims: dict, *, nonce: str | None = None, key=None) -> str:
        """What the issuer does when the user signs in there: a code bound to the request's PKCE challenge."""
        q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        assert url.startswith(ISSUER + "/authorize?") and q["client_id"] == CLIENT_ID and q["code_challenge_method"] == "S256"
        code = f"code-{len(self.codes)}"
        self.codes[code] = {"q": q, "claims": claims, "nonce": nonce or q["nonce"], "key": key or self.key}
        return code

    def handler(self, request):
        import base64
        import hashlib

        import httpx
        from joserfc import jwt
        from joserfc.jwk import KeySet

        self.requests.append(request.url.path)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "authorization_endpoint": ISSUER + "/authorize",
                                             "token_endpoint": ISSUER + "/token", "jwks_uri": ISSUER + "/jwks"})
        if request.url.path == "/jwks":
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        if request.url.path == "/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            auth = base64.b64decode(request.headers["authorization"].split()[1]).decode()
            grant = self.codes.pop(form.get("code"), None)
            if auth != f"{CLIENT_ID}:{CLIENT_SECRET}" or grant is None:
                return httpx.Response(400, json={"error": "invalid_grant"})
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).decode().rstrip("=")
            if challenge != grant["q"]["code_challenge"] or form["redirect_uri"] != grant["q"]["redirect_uri"]:
                return httpx.Response(400, json={"error": "invalid_grant"})
            now = int(time.time())
            claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "subject-1", "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"]} | grant["claims"]
            tok = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, grant["key"])
            return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer", "id_token": tok})
        return httpx.Response(404)


@pytest.fixture(scope="module")
def sso(linked_world, tmp_path_factory):
    import httpx

    from joinedup.state import open_state
    from joinedup.state.accounts import add_user
    from joinedup.state.url import state_url
    from joinedup.web.app import create_app
    from joinedup.web.oidc import OidcConfig

    issuer = FakeIssuer()
    state = str(tmp_path_factory.mktemp("ssostate") / "state.sqlite")
    eng = open_state(state_url(state))
    for name, (role, org) in USERS.items():
        add_user(eng, name, role, org, PASSWORD)
    add_user(eng, "gone", "analyst", "NAT", PASSWORD)
    from joinedup.state.accounts import set_disabled

    set_disabled(eng, "gone")
    cfg = OidcConfig(ISSUER, CLIENT_ID, CLIENT_SECRET, transport=httpx.MockTransport(issuer.handler))
    app = create_app(str(linked_world.db), state, oidc=cfg)
    return app, issuer, eng


def _client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def _sign_in(app, issuer, claims, **kw):
    """Start at /login/sso, sign in at the fake issuer, come back; returns (client, callback response)."""
    c = _client(app)
    r = c.get("/login/sso", params={"next": "/search"})
    assert r.status_code == 303
    url = r.headers["location"]
    code = issuer.authorize(url, claims, **kw)
    state = parse_qs(urlparse(url).query)["state"][0]
    return c, c.get("/login/sso/callback", params={"code": code, "state": state})


def test_login_page_offers_sso(sso):
    app, _, _ = sso
    assert "Sign in with your organisation" in _client(app).get("/login").text


def test_sso_signs_in_an_existing_account_with_its_own_role(sso):
    app, issuer, _ = sso
    # the token claims admin rights: ignored, the role comes from joinedup's own account
    c, r = _sign_in(app, issuer, {"preferred_username": "ana", "roles": ["admin"], "role": "admin"})
    assert r.status_code == 303 and r.headers["location"] == "/search"
    me = c.get("/api/me").json()
    assert (me["name"], me["role"], me["org"]) == ("ana", "analyst", "NAT")
    assert c.get("/api/users").status_code == 403
    assert {"/.well-known/openid-configuration", "/jwks", "/token"} <= set(issuer.requests)


def test_identified_roles_still_need_a_second_factor_unless_the_issuer_used_one(sso):
    import pyotp

    from joinedup.state.accounts import find_user

    app, issuer, eng = sso
    c, r = _sign_in(app, issuer, {"preferred_username": "inv"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login/code")
    assert c.get("/api/me").status_code == 401
    page = c.get(r.headers["location"])
    r = c.post("/login/code", data={"csrf_token": csrf(page.text), "code": pyotp.TOTP(find_user(eng, "inv").totp_secret).now()})
    assert r.status_code == 303 and c.get("/api/me").json()["role"] == "investigator"
    c, r = _sign_in(app, issuer, {"preferred_username": "inv", "amr": ["pwd", "mfa"]})
    assert r.status_code == 303 and c.get("/api/me").json()["org"] == "F01"


@pytest.mark.parametrize("claims,status", [
    ({"preferred_username": "nobody"}, 403),         # no such account: SSO does not create one
    ({"preferred_username": "gone"}, 403),           # disabled
    ({"email": "ana"}, 403),                         # the configured claim is missing
    ({"preferred_username": "ana", "aud": "another-client"}, 401),
    ({"preferred_username": "ana", "iss": "https://evil.example"}, 401),
    ({"preferred_username": "ana", "exp": int(time.time()) - 3600}, 401),
])
def test_sso_refusals(sso, claims, status):
    app, issuer, _ = sso
    c, r = _sign_in(app, issuer, claims)
    assert r.status_code == status, r.text[:300]
    assert c.get("/api/me").status_code == 401


def test_wrong_nonce_or_key_is_refused(sso):
    from joserfc.jwk import RSAKey

    app, issuer, _ = sso
    c, r = _sign_in(app, issuer, {"preferred_username": "ana"}, nonce="not-the-nonce")
    assert r.status_code == 401 and c.get("/api/me").status_code == 401
    c, r = _sign_in(app, issuer, {"preferred_username": "ana"}, key=RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    assert r.status_code == 401 and c.get("/api/me").status_code == 401


def test_callback_needs_the_flow_that_started_here(sso):
    app, issuer, _ = sso
    c = _client(app)
    r = c.get("/login/sso")
    url = r.headers["location"]
    code = issuer.authorize(url, {"preferred_username": "ana"})
    assert c.get("/login/sso/callback", params={"code": code, "state": "forged"}).status_code == 400
    other = _client(app)  # the code and state without the browser's flow cookie (login CSRF)
    state = parse_qs(urlparse(url).query)["state"][0]
    assert other.get("/login/sso/callback", params={"code": code, "state": state}).status_code == 400
    tampered = c.cookies.get("joinedup-sso")[:-2] + "00"
    c2 = _client(app)
    c2.cookies.set("joinedup-sso", tampered, path="/login/sso")
    assert c2.get("/login/sso/callback", params={"code": code, "state": state}).status_code == 400
    assert c.get("/login/sso/callback", params={"error": "access_denied", "state": state}).status_code in (400, 401)


def test_unreachable_issuer_is_a_message_not_a_500(linked_world, tmp_path):
    import httpx

    from joinedup.web.app import create_app
    from joinedup.web.oidc import OidcConfig

    def down(request):
        raise httpx.ConnectError("down")

    app = create_app(str(linked_world.db), str(tmp_path / "s.sqlite"),
                     oidc=OidcConfig(ISSUER, CLIENT_ID, CLIENT_SECRET, transport=httpx.MockTransport(down)))
    r = _client(app).get("/login/sso")
    assert r.status_code == 503 and "not available" in r.text


@pytest.mark.parametrize("args,env,msg", [
    (["--oidc-issuer", ISSUER], {}, "both --oidc-issuer and --oidc-client-id"),
    (["--oidc-issuer", ISSUER, "--oidc-client-id", "x"], {}, "JOINEDUP_OIDC_CLIENT_SECRET"),
    (["--oidc-issuer", "http://idp.example.test", "--oidc-client-id", "x"], {"JOINEDUP_OIDC_CLIENT_SECRET": "s"}, "https"),
    (["--as-of", "2020-02-30"], {}, "is not a date"),
    (["--as-of", "2999-01-01"], {}, "in the future"),
    (["--as-of", "1900-01-01"], {}, "before any record"),
])
def test_serve_refuses_bad_options_in_one_line(linked_world, tmp_path, args, env, msg):
    r = subprocess.run([sys.executable, "-m", "joinedup.cli", "serve", "--db", str(linked_world.db), "--state",
                        str(tmp_path / "s.sqlite"), "--port", "1", *args], capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if k != "JOINEDUP_OIDC_CLIENT_SECRET"} | {"PYTHONPATH": SRC} | env)
    assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr[-500:]


def test_sso_routes_never_500_on_bad_values(sso):
    from test_fuzz import BAD

    app, issuer, _ = sso
    c = _client(app)
    c.get("/login/sso")  # a flow cookie, so the callback gets past the first check with some values
    for v in BAD:
        for params in ({"next": v}, {"code": v, "state": v}, {"error": v, "state": v}, {"code": v}):
            for path in ("/login/sso", "/login/sso/callback"):
                r = c.get(path, params=params)
                assert r.status_code < 500 or (path == "/login/sso" and r.status_code == 503), (path, params, r.status_code)
                assert "Traceback" not in r.text
    bad_cookie = _client(app)
    for v in ("", "x.y", "a" * 3000, "e30.0000", "%%%.%%%"):
        bad_cookie.cookies.set("joinedup-sso", v, path="/login/sso")
        assert bad_cookie.get("/login/sso/callback", params={"code": "c", "state": "s"}).status_code == 400
