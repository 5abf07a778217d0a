"""Run the application with uvicorn; our own access log (paths only, never query strings)."""

from __future__ import annotations

import datetime as dt  # noqa: F401 - named in annotations
import logging
import os
import secrets


def app_from_env():
    """The application for a uvicorn worker process, configured by run() through the environment."""
    import datetime as dt

    from joinedup.web.app import create_app
    from joinedup.web.oidc import OidcConfig

    as_of = os.environ.get("JOINEDUP_WEB_AS_OF")
    oidc = os.environ.get("JOINEDUP_WEB_OIDC")
    return create_app(os.environ["JOINEDUP_WEB_DB"], os.environ["JOINEDUP_WEB_STATE"],
                      secure_cookies=os.environ.get("JOINEDUP_WEB_SECURE", "1") == "1",
                      secret=bytes.fromhex(os.environ["JOINEDUP_WEB_SECRET_HEX"]),
                      as_of=dt.date.fromisoformat(as_of) if as_of else None,
                      oidc=OidcConfig.from_json(oidc) if oidc else None)


def implementations() -> dict[str, str]:
    """What uvicorn's http="auto" and loop="auto" pick here: httptools and uvloop when installed (uvicorn[standard],
    a dependency), else the pure-Python h11 parser and asyncio's own loop (about twice the CPU a request)."""
    import importlib.util

    return {"http": "httptools" if importlib.util.find_spec("httptools") else "h11",
            "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"}


def _log_implementations(workers: int) -> None:
    impl = implementations()
    logging.getLogger("joinedup.web").info("HTTP parser %s, event loop %s, %d worker process(es)", impl["http"],
                                           impl["loop"], workers)


def run(db: str, state: str, host: str, port: int, secure_cookies: bool = True, workers: int = 1,
        as_of: "dt.date | None" = None, oidc: "OidcConfig | None" = None) -> None:
    """Serve the application until interrupted (several worker processes share one key and the state database)."""
    import uvicorn

    from joinedup.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    secret = os.environ.get("JOINEDUP_WEB_SECRET", "").encode() or secrets.token_bytes(32)
    # uvicorn's access log prints the query string (names, dates of birth): ours in app.py prints the route only
    if workers <= 1:
        create = create_app(db, state, secure_cookies=secure_cookies, secret=secret, as_of=as_of, oidc=oidc)
        _log_implementations(workers)
        uvicorn.run(create, host=host, port=port, access_log=False, log_level="info", server_header=False,
                    http="auto", loop="auto")
        return
    # fail here, once, on a bad --db, --state or --as-of
    create_app(db, state, secure_cookies=secure_cookies, secret=secret, as_of=as_of, oidc=oidc)
    os.environ.update(JOINEDUP_WEB_DB=db, JOINEDUP_WEB_STATE=state, JOINEDUP_WEB_SECURE="1" if secure_cookies else "0",
                      JOINEDUP_WEB_SECRET_HEX=secret.hex(), JOINEDUP_WEB_AS_OF=as_of.isoformat() if as_of else "",
                      JOINEDUP_WEB_OIDC=oidc.to_json() if oidc else "")
    _log_implementations(workers)
    uvicorn.run("joinedup.web.server:app_from_env", factory=True, workers=workers, host=host, port=port,
                access_log=False, log_level="info", server_header=False, http="auto", loop="auto")
