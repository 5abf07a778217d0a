"""web/fast_templates.py writes the same markup as the GOV.UK Frontend macros it stands in for."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from joinedup.web.app import _templates


def _norm(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+", ">", re.sub(r"\s+<", "<", str(html)))).strip()


@pytest.fixture(scope="module")
def env():
    return _templates().env


def _macro(env, params: dict) -> str:
    tpl = env.from_string('{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}'
                          "{{ govukTable(params) }}")
    return tpl.render(params=params)


TABLES = [
    {"rows": [[{"text": "a"}, {"text": "b"}]]},
    {"caption": "Records <linked>", "captionClasses": "govuk-visually-hidden", "firstCellIsHeader": True,
     "classes": "govuk-body-s", "head": [{"text": "Who"}, {"text": "Weight", "format": "numeric"}, {"html": "<b>x</b>"}],
     "rows": [[{"text": "F01 (police)"}, {"text": 0.93, "format": "numeric"}, {"html": Markup("<a href='/p'>p</a>")}],
              [{"text": "LA01 & co"}, {"text": "pointer", "colspan": 5}],
              [],
              [{"text": None}, {"text": "O'Brien <script>"}, {"text": 3}],
              [{"text": "x", "classes": "jdu-a"}, {"text": "y", "classes": "jdu-b", "format": "numeric"}, {}]]},
    {"caption": "", "head": [], "rows": [], "attributes": {"id": "t1", "data-x": "a\"b"}},
]


@pytest.mark.parametrize("params", TABLES)
def test_table_is_the_macros_markup(env, params):
    fast = env.from_string("{{ govukTable(params) }}").render(params=params)
    assert _norm(fast) == _norm(_macro(env, params))


def test_table_in_a_template_escapes_like_the_macro(env):
    src = "{{ govukTable({'caption': c, 'firstCellIsHeader': true, 'rows': [[{'text': c}, {'text': missing.x}, {'html': h}]]}) }}"
    imp = '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}'
    args = {"c": "<i>&", "h": "<em>ok</em>"}
    assert _norm(env.from_string(src).render(**args)) == _norm(env.from_string(imp + src).render(**args))


def test_page_frame_is_the_macros_markup(env):
    frame = {
        "jdu_skip_link": "{{ govukSkipLink({'href': '#main-content', 'text': 'Skip to main content'}) }}",
        "jdu_phase_banner": "{{ govukPhaseBanner({'tag': {'text': 'Synthetic'}, 'text': 'Synthetic data only. Decision "
                            "support, not decisions: every flag shows its reasons and evidence.'}) }}",
        "jdu_footer": "{{ govukFooter({'contentLicence': {'text': 'Synthetic data only: no real person is described.'}, "
                      "'copyright': {'text': 'joinedup, MIT licence'}}) }}",
    }
    imports = "".join(f'{{% from "govuk_frontend_jinja/components/{c}/macro.html" import {m} %}}' for c, m in
                      (("skip-link", "govukSkipLink"), ("phase-banner", "govukPhaseBanner"), ("footer", "govukFooter"),
                       ("service-navigation", "govukServiceNavigation")))
    for name, src in frame.items():
        assert str(env.globals[name]) == env.from_string(imports + src).render()
    nav = [{"text": "Search", "href": "/search", "active": True}, {"text": "Groups", "href": "/groups", "active": False}]
    want = env.from_string(imports + "{{ govukServiceNavigation({'serviceName': 'joinedup', 'serviceUrl': '/', "
                                     "'navigation': nav, 'navigationLabel': 'Menu'}) }}").render(nav=nav)
    for _ in range(2):  # made, then from the cache
        assert str(env.from_string("{{ jdu_service_navigation(nav) }}").render(nav=nav)) == want
    other = [dict(n, active=not n["active"]) for n in nav]
    assert str(env.globals["jdu_service_navigation"](other)) != want


@pytest.mark.parametrize("value", ["SMITH", "", None, "O'Brien <b>&amp;", "jduValue"])
@pytest.mark.parametrize("error", [None, "Enter a real date"])
def test_input_is_the_macros_markup(env, value, error):
    params = {"label": {"text": "Last name"}, "id": "surname", "name": "surname", "value": value, "spellcheck": False,
              "autocomplete": "off", "errorMessage": {"text": error} if error else None}
    want = env.from_string('{% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}'
                           "{{ govukInput(params) }}").render(params=params)
    for _ in range(2):  # made, then from the cache
        assert env.from_string("{{ jdu_input(params) }}").render(params=params) == want
