"""In a real browser: the groups list, a group page whose Cytoscape.js canvas renders, the justice lists, and a
publication file downloaded from the statistics page; axe-core on each page (no serious or critical violations)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pages_support import staged_db
from test_browser import REASON, WebDriverWait, check_page, find, sign_in
from web_support import live_server, make_web

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="Debian chromium and chromium-driver are not installed (.ci/run installs them)")


@pytest.fixture(scope="module")
def staged_server(linked_world, tmp_path_factory):
    """The application over a warehouse with the network and justice stages run, served on a free loopback port."""
    d = tmp_path_factory.mktemp("pages-live")
    w = make_web(staged_db(linked_world, d, tamper_csv=False), str(d / "state.sqlite"))
    with live_server(w.app, loggers=("joinedup.web",)) as url:
        yield w, url, d


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def pages_browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    drv.set_script_timeout(30)
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield drv
    drv.quit()


def test_groups_list_and_group_page_draw_the_network(staged_server, pages_browser):
    w, base, _ = staged_server
    drv = pages_browser
    sign_in(drv, base, w, "inv")
    drv.find_element("link text", "Groups").click()
    first = find(drv, "css selector", "main table a[href^='/groups/G-']")
    check_page(drv, "groups")
    gid = first.text
    first.click()
    find(drv, "id", "reason")
    check_page(drv, "group-reason")
    drv.find_element("id", "reason").send_keys(REASON)
    drv.find_element("id", "give-reason").click()
    WebDriverWait(drv, 20).until(lambda d: gid in d.find_element("tag name", "h1").text)
    # Cytoscape.js draws on canvases inside the container once the JSON route has answered
    WebDriverWait(drv, 30).until(lambda d: d.find_element("id", "network").get_attribute("data-rendered"))
    n = int(drv.find_element("id", "network").get_attribute("data-rendered"))
    assert n >= 3 and "Drawn:" in drv.find_element("id", "network-status").text
    canvases = drv.find_elements("css selector", "#network canvas")
    assert canvases and max(int(c.get_attribute("width") or 0) for c in canvases) > 100
    # something was painted: the canvas is not blank
    painted = drv.execute_script(
        "const cs = document.querySelectorAll('#network canvas'); let n = 0;"
        "for (const c of cs) { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "  for (let i = 3; i < d.length; i += 4 * 97) if (d[i] > 0) n++; } return n;")
    assert painted > 20, "the network canvas is blank"
    main = drv.find_element("tag name", "main").text
    assert "Members and why each is in" in main and "Crimes and outcomes" in main
    check_page(drv, "group")


def test_justice_lists(staged_server, pages_browser):
    w, base, _ = staged_server
    drv = pages_browser
    sign_in(drv, base, w, "ana")  # pseudonymised: no reason asked
    drv.find_element("link text", "Justice").click()
    find(drv, "link text", "Downgraded charges")
    check_page(drv, "justice")
    for title in ("Downgraded charges", "Convictions to disregard", "Cases to reopen"):
        drv.get(base + "/justice")
        find(drv, "link text", title).click()
        WebDriverWait(drv, 20).until(lambda d: d.find_element("tag name", "h1").text == title)
        assert "pseudonymised" not in drv.find_element("tag name", "h1").text
        check_page(drv, "justice-" + title.split()[-1].lower())


def test_statistics_download(staged_server, pages_browser, downloads):
    w, base, _ = staged_server
    drv = pages_browser
    sign_in(drv, base, w, "pra")
    drv.find_element("link text", "Statistics").click()
    link = find(drv, "link text", "statistics.ods")
    check_page(drv, "statistics")
    link.click()
    target = downloads / "statistics.ods"
    WebDriverWait(drv, 30).until(lambda d: target.exists() and target.stat().st_size > 1000)
    from joinedup.state import audit

    assert target.read_bytes()[:2] == b"PK"  # an OpenDocument file is a zip
    assert any(e["action"] == "statistics.download" and e["actor"] == "pra" for e in audit.recent(w.engine))
