"""Helpers shared by the web tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "a-long-passphrase-123"
USERS = {  # name -> (role, org)
    "ana": ("analyst", "NAT"), "inv": ("investigator", "F01"), "pra": ("practitioner", "LA01"),
    "inq": ("inquiry", "NAT"), "aud": ("auditor", "NAT"), "adm": ("admin", "NAT"),
}


@dataclass
class Web:
    """An application over the shared linked world, with one user per role."""

    app: object
    state: str
    engine: object
    db: Path
    secret: bytes

    def client(self):
        """A fresh anonymous client (https, so Secure cookies are sent)."""
        from fastapi.testclient import TestClient

        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)

    def login(self, name: str):
        """A client signed in as this user (with the TOTP step for identified roles)."""
        import pyotp

        from joinedup.state.accounts import find_user

        c = self.client()
        r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": name, "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text[:500]
        if r.headers["location"].startswith("/login/code"):
            u = find_user(self.engine, name)
            r = c.post("/login/code", data={"csrf_token": csrf(c.get(r.headers["location"]).text),
                                            "code": pyotp.TOTP(u.totp_secret).now(), "next": "/"})
            assert r.status_code == 303, r.text[:500]
        return c


def csrf(html: str) -> str:
    """The CSRF token in a page's form."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def make_web(db: Path, state: str, secret: bytes | None = None) -> Web:
    """An app with the six users added."""
    from joinedup.state import open_state
    from joinedup.state.accounts import add_user, find_user
    from joinedup.state.url import state_url
    from joinedup.web.app import create_app

    engine = open_state(state_url(state))
    for name, (role, org) in USERS.items():
        if find_user(engine, name) is None:
            add_user(engine, name, role, org, PASSWORD)
    secret = secret or secrets.token_bytes(32)
    return Web(create_app(str(db), state, secret=secret), state, engine, db, secret)


@contextlib.contextmanager
def live_server(app, log_file: Path | None = None, loggers: tuple[str, ...] = ("joinedup.web", "uvicorn", "uvicorn.error",
                                                                              "uvicorn.access")):
    """Serve app with uvicorn on a free loopback port in a thread (its log to log_file when given): yields the URL."""
    import logging
    import socket
    import threading
    import time

    import uvicorn

    handler = None
    logs = [logging.getLogger(n) for n in loggers]
    if log_file is not None:
        handler = logging.FileHandler(log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for lg in logs:
        if handler is not None:
            lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_config=None))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    try:
        yield f"http://localhost:{port}"
    finally:
        srv.should_exit = True
        t.join(10)
        if handler is not None:
            for lg in logs:
                lg.removeHandler(handler)
