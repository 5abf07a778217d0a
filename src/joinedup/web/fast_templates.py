"""GOV.UK Frontend markup made without the Jinja macros where a page's CPU went on them.

A person page with its sections rendered ~10 tables through govuk_frontend_jinja's govukTable macro: about half of the
page's server CPU (cProfile at 1M records, benchmarks/results/web.md), most of it the macro's per-cell attribute
handling. `govuk_table` writes the same elements, classes and text in Python; the page frame's components that never
change (skip link, phase banner, footer) are rendered once, and the service navigation once per menu.
tests/web/test_fast_templates.py compares each with the macro's own output.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup, escape


def _get(d: Any, key: str) -> Any:
    """A key of a mapping as Jinja reads it (missing or undefined: None)."""
    if not isinstance(d, dict):
        return None
    v = d.get(key)
    return None if isinstance(v, jinja2.Undefined) else v


def _content(cell: dict) -> Markup:
    # {{ cell.html | safe if cell.html else cell.text }}: an undefined text renders as nothing, None as "None"
    html = _get(cell, "html")
    if html:
        return Markup(html)
    if "text" not in cell or isinstance(cell["text"], jinja2.Undefined):
        return Markup("")
    return escape(cell["text"])


def _attributes(attrs: Any) -> str:
    if not attrs:
        return ""
    if isinstance(attrs, str):
        return attrs
    out = ""
    for name, value in attrs.items():
        if isinstance(value, dict) or isinstance(value, bool):
            raise ValueError("govuk_table: only plain attribute values")  # the macro's options are not needed here
        out += f' {escape(name)}="{escape(value)}"'
    return out


def _span(cell: dict) -> str:
    out = ""
    for k in ("colspan", "rowspan"):
        if _get(cell, k):
            out += f' {k}="{escape(cell[k])}"'
    return out + _attributes(_get(cell, "attributes"))


def govuk_table(params: dict) -> Markup:
    """The govukTable macro's table (caption, head, rows; firstCellIsHeader, classes, format, spans, attributes)."""
    p = params
    parts = [f'<table class="govuk-table{" " + escape(p["classes"]) if _get(p, "classes") else ""}"'
             f'{_attributes(_get(p, "attributes"))}>\n']
    if _get(p, "caption"):
        cc = _get(p, "captionClasses")
        parts.append(f'  <caption class="govuk-table__caption{" " + escape(cc) if cc else ""}">{escape(p["caption"])}</caption>\n')
    if _get(p, "head"):
        parts.append('  <thead class="govuk-table__head">\n    <tr class="govuk-table__row">\n')
        for item in p["head"]:
            fmt, cls = _get(item, "format"), _get(item, "classes")
            parts.append(f'      <th scope="col" class="govuk-table__header'
                         f'{" govuk-table__header--" + escape(fmt) if fmt else ""}{" " + escape(cls) if cls else ""}"'
                         f'{_span(item)}>{_content(item)}</th>\n')
        parts.append("    </tr>\n  </thead>\n")
    parts.append('  <tbody class="govuk-table__body">\n')
    first_header = bool(_get(p, "firstCellIsHeader"))
    for row in _get(p, "rows") or []:
        if not row:
            continue
        parts.append('    <tr class="govuk-table__row">\n')
        for i, cell in enumerate(row):
            cls = _get(cell, "classes")
            if i == 0 and first_header:
                parts.append(f'      <th scope="row" class="govuk-table__header{" " + escape(cls) if cls else ""}"'
                             f'{_span(cell)}>{_content(cell)}</th>\n')
            else:
                fmt = _get(cell, "format")
                parts.append(f'      <td class="govuk-table__cell{" govuk-table__cell--" + escape(fmt) if fmt else ""}'
                             f'{" " + escape(cls) if cls else ""}"{_span(cell)}>{_content(cell)}</td>\n')
        parts.append("    </tr>\n")
    parts.append("  </tbody>\n</table>\n")
    return Markup("".join(parts))


_FRAME = {
    "jdu_skip_link": ('{% from "govuk_frontend_jinja/components/skip-link/macro.html" import govukSkipLink %}'
                      "{{ govukSkipLink({'href': '#main-content', 'text': 'Skip to main content'}) }}"),
    "jdu_phase_banner": ('{% from "govuk_frontend_jinja/components/phase-banner/macro.html" import govukPhaseBanner %}'
                         "{{ govukPhaseBanner({'tag': {'text': 'Synthetic'}, 'text': 'Synthetic data only. Decision "
                         "support, not decisions: every flag shows its reasons and evidence.'}) }}"),
    "jdu_footer": ('{% from "govuk_frontend_jinja/components/footer/macro.html" import govukFooter %}'
                   "{{ govukFooter({'contentLicence': {'text': 'Synthetic data only: no real person is described.'}, "
                   "'copyright': {'text': 'joinedup, MIT licence'}}) }}"),
}
_NAV = ('{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}'
        "{{ govukServiceNavigation({'serviceName': 'joinedup', 'serviceUrl': '/', 'navigation': nav, "
        "'navigationLabel': 'Menu'}) }}")


def install(env: jinja2.Environment) -> None:
    """Add govukTable (Python) and the page frame's pre-rendered components to an environment's globals."""
    env.globals["govukTable"] = govuk_table
    for name, src in _FRAME.items():
        env.globals[name] = Markup(env.from_string(src).render())
    nav_tpl = env.from_string(_NAV)
    cache: dict[tuple, Markup] = {}

    def service_navigation(nav: list[dict[str, Any]]) -> Markup:
        if isinstance(nav, jinja2.Undefined):
            return Markup(nav_tpl.render(nav=nav))
        key = tuple((n["text"], n["href"], bool(n["active"])) for n in nav)
        out = cache.get(key)
        if out is None:
            out = cache[key] = Markup(nav_tpl.render(nav=nav))
        return out

    env.globals["jdu_service_navigation"] = service_navigation

    # govukInput, rendered once per set of parameters with a stand-in for the value, which is then put in escaped
    # (the search form's four inputs were a third of a search page's template time)
    input_tpl = env.from_string('{% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}'
                                "{{ govukInput(params) }}")
    inputs: dict[str, str] = {}

    def govuk_input(params: dict[str, Any]) -> Markup:
        value = params.get("value")
        if isinstance(value, jinja2.Undefined):
            value = None
        if value is not None and not isinstance(value, str):
            return Markup(input_tpl.render(params=params))  # only text values take the short cut
        shown = dict(params, value=_VALUE if value else value)
        key = repr(sorted((k, repr(v)) for k, v in shown.items()))
        out = inputs.get(key)
        if out is None:
            out = input_tpl.render(params=shown)
            if out.count(_VALUE) != (1 if value else 0):
                return Markup(input_tpl.render(params=params))
            if len(inputs) < 512:
                inputs[key] = out
        return Markup(out.replace(_VALUE, str(escape(value))) if value else out)

    env.globals["jdu_input"] = govuk_input


_VALUE = "jduValueStandIn7f3a9c"
