"""The v0.1 data contracts (spec section 2) as pydantic models, plus loaders for manifest lists.

Field names keep upstream's camelCase so a model dumps to exactly the JSON WorkerFlow exchanges.

* :class:`RouteDefinition` / :class:`ScheduleDefinition` check an item the way upstream's runtime validator
  does (spec 3.2): the typed fields must have the right JS type, empty strings are fine and extra keys are
  kept. :meth:`RouteDefinition.as_json` returns the item as given, key order included, because ops endpoints
  echo the raw definition.
* :class:`QueueTask` dumps with the key order of spec 2.3 and leaves absent optional fields out.
* :func:`is_sync_passthrough` is the spec 2.4 test, with JS typing rules.
* :class:`WorkflowErrorBody` and :class:`ConfigErrorBody` are the workflow worker's two error bodies.
* :func:`parse_js_json` is ``JSON.parse`` with every failure reported as a syntax error.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    JsonValue,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_serializer,
    model_validator,
)

from workerflow_kit.contracts.documents import read_text
from workerflow_kit.errors import ContractError, FileProblem
from workerflow_kit.jscompat.json import JsSyntaxError, js_json_parse
from workerflow_kit.resources import contracts_dir

__all__ = [
    "ConfigErrorBody",
    "Manifest",
    "ManifestMode",
    "QueueTask",
    "RequestType",
    "RouteDefinition",
    "ScheduleDefinition",
    "TaskKind",
    "WorkflowErrorBody",
    "builtin_routes",
    "builtin_schedules",
    "definitions_as_json",
    "is_route_item",
    "is_schedule_item",
    "is_sync_passthrough",
    "load_manifest_files",
    "parse_js_json",
]

RequestType = Literal["sync", "async"]
TaskKind = Literal["http_route", "scheduled_job"]
ManifestMode = Literal["legacy", "config"]

# ----------------------------------------------------------------------------------------------------
# JSON as JS reads it
# ----------------------------------------------------------------------------------------------------


def parse_js_json(text: str) -> Any:
    """``JSON.parse(text)`` (see :func:`workerflow_kit.jscompat.json.js_json_parse`), raising only
    :class:`~workerflow_kit.jscompat.json.JsSyntaxError`.

    Two inputs V8 accepts exceed what Python's decoder can take: integer literals longer than Python's
    digit limit and nesting deeper than the recursion limit. They are reported as syntax errors here, so a
    caller sees one kind of failure; no manifest or request body in practice comes near either limit.
    """
    try:
        return js_json_parse(text)
    except JsSyntaxError:
        raise
    except ValueError as exc:  # an integer literal beyond Python's int/str digit limit
        raise JsSyntaxError(f"Number too long for this parser ({exc})") from None
    except RecursionError:
        raise JsSyntaxError("JSON nested too deeply for this parser") from None


# ----------------------------------------------------------------------------------------------------
# Manifest items
# ----------------------------------------------------------------------------------------------------


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def is_route_item(value: object) -> bool:
    """Upstream's runtime check for a route item: an object with string ``routePath`` and ``flowPath``,
    ``requestType`` of ``"sync"``/``"async"`` and boolean ``wrapBody``. Extra keys and empty strings pass."""
    return (
        isinstance(value, Mapping)
        and _is_str(value.get("routePath"))
        and isinstance(value.get("requestType"), str)
        and value.get("requestType") in ("sync", "async")
        and _is_str(value.get("flowPath"))
        and isinstance(value.get("wrapBody"), bool)
    )


def is_schedule_item(value: object) -> bool:
    """Upstream's runtime check for a schedule item: an object with string ``id``, ``cron``, ``target`` and
    ``timeZone`` and boolean ``enabled``. Extra keys and empty strings pass; cron syntax is not checked."""
    return (
        isinstance(value, Mapping)
        and all(_is_str(value.get(key)) for key in ("id", "cron", "target", "timeZone"))
        and isinstance(value.get("enabled"), bool)
    )


class _Definition(BaseModel):
    """A manifest item: typed fields checked strictly, extra keys kept, the item as given remembered."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_raw(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        instance = handler(data)
        if isinstance(data, Mapping):
            instance._raw = copy.deepcopy(dict(data))
        elif isinstance(data, _Definition):
            instance._raw = data.as_json()
        return instance

    @property
    def extras(self) -> dict[str, Any]:
        """Keys beyond the contract's fields, kept as given, as a fresh deep copy (resolved manifests are
        cached and shared, so nothing handed out may alias their values)."""
        return copy.deepcopy(dict(self.__pydantic_extra__ or {}))

    def as_json(self) -> dict[str, Any]:
        """The item exactly as given (key order and extra keys included), as a fresh deep copy."""
        return copy.deepcopy(self._raw) if self._raw else self.model_dump()


class RouteDefinition(_Definition):
    """One HTTP route (spec 2.1)."""

    routePath: str
    requestType: RequestType
    flowPath: str
    wrapBody: bool


class ScheduleDefinition(_Definition):
    """One cron schedule (spec 2.2)."""

    id: str
    cron: str
    enabled: bool
    target: str
    timeZone: str


class Manifest(BaseModel):
    """A resolved runtime manifest: the mode and the route and schedule lists, in manifest order."""

    model_config = ConfigDict(frozen=True)

    mode: ManifestMode
    routes: tuple[RouteDefinition, ...]
    schedules: tuple[ScheduleDefinition, ...]


# ----------------------------------------------------------------------------------------------------
# Queue task and response bodies
# ----------------------------------------------------------------------------------------------------


class QueueTask(BaseModel):
    """A queue message body / ``/run-*`` request body (spec 2.3).

    Dumps in the order ``kind, traceId, routePath, scheduleId, payload, enqueuedAt``, then any extra keys.
    ``routePath`` and ``scheduleId`` are left out when ``None``; ``payload`` is left out only when it was
    never given (an explicit ``None`` is JSON ``null`` and is kept, as a ``null`` request body would be).
    """

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    kind: TaskKind
    traceId: str
    routePath: str | None = None
    scheduleId: str | None = None
    payload: JsonValue = None
    enqueuedAt: str

    @model_serializer(mode="plain")
    def _ordered(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "traceId": self.traceId}
        if self.routePath is not None:
            out["routePath"] = self.routePath
        if self.scheduleId is not None:
            out["scheduleId"] = self.scheduleId
        if "payload" in self.model_fields_set:
            out["payload"] = copy.deepcopy(self.payload)
        out["enqueuedAt"] = self.enqueuedAt
        for key, value in (self.__pydantic_extra__ or {}).items():
            out.setdefault(key, copy.deepcopy(value))
        return out


def _is_js_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False  # a JS boolean is not a number
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def is_sync_passthrough(value: object) -> bool:
    """Spec 2.4: whether a sync handler result is a raw HTTP response rather than data to wrap.

    All must hold: an object (mapping); ``responseType`` exactly ``"http_passthrough"``; ``status`` a number
    with an integral value (``200.0`` counts, booleans do not); ``body`` a string; ``headers`` absent or a
    non-null object, where a list passes, as a JS array does.
    """
    if not isinstance(value, Mapping):
        return False
    response_type = value.get("responseType")
    if not isinstance(response_type, str) or response_type != "http_passthrough":
        return False
    if not _is_js_integer(value.get("status")):
        return False
    if not isinstance(value.get("body"), str):
        return False
    if "headers" in value:
        headers = value["headers"]
        if not isinstance(headers, Mapping | list | tuple):
            return False
    return True


class WorkflowErrorBody(BaseModel):
    """The workflow worker's error contract (spec 2.5): ``{"error", "message", "details"}``, in that order.

    ``details`` is always present; it is ``null`` unless a typed error supplied details (never in v0.1).
    """

    model_config = ConfigDict(frozen=True)

    error: str = "handler_error"
    message: str
    details: JsonValue = None

    @model_serializer(mode="plain")
    def _ordered(self) -> dict[str, Any]:
        return {"error": self.error, "message": self.message, "details": copy.deepcopy(self.details)}


class ConfigErrorBody(BaseModel):
    """The ``/run-*`` configuration failure body (spec 6.4):
    ``{"error": "missing required configuration", "traceId", "details": [...]}``.

    ``traceId`` is echoed from the task without checks; when the task had none it is left out (JS drops
    ``undefined`` keys), so leave the field unset rather than passing ``None`` (``None`` dumps as ``null``).
    """

    model_config = ConfigDict(frozen=True)

    error: Literal["missing required configuration"] = "missing required configuration"
    traceId: JsonValue = None
    details: list[str]

    @model_serializer(mode="plain")
    def _ordered(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error}
        if "traceId" in self.model_fields_set:
            out["traceId"] = copy.deepcopy(self.traceId)
        out["details"] = list(self.details)
        return out


# ----------------------------------------------------------------------------------------------------
# Loading lists
# ----------------------------------------------------------------------------------------------------


def _load_list(path: Path, check: Any, model: type[_Definition], label: str) -> tuple[Any, ...]:
    text = read_text(path)
    if not text.strip():
        raise FileProblem(f"empty document, expected a JSON array of {label}", path=path)
    try:
        parsed = parse_js_json(text)
    except JsSyntaxError as exc:
        raise FileProblem(f"invalid JSON: {exc}", path=path) from None
    if not isinstance(parsed, list):
        raise ContractError(f"must be a JSON array of {label}", path=path)
    for index, item in enumerate(parsed):
        if not check(item):
            raise ContractError(f"invalid {label[:-1]} item at index {index}", path=path, pointer=f"/{index}")
    return tuple(model.model_validate(item) for item in parsed)


@cache
def builtin_routes() -> tuple[RouteDefinition, ...]:
    """The v0.1 built-in routes (spec 2.7), read once from the bundled ``contracts/routes.v1.json``."""
    routes: tuple[RouteDefinition, ...] = _load_list(
        contracts_dir() / "routes.v1.json", is_route_item, RouteDefinition, "routes"
    )
    return routes


@cache
def builtin_schedules() -> tuple[ScheduleDefinition, ...]:
    """The v0.1 built-in schedules (spec 2.7), read once from the bundled ``contracts/schedules.v1.json``."""
    schedules: tuple[ScheduleDefinition, ...] = _load_list(
        contracts_dir() / "schedules.v1.json", is_schedule_item, ScheduleDefinition, "schedules"
    )
    return schedules


def load_manifest_files(routes_path: Path | str | None, schedules_path: Path | str | None) -> Manifest:
    """Read a project's config-mode lists (what it would put in ``ROUTES_CONFIG_JSON`` /
    ``SCHEDULES_CONFIG_JSON``) with upstream's item rules, as a ``config``-mode :class:`Manifest`.

    A ``None`` path means "variable unset": that list falls back to the built-ins, as at runtime. A file
    that is empty, not JSON (by ``JSON.parse`` rules), not an array or holds an invalid item raises
    :class:`~workerflow_kit.errors.FileProblem` or :class:`~workerflow_kit.errors.ContractError` naming the
    file and, for items, the JSON pointer of the first bad one.
    """
    routes = (
        builtin_routes()
        if routes_path is None
        else _load_list(Path(routes_path), is_route_item, RouteDefinition, "routes")
    )
    schedules = (
        builtin_schedules()
        if schedules_path is None
        else _load_list(Path(schedules_path), is_schedule_item, ScheduleDefinition, "schedules")
    )
    return Manifest(mode="config", routes=routes, schedules=schedules)


def definitions_as_json(items: Sequence[_Definition]) -> list[dict[str, Any]]:
    """The given route or schedule definitions as JSON objects, each exactly as it was given."""
    return [item.as_json() for item in items]
