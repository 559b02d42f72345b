"""Which Python function runs a route or a schedule: the handler registry.

Upstream dispatches through two object literals compiled into the workflow worker. The reference keeps the
same two tables in a :class:`HandlerRegistry`, so users can add handlers for their config-mode routes and
schedules without touching the kit::

    registry = builtin_registry()

    @registry.http("custom_ping")
    async def ping(payload, trace_id, ctx):
        return {"ok": True, "pong": payload}

    worker = WorkflowWorker(context, registry)

Installed packages contribute handlers through the entry-point group ``workerflow_kit.handlers``: each entry
point names a **callable that takes the registry** and registers on it (``pkg.handlers:register``), which
keeps loading explicit and repeatable (importing a module twice would not register twice)::

    [project.entry-points."workerflow_kit.handlers"]
    my_pkg = "my_pkg.workerflow:register"

Nothing loads entry points implicitly; call :func:`load_entry_point_handlers` where the runtime is wired.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Final, Literal, TypeVar

from workerflow_kit.runtime.handlers.context import Handler
from workerflow_kit.runtime.handlers.cron import BUILTIN_CRON_HANDLERS
from workerflow_kit.runtime.handlers.http import BUILTIN_HTTP_HANDLERS

__all__ = [
    "ENTRY_POINT_GROUP",
    "HandlerRegistrationError",
    "HandlerRegistry",
    "builtin_registry",
    "load_entry_point_handlers",
]

ENTRY_POINT_GROUP: Final = "workerflow_kit.handlers"

H = TypeVar("H", bound=Handler)
_Kind = Literal["http", "cron"]


class HandlerRegistrationError(ValueError):
    """A registration the registry refuses: a blank id, a non-callable, or an id taken (without ``replace``)."""


class HandlerRegistry:
    """HTTP route handlers by ``routePath`` and cron handlers by schedule id.

    Ids are matched exactly (case-sensitive). Registering an id twice is an error unless ``replace=True``,
    so two plugins cannot silently shadow each other.
    """

    def __init__(self) -> None:
        self._tables: dict[_Kind, dict[str, Handler]] = {"http": {}, "cron": {}}

    # -- registration ---------------------------------------------------------------------------------------

    def _add(self, kind: _Kind, key: str, handler: Handler, replace: bool) -> None:
        label = "route path" if kind == "http" else "schedule id"
        if not isinstance(key, str) or not key:
            raise HandlerRegistrationError(f"a {label} must be a non-empty string, got {key!r}")
        if not callable(handler):
            raise HandlerRegistrationError(f"the handler for {label} {key!r} must be callable, got {handler!r}")
        table = self._tables[kind]
        if key in table and not replace and table[key] is not handler:
            raise HandlerRegistrationError(
                f"{label} {key!r} already has a {kind} handler ({_describe(table[key])}); pass replace=True to override"
            )
        table[key] = handler

    def add_http(self, route_path: str, handler: Handler, *, replace: bool = False) -> None:
        """Register ``handler`` for HTTP route ``route_path``."""
        self._add("http", route_path, handler, replace)

    def add_cron(self, schedule_id: str, handler: Handler, *, replace: bool = False) -> None:
        """Register ``handler`` for schedule ``schedule_id``."""
        self._add("cron", schedule_id, handler, replace)

    def http(self, route_path: str, *, replace: bool = False) -> Callable[[H], H]:
        """Decorator form of :meth:`add_http`; returns the function unchanged."""

        def register(handler: H) -> H:
            self.add_http(route_path, handler, replace=replace)
            return handler

        return register

    def cron(self, schedule_id: str, *, replace: bool = False) -> Callable[[H], H]:
        """Decorator form of :meth:`add_cron`; returns the function unchanged."""

        def register(handler: H) -> H:
            self.add_cron(schedule_id, handler, replace=replace)
            return handler

        return register

    # -- lookups --------------------------------------------------------------------------------------------

    def http_handler(self, route_path: str) -> Handler | None:
        """The handler for ``route_path``, or ``None``."""
        return self._tables["http"].get(route_path)

    def cron_handler(self, schedule_id: str) -> Handler | None:
        """The handler for ``schedule_id``, or ``None``."""
        return self._tables["cron"].get(schedule_id)

    @property
    def http_routes(self) -> tuple[str, ...]:
        """Route paths with a handler, in registration order."""
        return tuple(self._tables["http"])

    @property
    def cron_schedules(self) -> tuple[str, ...]:
        """Schedule ids with a handler, in registration order."""
        return tuple(self._tables["cron"])

    def copy(self) -> HandlerRegistry:
        """An independent registry with the same entries."""
        clone = HandlerRegistry()
        for kind, table in self._tables.items():
            clone._tables[kind] = dict(table)
        return clone

    def __repr__(self) -> str:
        return f"HandlerRegistry(http={list(self.http_routes)!r}, cron={list(self.cron_schedules)!r})"


def _describe(handler: Handler) -> str:
    module = getattr(handler, "__module__", None)
    name = getattr(handler, "__qualname__", None) or repr(handler)
    return f"{module}.{name}" if module else name


def builtin_registry() -> HandlerRegistry:
    """A fresh registry holding the five v0.1 handlers (three routes, two schedules)."""
    registry = HandlerRegistry()
    for route_path, handler in BUILTIN_HTTP_HANDLERS.items():
        registry.add_http(route_path, handler)
    for schedule_id, handler in BUILTIN_CRON_HANDLERS.items():
        registry.add_cron(schedule_id, handler)
    return registry


def load_entry_point_handlers(registry: HandlerRegistry, group: str = ENTRY_POINT_GROUP) -> list[str]:
    """Let every installed entry point of ``group`` register its handlers on ``registry``.

    Each entry point must load to a callable taking the registry. Entry points run in name order, so the
    outcome does not depend on installation order. Returns the names of the entry points applied. A failing
    entry point raises (with a note naming it): a half-registered plugin is worse than a clear error.
    """
    applied: list[str] = []
    for entry_point in sorted(entry_points(group=group), key=lambda ep: (ep.name, ep.value)):
        try:
            register = entry_point.load()
            if not callable(register):
                raise HandlerRegistrationError(
                    f"entry point {entry_point.name!r} ({entry_point.value}) must name a callable that takes "
                    f"the handler registry, got {type(register).__name__}"
                )
            register(registry)
        except Exception as exc:
            exc.add_note(f"while loading {group} entry point {entry_point.name!r} = {entry_point.value!r}")
            raise
        applied.append(entry_point.name)
    return applied
