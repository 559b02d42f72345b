"""HTTP route gating by ``ENABLED_HTTP_ROUTES`` / ``DISABLED_HTTP_ROUTES`` (spec 3.4).

Gating applies to HTTP routes only; schedules are never gated by these variables.
"""

from __future__ import annotations

from collections.abc import Mapping

from workerflow_kit.jscompat.strings import js_trim

__all__ = ["DISABLED_VAR", "ENABLED_VAR", "is_route_enabled", "parse_route_set"]

ENABLED_VAR = "ENABLED_HTTP_ROUTES"
DISABLED_VAR = "DISABLED_HTTP_ROUTES"


def parse_route_set(value: object) -> frozenset[str] | None:
    """Read a gating variable as a set of route paths, or ``None`` for "no set".

    A non-string value gives no set. A string is split on ``,``, each entry JS-trimmed, empty entries
    dropped; when nothing is left there is no set either (so ``" , "`` gates nothing).
    """
    if not isinstance(value, str):
        return None
    entries = frozenset(entry for entry in (js_trim(part) for part in value.split(",")) if entry)
    return entries or None


def is_route_enabled(route_path: str, env: Mapping[str, object]) -> bool:
    """Whether ``route_path`` passes gating: (no enabled set, or it is in it) and (no disabled set, or it is
    not in it). The disabled set wins; matching is exact and case-sensitive."""
    enabled = parse_route_set(env.get(ENABLED_VAR))
    if enabled is not None and route_path not in enabled:
        return False
    disabled = parse_route_set(env.get(DISABLED_VAR))
    return not (disabled is not None and route_path in disabled)
