"""The server's own logs never hold a name, date of birth or address: `joinedup serve` runs as a subprocess (its real
logging set-up: uvicorn plus ours), is driven through sign-in, searches, person pages, exports and errors, and
everything it wrote to stdout and stderr is scanned for every person of the world."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from web_support import PASSWORD, USERS, csrf

SRC = str(Path(__file__).resolve().parents[2] / "src")
REASON = "strategy meeting for referral REF-2231"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(linked_world, tmp_path_factory):
    """`joinedup serve` over the shared world in a subprocess; yields (base URL, state engine, log file path)."""
    import httpx

    from joinedup.state import open_state
    from joinedup.state.accounts import add_user
    from joinedup.state.url import state_url

    d = tmp_path_factory.mktemp("served")
    state = str(d / "state.sqlite")
    eng = open_state(state_url(state))
    for name, (role, org) in USERS.items():
        add_user(eng, name, role, org, PASSWORD)
    port = _free_port()
    log = d / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "joinedup.cli", "serve", "--db", str(linked_world.db), "--state",
                                 state, "--port", str(port), "--insecure-cookies"],
                                stdout=out, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONPATH": SRC})
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
                time.sleep(0.2)
            else:
                pytest.fail("the server did not start in 120 s")
            yield base, eng, log
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _login(base: str, eng, name: str):
    import httpx
    import pyotp

    from joinedup.state.accounts import find_user

    c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": name, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.text[:300]
    if r.headers["location"].startswith("/login/code"):
        page = c.get(r.headers["location"])
        r = c.post("/login/code", data={"csrf_token": csrf(page.text), "code": pyotp.TOTP(find_user(eng, name).totp_secret).now(),
                                        "next": "/"})
        assert r.status_code == 303
    return c


def _exercise(base: str, eng, people: dict) -> list[dict]:
    """Drive every kind of request that handles personal data; returns the persons whose data went over the wire."""
    import httpx

    pids = sorted(p for p, recs in people.items() if any(r[2] and r[3] and r[4] and r[5] for r in recs))[:4]
    asked = []
    for name in ("ana", "inv", "pra", "inq"):
        c = _login(base, eng, name)
        for pid in pids:
            fore, sur, dob, addr = next((r[2], r[3], r[4], r[5]) for r in people[pid] if r[2] and r[3] and r[4] and r[5])
            asked.append({"forename": fore, "surname": sur, "dob": dob.isoformat(), "address": addr})
            q = {"forename": fore.title(), "surname": sur, "dob": dob.isoformat(), "postcode": addr.split()[-1][:8]}
            assert c.get("/search", params=q).status_code in (200, 422)
            assert c.get("/api/persons", params=q).status_code in (200, 422)
            # bad input quoting personal data: a date of birth in another format, a name with a stray character
            assert c.get("/api/persons", params={"surname": sur + ";", "dob": dob.strftime("%d/%m/%Y")}).status_code == 422
            assert c.get("/search", params={"surname": sur, "dob": dob.strftime("%d/%m/%Y")}).status_code == 422
            page = c.get(f"/persons/{pid}")
            if "csrf_token" in page.text and "reason" in page.text:
                c.post(f"/persons/{pid}/reason", data={"csrf_token": csrf(page.text), "reason": REASON})
            for path in (f"/persons/{pid}", f"/api/persons/{pid}?reason={REASON}", f"/persons/{pid}/records.csv",
                         f"/api/persons/{pid}/records.csv?reason={REASON}"):
                assert c.get(path).status_code in (200, 403)
            # errors: an id that is someone's name, a person id with SQL, a reason too short to accept
            assert c.get(f"/persons/{sur}").status_code in (404, 422)
            assert c.get(f"/api/persons/{sur}%27%20OR%201=1").status_code in (404, 422)
            assert c.get(f"/api/persons/{pid}?reason={fore}").status_code in (403, 422, 200)
    # sign-in failures with a person's name as the user name and their date of birth as the password
    for a in asked[:3]:
        c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        assert c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": a["surname"],
                                      "password": a["dob"] + "-" + a["forename"]}).status_code == 422
    anon = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    assert anon.get("/api/persons", params={"surname": asked[0]["surname"]}).status_code == 401
    assert anon.get("/search", params={"surname": asked[0]["surname"]}).status_code == 303
    return asked


def test_server_logs_hold_no_name_dob_or_address(served, people):
    base, eng, log = served
    asked = _exercise(base, eng, people)
    time.sleep(0.5)  # let the server flush
    text = log.read_text(errors="replace")
    assert "GET /api/persons" in text and "GET /persons/" in text and " 422 " in text and " 403 " in text, \
        "the log does not show the requests: the scan would prove nothing"
    lowered = text.lower()
    words = set(re.findall(r"[a-z][a-z'-]{2,}", lowered))
    # what was typed: never in the log in any case
    for a in asked:
        for k in ("forename", "surname"):
            assert a[k].lower() not in words, f"a searched {k} is in the server log"
        assert a["dob"] not in text and a["address"].lower() not in lowered
    # every person of the world: names (as words), dates of birth (ISO and UK), addresses and their postcodes
    names = {x.lower() for recs in people.values() for r in recs for x in (r[2], r[3]) if x and len(x) >= 3}
    leaks = sorted(words & names)
    dobs = {r[4] for recs in people.values() for r in recs if r[4]}
    leaks += [d.isoformat() for d in dobs if d.isoformat() in text or d.strftime("%d/%m/%Y") in text]
    addrs = {r[5].lower() for recs in people.values() for r in recs if r[5]}
    leaks += [a for a in addrs if a in lowered]
    postcodes = {a.rsplit(",", 1)[-1].strip() for a in addrs if "," in a}
    leaks += [p for p in postcodes if len(p) >= 5 and p in lowered]
    assert not leaks, f"personal data in the server log: {leaks[:10]}"
