"""The served runtime's control door: what a test needs beyond plain HTTP, over HTTP, behind a secret.

``workerflow-kit serve --control`` serves this app on its own loopback port (printed as ``control <url>``),
so a test in another process can do what the in-process target does directly::

    GET  /capabilities                                -> {"capabilities": ["drain_queue", ...]}
    POST /drain                                       -> {"batches": 3}
    POST /advance   {"seconds": 60}                   -> {"now": "2026-01-01T00:01:00.000Z"}   (virtual clock)
    POST /env       {"worker": "api", "name": "X", "value": "v" | null}   -> {"previous": ... | null}
    POST /query     {"sql": "SELECT ...", "params": [...]}                -> {"rows": [{...}]}   (read-only)
    POST /outbound/start  {"stubs": [{"method", "url", "status", "headers", "text"}]}
    GET  /outbound/calls                              -> {"calls": [...], "unmatched": [...]}
    POST /outbound/stop                               -> the same, and the stubs are gone

Every request must carry the secret in the ``x-workerflow-control-secret`` header (compared in constant
time); without it the answer is 401 and nothing happens. The secret comes from ``WORKERFLOW_CONTROL_SECRET``
in serve's environment (the served target generates one per run), so only the process that started the
server can drive it. Errors are JSON ``{"error": "..."}``: 400 for a bad request, 409 for something this
runtime cannot do (advance a real clock), 401 for a wrong secret.

Why each piece works as it does:

* ``/query`` runs on the runtime's own D1 connection through ``D1Database.read_query``, whose SQLite
  authorizer lets one statement read and nothing else (no write, ``ATTACH``, ``PRAGMA`` or ``VACUUM INTO``);
  a runtime factory's in-memory D1 is reachable that way, a separate file connection would not be.
* ``/env`` sets plain JSON values. A binding (D1, a queue, a service) cannot cross HTTP: when one is
  replaced or removed, the door keeps it and answers ``{"$wfkitBinding": "<key>"}`` as the previous value;
  sending that reference back as a value puts the very same binding back (so ``env_changed`` restores it).
* outbound stubs use respx inside the server process, as the in-process target does, so every runtime
  (a custom factory's included) is covered: service bindings stay in process, real outbound calls are
  answered by the stubs or fail as connection errors and are recorded as unmatched.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from workerflow_kit.runtime.bindings.clock import VirtualClock, iso_ms
from workerflow_kit.runtime.http import Headers, Request, Response, WorkerApp
from workerflow_kit.runtime.stack import Runtime, RuntimeUsageError

__all__ = ["BINDING_REF", "SECRET_ENV", "SECRET_HEADER", "ControlError", "OutboundStubs", "control_app"]

SECRET_ENV: Final = "WORKERFLOW_CONTROL_SECRET"
"""The environment variable ``serve --control`` reads its secret from."""
SECRET_HEADER: Final = "x-workerflow-control-secret"
"""The request header that must carry it."""

BINDING_REF: Final = "$wfkitBinding"
"""``{"$wfkitBinding": key}``: a binding taken out of an env, so that putting it back works over JSON."""

_JSON: Final = "application/json; charset=utf-8"
_PLAIN_VALUES = (str, int, float, bool, type(None))


class ControlError(Exception):
    """A request the control door refuses; ``status`` is the HTTP status it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(value: object, status: int = 200) -> Response:
    # default=str: D1 rows may hold bytes or other values JSON has no type for; a readable text is enough.
    body = json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    return Response(status, Headers({"content-type": _JSON}), body)


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        value = json.loads(request.body)
    except ValueError as exc:
        raise ControlError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


@dataclass
class OutboundStubs:
    """Outbound HTTP stubs for the server process (respx), and the calls they saw."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    _router: Any = None

    def start(self, stubs: list[Mapping[str, Any]]) -> None:
        import respx

        self.stop()
        answers = [_parse_stub(stub) for stub in stubs]
        self.calls, self.unmatched = [], []

        def answer(request: httpx.Request) -> httpx.Response:
            text = request.read().decode("utf-8", "replace")
            call = {"method": request.method.upper(), "url": str(request.url), "text": text}
            self.calls.append(call)
            for method, url, status, headers, body in answers:
                if (method is None or method == call["method"]) and url == request.url:
                    return httpx.Response(status, headers=headers, text=body)
            self.unmatched.append(call)
            raise httpx.ConnectError(f"outbound call not stubbed: {call['method']} {call['url']}", request=request)

        router = respx.mock(assert_all_mocked=True, assert_all_called=False)
        router.route().mock(side_effect=answer)
        router.start()
        self._router = router

    def stop(self) -> None:
        if self._router is not None:
            self._router.stop(quiet=True)
            self._router = None

    def report(self) -> dict[str, Any]:
        return {"active": self._router is not None, "calls": self.calls, "unmatched": self.unmatched}


def _parse_stub(stub: Mapping[str, Any]) -> tuple[str | None, httpx.URL, int, dict[str, str], str]:
    """A stub as the served target sends it (already checked and rendered by the target's stub rules)."""
    try:
        method = stub.get("method")
        status = int(stub.get("status", 200))
        headers = {str(k): str(v) for k, v in dict(stub.get("headers") or {}).items()}
        return (
            (str(method).upper() if method else None),
            httpx.URL(str(stub["url"])),
            status,
            headers,
            str(stub.get("text", "")),
        )
    except (KeyError, TypeError, ValueError, httpx.InvalidURL) as exc:
        raise ControlError(f"malformed outbound stub {dict(stub)!r}: {exc}") from None


class _Control:
    """The handlers behind :func:`control_app`, bound to one runtime."""

    def __init__(self, runtime: Runtime, secret: str) -> None:
        self.runtime = runtime
        self._secret = secret.encode("utf-8")
        self.outbound = OutboundStubs()
        self._bindings: dict[str, object] = {}
        self.routes: dict[tuple[str, str], Callable[[Request], Awaitable[Response]]] = {
            ("GET", "/capabilities"): self.capabilities,
            ("POST", "/drain"): self.drain,
            ("POST", "/advance"): self.advance,
            ("POST", "/env"): self.env,
            ("POST", "/query"): self.query,
            ("POST", "/outbound/start"): self.outbound_start,
            ("GET", "/outbound/calls"): self.outbound_calls,
            ("POST", "/outbound/stop"): self.outbound_stop,
        }

    async def fetch(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER) or ""
        if not hmac.compare_digest(given.encode("utf-8"), self._secret):
            return _json({"error": f"missing or wrong {SECRET_HEADER} header"}, 401)
        handler = self.routes.get((request.method.upper(), request.pathname))
        if handler is None:
            return _json({"error": f"no control endpoint {request.method} {request.pathname}"}, 404)
        try:
            return await handler(request)
        except ControlError as exc:
            return _json({"error": str(exc)}, exc.status)

    async def capabilities(self, request: Request) -> Response:
        caps = ["drain_queue", "inspect_db", "set_env", "stub_outbound"]
        if isinstance(self.runtime.clock, VirtualClock):
            caps.append("clock")
        return _json({"capabilities": sorted(caps), "now": iso_ms(self.runtime.clock.now())})

    async def drain(self, request: Request) -> Response:
        return _json({"batches": await self.runtime.drain()})

    async def advance(self, request: Request) -> Response:
        seconds = _body(request).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError(f"seconds must be a non-negative number, got {seconds!r}")
        try:
            await self.runtime.advance(float(seconds))
        except RuntimeUsageError as exc:
            raise ControlError(f"{exc} (start serve with --virtual-clock)", 409) from None
        return _json({"now": iso_ms(self.runtime.clock.now())})

    async def env(self, request: Request) -> Response:
        body = _body(request)
        worker, name, value = body.get("worker"), body.get("name"), body.get("value")
        if not isinstance(worker, str) or not isinstance(name, str) or not name:
            raise ControlError("env needs a worker and a name (strings)")
        value = self._unref(value)
        try:
            env = self.runtime.env_for(worker)
        except RuntimeUsageError as exc:
            raise ControlError(str(exc)) from None
        previous = env.get(name)
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
        return _json({"previous": self._ref(previous)})

    def _ref(self, value: object) -> object:
        """A plain value as is; a binding (D1, a queue, a service) kept here and named by a reference."""
        if isinstance(value, _PLAIN_VALUES):
            return value
        key = f"{type(value).__name__}#{id(value)}"
        self._bindings[key] = value
        return {BINDING_REF: key}

    def _unref(self, value: object) -> object:
        if isinstance(value, dict) and set(value) == {BINDING_REF}:
            try:
                return self._bindings[str(value[BINDING_REF])]
            except KeyError:
                raise ControlError(f"unknown binding reference {value[BINDING_REF]!r}") from None
        if not isinstance(value, _PLAIN_VALUES):
            raise ControlError(f"env values are strings, numbers, booleans or null, got {type(value).__name__}")
        return value

    async def query(self, request: Request) -> Response:
        body = _body(request)
        sql, params = body.get("sql"), body.get("params", [])
        if not isinstance(sql, str) or not isinstance(params, list):
            raise ControlError("query needs sql (a string) and params (a list)")
        try:
            rows = self.runtime.db.read_query(sql, *params)
        except Exception as exc:  # D1Error or a binding error: the caller's SQL, reported back
            raise ControlError(f"query failed: {exc}") from None
        return _json({"rows": rows})

    async def outbound_start(self, request: Request) -> Response:
        stubs = _body(request).get("stubs", [])
        if not isinstance(stubs, list) or not all(isinstance(stub, dict) for stub in stubs):
            raise ControlError("stubs must be a list of objects")
        self.outbound.start(stubs)
        return _json(self.outbound.report())

    async def outbound_calls(self, request: Request) -> Response:
        return _json(self.outbound.report())

    async def outbound_stop(self, request: Request) -> Response:
        report = self.outbound.report()
        self.outbound.stop()
        return _json(report)

    def close(self) -> None:
        self.outbound.stop()


def control_app(runtime: Runtime, secret: str) -> tuple[WorkerApp, Callable[[], None]]:
    """The control door for ``runtime`` as an ASGI app, and a function that undoes what it left on (stubs)."""
    if not secret:
        raise ValueError("the control door needs a non-empty secret")
    control = _Control(runtime, secret)
    return WorkerApp(control.fetch, "control"), control.close
