"""The dashboard's static assets without a browser: self-contained, escaped, and shipped as package data."""

from __future__ import annotations

import re

from workerflow_kit.runtime.workers.ops_dashboard import ui


def test_page_is_self_contained_and_carries_the_smoke_strings() -> None:
    page = ui.index_html("dev").decode("utf-8")
    assert "<title>WorkerFlow Cloudflare Ops</title>" in page
    assert "WorkerFlow Cloudflare Ops Deck" in page
    assert "Summary" in page
    # Nothing from another origin, no inline script or inline event handlers, the stylesheet inlined.
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="app.js" defer>']
    assert not re.search(r"\son[a-z]+=", page)
    assert "@APP_CSS@" not in page
    assert "--accent" in page


def test_environment_name_is_escaped_with_the_five_character_rule() -> None:
    page = ui.index_html("""<a href="x">'&'</a>""").decode("utf-8")
    assert "&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;" in page
    assert '<a href="x">' not in page
    assert ui.escape_html("plain") == "plain"


def test_missing_environment_name_leaves_the_slot_for_the_script() -> None:
    page = ui.index_html().decode("utf-8")
    assert '<strong id="env-name"></strong>' in page
    assert "{{ENV_NAME}}" not in page


def test_script_and_icon() -> None:
    script = ui.app_js().decode("utf-8")
    assert 'headers.set("authorization", `Bearer ${token}`)' in script
    assert "sessionStorage" in script
    assert "innerHTML" in script
    assert script.count("innerHTML") == 1  # only in setHtml, which renders SafeHtml built by the escaping tag
    icon = ui.favicon_svg().decode("utf-8")
    assert icon.startswith("<svg")
    assert icon.rstrip().endswith("</svg>")
    assert ui.FAVICON_CONTENT_TYPE == "image/svg+xml; charset=utf-8"
    assert ui.FAVICON_CACHE_CONTROL == "public, max-age=86400"
    assert ui.APP_JS_CONTENT_TYPE == "application/javascript; charset=utf-8"
    assert ui.HTML_CONTENT_TYPE == "text/html; charset=utf-8"
