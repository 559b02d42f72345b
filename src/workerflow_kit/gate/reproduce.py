"""How a report tells a person to replay one finding: a ``workerflow-kit check`` line, and a curl line for HTTP.

Tokens never appear: the command lines refer to ``$WORKERFLOW_API_TOKEN``/``$WORKERFLOW_OPS_TOKEN`` (which
``check`` reads), and :class:`Redactor` masks the token values anywhere in messages and evidence.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = ["REDACTED", "Redactor", "ReplayContext", "check_command", "curl_line", "node_keyword"]

REDACTED: Final = "[redacted]"
# What a check failure shows of an HTTP exchange (suites/checks.py): "POST /api/x?y=1 -> 500 'body'".
_EXCHANGE: Final = re.compile(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/\S*) -> \d{3}\b")
# Schemathesis (and the openapi suite's "reproduce: curl ...") write reproductions as curl lines; take the first.
_CURL: Final = re.compile(r"(?<![\w-])(curl\s+\S.*)$", re.MULTILINE)
_AUTH_HEADER: Final = re.compile(r"(?i)((?:authorization|x-[\w-]*token)\s*:\s*(?:bearer\s+)?)([^'\"\s]+)")
# The loopback ports of `workerflow-kit serve`, where an in-process finding replays over HTTP; the in-process
# target's made-up hosts (targets/inprocess.py) are rewritten to them.
SERVE_API_URL: Final = "http://127.0.0.1:8787"
_SERVE_URLS: Final = {
    "http://api.internal": SERVE_API_URL,
    "http://workflow.internal": "http://127.0.0.1:8788",
    "http://ops.internal": "http://127.0.0.1:8789",
}


@dataclass(frozen=True)
class Redactor:
    """Masks the secret values it was given, and any bearer/token header value, in text."""

    secrets: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)


@dataclass(frozen=True)
class ReplayContext:
    """What a replay command needs to know about the run: target flags and tokens (names only)."""

    target: str = "inprocess"
    urls: Mapping[str, str] = field(default_factory=dict)
    """Worker name (api, ops, workflow, scheduler) -> base URL, for url targets."""
    tokens: tuple[str, ...] = ()
    """Which workers were sent a token (api, ops); the commands use the environment variables."""
    project: str | None = None
    runtime_factory: str | None = None
    allow_writes: bool = False


_KEYWORD_WORD = re.compile(r"^[\w/.:+-]+$")


def node_keyword(nodeid: str) -> str:
    """What ``-k`` selects for one test: ``suites/routes.py::test_x[routes.x | required]`` -> ``test_x``; a test
    parametrized beyond its check label also names its parameter, ``test_route_fixture and route/health``."""
    path, _, test = nodeid.rpartition("::")
    name, _, params = test.partition("[")
    # Every parameter id ends with the check label "<suite>.<name> | <level>" (the suite module's name with
    # dashes); what stands before it picks the case.
    suite = Path(path).stem.replace("_", "-")
    label = re.compile(rf"-?{re.escape(suite)}\.[a-z0-9.-]+ \| (?:required|recommended)$")
    case = label.sub("", params.removesuffix("]"))
    return f"{name} and {case}" if case and _KEYWORD_WORD.match(case) else name


def check_command(suite: str, nodeid: str, profile: str, seed: int | None, context: ReplayContext) -> str:
    """``workerflow-kit check --suite S -k TEST --profile P --seed N`` plus the run's target flags."""
    words = ["workerflow-kit", "check", "--suite", suite, "-k", node_keyword(nodeid)]
    if profile:
        words += ["--profile", profile]
    if seed is not None:
        words += ["--seed", str(seed)]
    if context.target != "inprocess":
        words += ["--target", context.target]
    for worker, url in context.urls.items():
        words += [f"--{worker}-url", url]
    if context.allow_writes:
        words.append("--allow-writes")
    if context.project:
        words += ["--project", context.project]
    if context.runtime_factory:
        words += ["--runtime-factory", context.runtime_factory]
    line = shlex.join(words)
    for worker in context.tokens:
        line += f' --{worker}-token "$WORKERFLOW_{worker.upper()}_TOKEN"'
    return line


def curl_line(texts: Iterable[str], context: ReplayContext, redact: Redactor) -> str:
    """A curl line for an HTTP finding, when its message or evidence shows the request; else ``""``."""
    joined = "\n".join(texts)
    found = _CURL.search(joined)
    if found:
        line = found.group(1).strip()
        if context.target == "inprocess":
            for host, url in _SERVE_URLS.items():
                line = line.replace(host, url)
        return redact(line)
    exchange = _EXCHANGE.search(joined)
    if exchange is None or not exchange.group(2).startswith("/api/"):
        return ""  # only the api worker's paths say which worker answered
    method, path = exchange.groups()
    base = context.urls.get("api", SERVE_API_URL).rstrip("/")
    words = ["curl", "-i", "-X", method, base + path]
    line = shlex.join(words)
    if "api" in context.tokens:
        line += ' -H "authorization: Bearer $WORKERFLOW_API_TOKEN"'
    return line
