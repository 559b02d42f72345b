"""Api worker helpers in isolation: URL parsing, ``decodeURIComponent``, token selection, trace ids."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.runtime.http import Headers, Request
from workerflow_kit.runtime.workers.api_auth import read_ingress_token, read_trace_id
from workerflow_kit.runtime.workers.api_sync import passthrough_response
from workerflow_kit.runtime.workers.api_url import UriError, decode_uri_component, legacy_route, parse_url, segments


@pytest.mark.parametrize(
    ("url", "pathname", "search", "host"),
    [
        ("http://api.test/api/x/../webhook_echo", "/api/webhook_echo", "", "api.test"),
        ("http://api.test/api/./a/%2E%2e/b/.", "/api/b/", "", "api.test"),
        ("http://api.test/api/a/..", "/api/", "", "api.test"),
        ("http://api.test/..", "/", "", "api.test"),
        ("http://api.test//api//x/", "//api//x/", "", "api.test"),
        ("http://api.test/api\\r\\x\\y", "/api/r/x/y", "", "api.test"),
        ("http://API.Test:80/p?q", "/p", "?q", "api.test"),
        ("https://h:443/p?", "/p", "", "h"),
        ("http://h:8787/p", "/p", "", "h:8787"),
        ('http://h/a b<c>"{`}', "/a%20b%3Cc%3E%22%7B%60%7D", "", "h"),
        ("http://h/caf\u00c3\u00a9?x='\u00e9 y", "/caf%C3%A9", "?x=%27%E9%20y", "h"),
        ("http://h/%zz%41", "/%zz%41", "", "h"),
    ],
)
def test_parse_url_follows_whatwg(url: str, pathname: str, search: str, host: str) -> None:
    parsed = parse_url(url)
    assert (parsed.pathname, parsed.search, parsed.host) == (pathname, search, host)
    assert parsed.href == f"{url.split(':', 1)[0].lower()}://{host}{pathname}{search}"


def test_segments_drop_empties_without_decoding() -> None:
    assert segments("//api//webhook%5Fecho/") == ["api", "webhook%5Fecho"]
    assert segments("/") == []


@given(st.text())
def test_decode_uri_component_inverts_percent_encoding(text: str) -> None:
    try:
        encoded = quote(text, safe="", encoding="utf-8", errors="strict")
    except UnicodeEncodeError:  # lone surrogates cannot be encoded (encodeURIComponent throws too)
        return
    assert decode_uri_component(encoded) == text


@pytest.mark.parametrize("text", ["%", "%4", "%G0", "a%zz", "%C3", "%C3%28", "%80", "%F8%88%80%80%80", "%E0%80%AF"])
def test_decode_uri_component_rejects_malformed(text: str) -> None:
    with pytest.raises(UriError, match="URI malformed"):
        decode_uri_component(text)


def test_decode_uri_component_decodes_reserved_characters() -> None:
    assert decode_uri_component("a%2Fb%3F%23%25") == "a/b?#%"
    assert legacy_route(["api", "r", "%ZZ", "a%2F", "b"]) == "a//b"
    assert legacy_route(["api", "r", "x"]) == ""
    assert legacy_route(["api", "x", "y", "z"]) == ""


@pytest.mark.parametrize(
    ("pairs", "token"),
    [
        ([], ""),
        ([("x-webhook-token", " w "), ("x-api-key", "k")], "k"),
        ([("x-webhook-token", " w ")], "w"),
        ([("x-api-token", ""), ("x-api-key", "k"), ("authorization", "Bearer b")], "b"),
        ([("authorization", "bearer\u2003b c ")], "b c"),  # U+2003 is JS whitespace
        ([("authorization", "Bearer\u0085b")], "Bearer\u0085b"),  # NEL is not (whole header, trimmed)
        ([("authorization", "Basic abc")], "Basic abc"),
        ([("x-api-token", "a"), ("x-api-token", "b")], "a, b"),
    ],
)
def test_read_ingress_token(pairs: list[tuple[str, str]], token: str) -> None:
    assert read_ingress_token(Headers(pairs)) == token


def test_read_trace_id() -> None:
    assert read_trace_id(Headers({"x-trace-id": "\ufeff t \u2028"})) == "t"
    generated = read_trace_id(Headers({"x-trace-id": "\u3000"}))
    assert len(generated) == 36
    assert generated.count("-") == 4


def test_passthrough_header_values_convert_like_js() -> None:
    response = passthrough_response(
        {"status": 200, "body": "\ud800x", "headers": [["x-n", 1.5], ["x-null", None], ["x-list", [1, None, "a"]]]}
    )
    assert response.headers.get("x-n") == "1.5"
    assert response.headers.get("x-null") == "null"
    assert response.headers.get("x-list") == "1,,a"
    assert response.body == "\ufffdx".encode()
    assert passthrough_response({"status": 200, "body": "", "headers": {"Content-Length": "99"}}).headers.items() == [
        ("content-type", "text/plain;charset=UTF-8")
    ]


def test_request_url_reaches_the_worker_raw() -> None:
    # The ASGI adapter keeps the path as sent; the worker normalizes it, not the transport.
    request = Request("POST", "http://api.test/api/x/../webhook_echo")
    assert request.pathname == "/api/x/../webhook_echo"
    assert parse_url(request.url).pathname == "/api/webhook_echo"
    assert json.dumps(segments(parse_url(request.url).pathname)) == '["api", "webhook_echo"]'
