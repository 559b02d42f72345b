"""Cloudflare Secrets-Store bindings and the two ways WorkerFlow reads them.

A Secrets-Store binding is an object whose ``get()`` resolves to the secret's text. Upstream recognises one by
duck typing: any env value that is an object with a callable ``get`` property. Here the same test applies,
except that mappings (``dict`` and friends, which have a ``get`` method) count as plain data, as a JSON
object var would in JavaScript.

* :func:`resolve_env` is the workflow worker's per-request resolution (spec 6.1).
* :func:`resolve_optional_string` is the API worker's lenient read of an optional secret (spec 4.8 step 2).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from typing import Any

from workerflow_kit.jscompat.strings import js_trim

__all__ = [
    "SecretNotFoundError",
    "SecretsStoreSecret",
    "is_secrets_store_binding",
    "resolve_env",
    "resolve_optional_string",
]


class SecretNotFoundError(LookupError):
    """``get()`` on a binding whose secret does not exist in the store."""


class SecretsStoreSecret:
    """A Secrets-Store secret binding: ``await binding.get()`` returns the secret's value.

    ``SecretsStoreSecret("v")`` resolves to ``"v"`` (untrimmed). ``SecretsStoreSecret(error=exc)`` rejects
    with ``exc``; ``SecretsStoreSecret()`` (no value) rejects with :class:`SecretNotFoundError`, as a binding
    to a missing store secret does.
    """

    __slots__ = ("_error", "_value", "name")

    def __init__(self, value: str | None = None, *, error: Exception | None = None, name: str | None = None):
        self._value = value
        self._error = error
        self.name = name
        """The store's secret name, used in error messages only."""

    async def get(self) -> str:
        """Resolve to the secret's value, or raise the configured error (or :class:`SecretNotFoundError`)."""
        if self._error is not None:
            raise self._error
        if self._value is None:
            label = f" {self.name!r}" if self.name else ""
            raise SecretNotFoundError(f"Secret{label} not found in the Secrets Store")
        return self._value

    def __repr__(self) -> str:
        state = "error" if self._error is not None else ("missing" if self._value is None else "set")
        label = f"{self.name!r}, " if self.name else ""
        return f"SecretsStoreSecret({label}{state})"


def is_secrets_store_binding(value: object) -> bool:
    """Upstream's duck test: an object (not a plain string/number/mapping) with a callable ``get``."""
    if value is None or isinstance(value, str | bytes | int | float | Mapping | list | tuple):
        return False
    return callable(getattr(value, "get", None))


async def _call_get(binding: object) -> Any:
    result = binding.get()  # type: ignore[attr-defined]
    if inspect.isawaitable(result):
        return await result
    return result


async def resolve_env(env: Mapping[str, object]) -> dict[str, object]:
    """Return a copy of ``env`` where every Secrets-Store binding is replaced by its awaited ``get()`` value.

    Values are not trimmed. All ``get()`` calls run concurrently; if any rejects, its error propagates (the
    workflow worker then fails the request unhandled). Every other value is kept as is, in the same key order.
    """
    resolved = dict(env)
    keys = [key for key, value in env.items() if is_secrets_store_binding(value)]
    if not keys:
        return resolved
    values = await asyncio.gather(*(_call_get(env[key]) for key in keys))
    for key, value in zip(keys, values, strict=True):
        resolved[key] = value
    return resolved


async def resolve_optional_string(value: object) -> str:
    """Read an optional secret the way the API worker's legacy alert does (spec 4.8 step 2).

    A plain string is JS-trimmed. A Secrets-Store binding is awaited and its result JS-trimmed; a rejected
    ``get()`` or a non-string result counts as empty. Anything else (absent, a number, …) gives ``""``.
    """
    if isinstance(value, str):
        return js_trim(value)
    if not is_secrets_store_binding(value):
        return ""
    try:
        result = await _call_get(value)
    except Exception:
        return ""
    return js_trim(result) if isinstance(result, str) else ""
