"""``GET /api/secrets-health`` (spec 9.5.16): the workflow's ``/health/config`` through ``WORKFLOW_SERVICE``.

Always HTTP 200. The answer mirrors what upstream reads from the workflow's body, JS property access
included: a missing ``ok``/``env``/``worker`` is left out, ``errors`` defaults to ``[]`` when absent or null,
and a ``null`` body fails like JavaScript's property read on null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from workerflow_kit.contracts.models import parse_js_json
from workerflow_kit.jscompat.json import JsSyntaxError
from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall

__all__ = ["HEALTH_CONFIG_PATH", "NO_BINDING_REASON", "secrets_health"]

HEALTH_CONFIG_PATH = "/health/config"
NO_BINDING_REASON = "workflow service binding is not configured on ops-dashboard"


class _Service(Protocol):
    async def fetch(self, method: str, url_or_path: str) -> httpx.Response: ...


def _unavailable(reason: str) -> Response:
    return json_response({"available": False, "reason": reason})


def _property(payload: object, name: str) -> object:
    if isinstance(payload, Mapping):
        return payload.get(name, UNDEFINED)
    return UNDEFINED


async def secrets_health(call: ApiCall) -> Response:
    """Ask the workflow worker which configuration errors it sees."""
    service = call.env.get("WORKFLOW_SERVICE")
    if not service:
        return _unavailable(NO_BINDING_REASON)
    try:
        response = await _call(service)
        if not response.is_success:
            return _unavailable(f"workflow {HEALTH_CONFIG_PATH} failed: {response.status_code} {response.text}")
        payload: Any = parse_js_json(response.text)
    except JsSyntaxError as exc:
        return _unavailable(exc.message)
    except Exception as exc:  # the platform's fetch rejects: upstream reports the message
        return _unavailable(str(exc) or type(exc).__name__)
    if payload is None:
        return _unavailable("Cannot read properties of null (reading 'ok')")
    errors = _property(payload, "errors")
    return json_response(
        {
            "available": True,
            "ok": _property(payload, "ok"),
            "env": _property(payload, "env"),
            "worker": _property(payload, "worker"),
            "errors": [] if errors is None or errors is UNDEFINED else errors,
        }
    )


async def _call(service: object) -> httpx.Response:
    fetch = getattr(service, "fetch", None)
    if fetch is None:
        raise TypeError("env.WORKFLOW_SERVICE.fetch is not a function")
    typed: _Service = service  # type: ignore[assignment]
    return await typed.fetch("GET", f"http://workflow.internal{HEALTH_CONFIG_PATH}")
