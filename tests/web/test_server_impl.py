"""serve runs uvicorn with the C HTTP parser and uvloop (uvicorn[standard] is a dependency)."""

from __future__ import annotations


def test_uvicorn_auto_picks_httptools_and_uvloop():
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from joinedup.web.server import implementations

    assert implementations() == {"http": "httptools", "loop": "uvloop"}
    cfg = uvicorn.Config(app=lambda *a: None, http="auto", loop="auto")  # what serve passes
    cfg.load()
    assert cfg.http_protocol_class is HttpToolsProtocol
