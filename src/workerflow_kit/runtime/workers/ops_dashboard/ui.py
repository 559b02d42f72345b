"""The ops dashboard's browser UI: one page, one script, one icon, shipped as package data under ``static/``.

The worker's routing serves these bytes (spec section 9.1): :func:`index_html` at ``/``, :func:`app_js` at
``/app.js`` and ``/api/app.js``, :func:`favicon_svg` at ``/favicon.svg`` and ``/favicon.ico``. The content types
and cache headers the routing should use are exported next to them.

Differences from upstream's page, on purpose (spec section 13, Q3):

* The page sends the dashboard token. A token field keeps it in ``sessionStorage`` for the tab and every API
  call carries ``Authorization: Bearer <token>``; a 401 shows a prompt for the token instead of broken panels.
* The script is a real file rather than text cut out of the HTML at request time, so ``/app.js`` cannot be
  "unavailable"; the page loads it with ``<script src="app.js">`` (no inline script, no inline handlers).
* The stylesheet is inlined into the page, so the page needs nothing but ``/app.js`` and the favicon.
* API paths are relative (``api/summary``), so the page also works when a proxy mounts the worker under a prefix.

Everything the script renders from API data is HTML-escaped by construction (a tagged template escapes every
interpolated value). The environment name is escaped here with the spec's five-character rule.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = [
    "APP_JS_CONTENT_TYPE",
    "FAVICON_CACHE_CONTROL",
    "FAVICON_CONTENT_TYPE",
    "HTML_CONTENT_TYPE",
    "NO_STORE",
    "app_js",
    "escape_html",
    "favicon_svg",
    "index_html",
]

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
APP_JS_CONTENT_TYPE = "application/javascript; charset=utf-8"
FAVICON_CONTENT_TYPE = "image/svg+xml; charset=utf-8"
FAVICON_CACHE_CONTROL = "public, max-age=86400"
NO_STORE = "no-store"

_CSS_SLOT = "/*@APP_CSS@*/"
_ENV_SLOT = "{{ENV_NAME}}"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"}


def escape_html(value: str) -> str:
    """Escape ``& < > " '`` the way the dashboard page does (``'`` becomes ``&#039;``)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


@cache
def _static_text(name: str) -> str:
    package = __name__.rpartition(".")[0]
    return (files(package) / "static" / name).read_text(encoding="utf-8")


@cache
def _page_template() -> str:
    page = _static_text("index.html")
    if _CSS_SLOT not in page or _ENV_SLOT not in page:
        raise RuntimeError("static/index.html lost its stylesheet or environment placeholder")
    return page.replace(_CSS_SLOT, _static_text("app.css"))


@cache
def index_html(env_name: str | None = None) -> bytes:
    """The dashboard page (UTF-8).

    ``env_name`` is the worker's ``ENV_NAME``, shown in the header (escaped). Left out, the header slot stays
    empty and the script fills it from ``/api/meta`` once the page is authorized.
    """
    return _page_template().replace(_ENV_SLOT, escape_html(env_name or "")).encode("utf-8")


@cache
def app_js() -> bytes:
    """The dashboard's script (UTF-8), served at ``/app.js`` and ``/api/app.js`` without auth."""
    return _static_text("app.js").encode("utf-8")


@cache
def favicon_svg() -> bytes:
    """The dashboard's icon (SVG, UTF-8), served at ``/favicon.svg`` and ``/favicon.ico``."""
    return _static_text("favicon.svg").encode("utf-8")
