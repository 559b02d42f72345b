"""Cases onto the wire: bodies Schemathesis shapes for ``requests`` are sent by httpx as the same bytes would be.

The api document declares ``*/*`` bodies with an empty schema (``IgnoredBody``), so Schemathesis may pick its
multipart serializer for any generated value; a form field drawn as an int then arrives as a part whose content is
an int, which ``requests`` writes as text and httpx refuses. The thorough profile drew such a case and the whole
openapi suite errored at setup.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from workerflow_kit.fuzz.documents import load_schema
from workerflow_kit.fuzz.wire import build_request


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(base_url="http://api.test") as client:
        yield client


def _ignored_body_case(body: Any, media_type: str = "multipart/form-data") -> Any:
    operation = load_schema("api")["/api/r/{prefix}"]["POST"]
    return operation.Case(path_parameters={"prefix": "p"}, body=body, media_type=media_type)


def _parts(request: httpx.Request) -> list[tuple[str | None, str]]:
    """(field name, text) of every part of a multipart request, parsed as a mail client would."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    assert message.is_multipart()
    return [
        (part.get_param("name", header="content-disposition"), part.get_payload(decode=True).decode())
        for part in message.iter_parts()
    ]


def test_a_multipart_form_with_number_fields_is_sent_with_the_numbers_as_text(client: httpx.Client) -> None:
    case = _ignored_body_case({"n": [-6.5e16, -2017, 0], "s": "x", "flag": True})

    request = build_request(client, case)

    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert _parts(request) == [("n", "-6.5e+16"), ("n", "-2017"), ("n", "0"), ("s", "x"), ("flag", "true")]


def test_a_single_int_field_is_one_text_part(client: httpx.Client) -> None:
    request = build_request(client, _ignored_body_case({"count": 7}))

    assert _parts(request) == [("count", "7")]


@pytest.mark.parametrize("body", [{}, 12, [1, "a"], "plain"])
def test_non_form_multipart_bodies_still_build(client: httpx.Client, body: Any) -> None:
    request = build_request(client, _ignored_body_case(body))

    assert request.headers["content-type"].startswith("multipart/form-data")
    assert request.content.endswith(b"--\r\n")


def test_a_json_body_is_unchanged(client: httpx.Client) -> None:
    request = build_request(client, _ignored_body_case({"n": 1}, media_type="application/json"))

    assert request.content == b'{"n": 1}'
