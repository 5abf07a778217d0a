"""Run the application with uvicorn; our own access log (paths only, never query strings)."""

from __future__ import annotations

import logging


def run(db: str, state: str, host: str, port: int, secure_cookies: bool = True) -> None:
    """Serve the application until interrupted."""
    import uvicorn

    from joinedup.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(db, state, secure_cookies=secure_cookies)
    # uvicorn's access log prints the query string (names, dates of birth): ours in app.py prints the path only
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", server_header=False)
