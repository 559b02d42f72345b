"""What the broken runtimes do to a worker's response: read its JSON body, or answer another one."""

from __future__ import annotations

import json
from typing import Any

from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.runtime.http import Response


def json_body(response: Response) -> Any:
    """The response's body parsed as JSON, or ``None`` when it is not JSON."""
    try:
        return json.loads(response.body)
    except ValueError:
        return None


def with_body(response: Response, body: Any, status: int | None = None) -> Response:
    """A copy of ``response`` with another JSON body (and status), its headers kept."""
    content = js_json_stringify(body).encode("utf-8")
    return Response(response.status if status is None else status, response.headers.copy(), content)
