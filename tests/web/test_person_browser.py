"""In a real browser, on a world where the network and risk stages have run: a practitioner signs in, searches for a
child, opens the person page, its chronology and network sections and the full chronology, records a review decision
(first without choosing, then properly) and finds it on the risk review queue; axe-core on every page; then the
server's log is scanned for names, dates of birth and addresses."""

from __future__ import annotations


import pytest

from test_browser import REASON, WebDriverWait, browser, check_page, find, pytestmark, sign_in  # noqa: F401
from test_person_page import child, sql, staged  # noqa: F401 - shared session fixtures
from web_support import live_server


@pytest.fixture(scope="module")
def staged_server(staged, tmp_path_factory):
    """The staged app served by uvicorn on a free loopback port, its log captured to a file."""
    log_file = tmp_path_factory.mktemp("live-staged") / "server.log"
    with live_server(staged.app, log_file, loggers=("joinedup.web", "uvicorn", "uvicorn.error")) as url:
        yield url, log_file


def test_practitioner_reviews_a_child_from_search_to_decision(staged, staged_server, browser, child):
    base, log_file = staged_server
    drv = browser
    fore, sur = next((f, s) for f, s in sql(staged, """SELECT pr.forename, pr.surname FROM link_person lp
        JOIN person_record pr USING (source, source_record_id) WHERE lp.person_id = ? AND pr.org_code = 'LA01'
        AND pr.forename IS NOT NULL AND pr.surname IS NOT NULL ORDER BY pr.source_record_id""", [child]))
    sign_in(drv, base, staged, "pra")
    drv.find_element("link text", "Search").click()
    find(drv, "id", "forename").send_keys(fore.title())
    drv.find_element("id", "surname").send_keys(sur.title())
    drv.find_element("id", "search-button").click()
    find(drv, "id", "results")
    find(drv, "link text", child).click()
    find(drv, "id", "reason").send_keys(REASON)
    drv.find_element("id", "give-reason").click()
    WebDriverWait(drv, 20).until(lambda d: child in d.find_element("tag name", "h1").text)
    main = drv.find_element("tag name", "main").text
    assert "Chronology: what was known, when, and by whom" in main
    assert "Risk flags and reasons" in main and "Reasons, with the records behind each" in main
    assert "Network neighbourhood" in main and "Direct ties" in main
    check_page(drv, "person-sections")

    drv.find_element("id", "open-chronology").click()
    WebDriverWait(drv, 20).until(lambda d: "/chronology" in d.current_url)
    assert "Who knew what, when" in find(drv, "tag name", "main").text
    check_page(drv, "chronology")

    drv.get(f"{base}/persons/{child}")
    find(drv, "id", "record-risk-decision").click()  # no choice made: the page says what to do
    WebDriverWait(drv, 20).until(lambda d: d.find_elements("class name", "govuk-error-summary"))
    assert "Choose no concern, referred or action taken" in drv.find_element("class name", "govuk-error-summary").text
    check_page(drv, "risk-decision-error")
    drv.find_element("css selector", "label[for='decision-2']").click()  # referred
    drv.find_element("id", "note").send_keys("strategy meeting booked")
    drv.find_element("id", "record-risk-decision").click()
    assert "Decision recorded" in find(drv, "class name", "govuk-notification-banner").text
    assert "strategy meeting booked" in drv.find_element("id", "main-content").text
    check_page(drv, "risk-decided")

    drv.find_element("link text", "Risk review").click()
    find(drv, "css selector", "table")
    assert "Referred" in drv.find_element("tag name", "main").text
    check_page(drv, "risk-queue")

    from joinedup.state import audit

    assert any(e["action"] == "risk.decision" and e["actor"] == "pra" for e in audit.recent(staged.engine))
    text = log_file.read_text()
    assert "GET /persons/" in text, "the log captured nothing: the scan would prove nothing"
    assert not [v for v in (fore, sur, fore.title(), sur.title(), REASON) if v in text], "personal data in the server log"
