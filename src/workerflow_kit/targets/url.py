"""Any running deployment by its URLs: a Cloudflare deployment, ``wrangler dev``, or ``workerflow-kit serve``.

::

    target = UrlTarget.from_env()                          # WORKERFLOW_API_URL=... and friends
    target = UrlTarget(api_url="http://127.0.0.1:8787", scheduler_url="http://127.0.0.1:8790", allow_writes=True)

Configuration, each by keyword argument or environment variable (a keyword given as ``None`` falls back to
the variable; the pytest plugin maps its ``--wf-*`` flags to the keywords, so flags beat variables):

=====================  ==========================  ====================================================
keyword                variable                    meaning
=====================  ==========================  ====================================================
``api_url``            ``WORKERFLOW_API_URL``      api worker base URL (required)
``ops_url``            ``WORKERFLOW_OPS_URL``      ops dashboard base URL
``workflow_url``       ``WORKERFLOW_WORKFLOW_URL`` workflow worker base URL
``scheduler_url``      ``WORKERFLOW_SCHEDULER_URL`` scheduler with wrangler's ``/__scheduled`` door (``trigger_cron``)
``api_token``          ``WORKERFLOW_API_TOKEN``    sent to the api as ``authorization: Bearer``
``ops_token``          ``WORKERFLOW_OPS_TOKEN``    sent to the ops dashboard as ``authorization: Bearer``
``allow_writes``       ``WORKERFLOW_ALLOW_WRITES`` ``1``/``true``/``yes``: the ``writes_allowed`` capability
``routes``             ``WORKERFLOW_ROUTES``       route paths (comma-separated) the checks may invoke
=====================  ==========================  ====================================================

Live mode is safe by default (see :mod:`workerflow_kit.live`); every client goes through one
:class:`~workerflow_kit.live.LiveSession`:

* **read-only** unless writes are allowed: without ``allow_writes`` the suites skip every check that stores or
  enqueues something;
* **no route is invoked** unless allowed: a request that would run a route (``POST /api/chat_notify`` posts to
  a real chat room) is refused with :class:`~workerflow_kit.live.RouteNotAllowed` before it is sent, unless
  ``routes`` names it (patterns; ``"*"`` allows all). The pytest plugin turns the refusal into a skip;
* at most ``request_budget`` requests per run (default 500, retries included) at most ``rps`` per second
  (default 10; ``None``: unpaced), each timing out after ``timeout`` seconds, retried with backoff on
  connection errors and 429s (``policy`` gives every setting at once, ``session`` injects clocks for tests);
* tokens are registered with :data:`workerflow_kit.live.redact.REGISTRY`, so reports show ``***``; they
  never appear in ``repr`` or :meth:`~Target.describe`.

Capabilities: ``trigger_cron`` when a scheduler URL is set, ``writes_allowed`` when allowed; never ``clock``,
``drain_queue``, ``inspect_db`` or ``set_env``. ``run_id`` (eight hex digits by default) sets the run id, so a
caller that announced the trace prefix (``wfkit-<run id>-``) before building the target keeps it.

Header values go out without leading/trailing blanks (:func:`~workerflow_kit.targets.base.strip_header_padding`,
as the served target sends them), so a suite's padded ``x-trace-id`` arrives as any HTTP hop would pass it on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from workerflow_kit.live.defaults import DEFAULT_REQUEST_BUDGET, DEFAULT_RPS, DEFAULT_TIMEOUT
from workerflow_kit.targets.base import Capability, Target, TargetError, auth_headers, strip_header_padding

if TYPE_CHECKING:
    from workerflow_kit.live.policy import LivePolicy
    from workerflow_kit.live.transport import LiveSession

__all__ = ["ENV_VARS", "UrlTarget"]

ENV_VARS: Mapping[str, str] = {
    "api_url": "WORKERFLOW_API_URL",
    "ops_url": "WORKERFLOW_OPS_URL",
    "workflow_url": "WORKERFLOW_WORKFLOW_URL",
    "scheduler_url": "WORKERFLOW_SCHEDULER_URL",
    "api_token": "WORKERFLOW_API_TOKEN",
    "ops_token": "WORKERFLOW_OPS_TOKEN",
    "allow_writes": "WORKERFLOW_ALLOW_WRITES",
    "routes": "WORKERFLOW_ROUTES",
}
"""Keyword -> environment variable."""

_FLAGS = {
    "api": "--wf-api-url or WORKERFLOW_API_URL",
    "ops": "--wf-ops-url or WORKERFLOW_OPS_URL",
    "workflow": "--wf-workflow-url or WORKERFLOW_WORKFLOW_URL",
    "scheduler": "--wf-scheduler-url or WORKERFLOW_SCHEDULER_URL",
}
_RUN_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _check_url(url: str, keyword: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(f"{keyword} must be an http(s) URL such as http://127.0.0.1:8787, got {url!r}")
    return url.rstrip("/")


def _parse_bool(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TargetError(f"{name} must be one of 1/0, true/false, yes/no, on/off, got {text!r}")


class UrlTarget(Target):
    """Workers reached over the network by base URL (see the module notes for every setting)."""

    name = "url"

    def __init__(
        self,
        *,
        api_url: str | None = None,
        ops_url: str | None = None,
        workflow_url: str | None = None,
        scheduler_url: str | None = None,
        api_token: str | None = None,
        ops_token: str | None = None,
        allow_writes: bool | None = None,
        routes: Sequence[str] | None = None,
        rps: float | None = DEFAULT_RPS,
        request_budget: int | None = DEFAULT_REQUEST_BUDGET,
        timeout: float = DEFAULT_TIMEOUT,
        policy: LivePolicy | None = None,
        session: LiveSession | None = None,
        transport: httpx.BaseTransport | None = None,
        run_id: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        # Imported here: workerflow_kit.live builds on this package's TargetError, so a module-level import
        # would be circular.
        from workerflow_kit.live.allowlist import parse_route_list
        from workerflow_kit.live.policy import LivePolicy
        from workerflow_kit.live.redact import register
        from workerflow_kit.live.transport import LiveSession

        super().__init__()
        env = os.environ if environ is None else environ
        if run_id is not None:
            if not _RUN_ID.match(run_id):
                raise TargetError(f"run id must be 1-32 letters or digits, got {run_id!r}")
            self.run_id = run_id

        def pick(value: str | None, keyword: str) -> str | None:
            chosen = value if value is not None else env.get(ENV_VARS[keyword])
            return chosen if chosen is not None and chosen.strip() else None

        urls = {
            "api": pick(api_url, "api_url"),
            "ops": pick(ops_url, "ops_url"),
            "workflow": pick(workflow_url, "workflow_url"),
            "scheduler": pick(scheduler_url, "scheduler_url"),
        }
        if urls["api"] is None:
            raise TargetError(f"the url target needs the api URL: set {_FLAGS['api']}")
        tokens = {"api": pick(api_token, "api_token"), "ops": pick(ops_token, "ops_token")}
        register(*tokens.values())
        if allow_writes is None:
            allow_writes = _parse_bool(env.get(ENV_VARS["allow_writes"], ""), ENV_VARS["allow_writes"])
        self.allow_writes = allow_writes
        if session is None:
            if policy is None:
                allowed = routes if routes is not None else [env.get(ENV_VARS["routes"], "")]
                policy = LivePolicy(
                    routes=parse_route_list(allowed), rps=rps, request_budget=request_budget, timeout=timeout
                )
            session = LiveSession(policy)
        self.session = session
        self.policy = session.policy
        self.urls = {worker: _check_url(url, f"the {worker} URL") for worker, url in urls.items() if url is not None}
        for worker, url in self.urls.items():
            self._clients[worker] = httpx.Client(
                base_url=url,
                headers=auth_headers(tokens.get(worker)),
                timeout=self.policy.timeout,
                transport=session.transport(worker, transport, base_path=urlsplit(url).path),
                event_hooks={"request": [strip_header_padding]},
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> UrlTarget:
        """Build from ``WORKERFLOW_*`` variables (``environ``, default ``os.environ``); ``overrides`` win."""
        return cls(environ=environ, **overrides)  # type: ignore[arg-type]

    def _hint(self, worker: str) -> str:
        flag = _FLAGS.get(worker)
        return f" (set {flag})" if flag else ""

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps: set[Capability] = set()
        if "scheduler" in self._clients:
            caps.add(Capability.TRIGGER_CRON)
        if self.allow_writes:
            caps.add(Capability.WRITES_ALLOWED)
        return frozenset(caps)

    def describe(self) -> dict[str, object]:
        policy = self.policy
        return {
            **super().describe(),
            "run_id": self.run_id,
            "trace_prefix": self.trace_prefix,
            "routes": list(policy.routes),
            "rps": policy.rps,
            "request_budget": policy.request_budget,
            "timeout": policy.timeout,
        }
