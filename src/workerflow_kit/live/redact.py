"""Keep tokens out of everything the kit prints or writes: logs, reports, failure messages.

A :class:`Redactor` holds secret values and replaces each occurrence (also its URL-encoded spelling) with
``***``. :data:`REGISTRY` is the process-wide one: targets register their tokens with it, the live transport
registers the value of every credential header it sends, and the pytest plugin passes failure reports, JUnit
properties and captured output through :func:`redact`.

Values shorter than :data:`MIN_SECRET_LENGTH` are ignored: masking every ``a`` of a report would hide far
more than a one-letter token could leak.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import quote

__all__ = ["MASK", "MIN_SECRET_LENGTH", "REGISTRY", "SECRET_HEADERS", "Redactor", "redact", "register"]

MASK: Final = "***"
MIN_SECRET_LENGTH: Final = 4
SECRET_HEADERS: Final = frozenset(
    {"authorization", "x-api-key", "x-api-token", "x-webhook-token", "x-dashboard-token", "cookie"}
)
"""Headers whose values are credentials (compared lowercase): the api and ops workers' token headers."""

_SCHEME = re.compile(r"^\s*(?:bearer|basic|token)\s+", re.IGNORECASE)


class Redactor:
    """A set of secret values and :meth:`redact`, which masks them in any text. Safe to share across threads."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.add(*secrets)

    def add(self, *values: str | None) -> None:
        """Remember these values (``None``, blank and very short ones are skipped)."""
        fresh = set()
        for value in values:
            if value is None:
                continue
            for form in (value, value.strip(), quote(value.strip(), safe="")):
                if len(form.strip()) >= MIN_SECRET_LENGTH:
                    fresh.add(form)
        with self._lock:
            if not fresh <= self._secrets:
                self._secrets |= fresh
                # Longest first, so a token that contains another is masked whole.
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_headers(self, headers: Mapping[str, str]) -> None:
        """Remember the credential values among ``headers`` (see :data:`SECRET_HEADERS`); a ``Bearer``/``Basic``
        scheme is not secret and stays readable (``Bearer ***``)."""
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS:
                self.add(_SCHEME.sub("", value))

    def redact(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        pattern = self._pattern
        return text if pattern is None or not text else pattern.sub(MASK, text)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value in self._secrets

    def __repr__(self) -> str:
        return f"<Redactor holding {len(self._secrets)} secret(s)>"  # never the values


REGISTRY: Final = Redactor()
"""The process-wide redactor: what targets register their tokens with and what every report passes through."""


def register(*values: str | None) -> None:
    """Add secret values to :data:`REGISTRY`."""
    REGISTRY.add(*values)


def redact(text: str) -> str:
    """``text`` with every secret of :data:`REGISTRY` masked."""
    return REGISTRY.redact(text)
