"""The two OpenAPI documents the kit fuzzes, loaded once per process with the shipped Schemathesis config.

``api`` is the api worker's ``openapi.json`` and ``ops`` the dashboard's ``contracts/ops-dashboard.openapi.json``,
both from the bundled data. The config is the top-level ``schemathesis.toml`` (in a wheel:
``workerflow_kit/_data/schemathesis.toml``): it declares the runtime's real validation model, so Schemathesis's
positive/negative-data checks do not raise false alarms on a conforming runtime. Loaded schemas are cached, so
every run in a process reuses their compiled validators and strategies.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from workerflow_kit.errors import KitError
from workerflow_kit.resources import data_root, openapi_path, ops_openapi_path

if TYPE_CHECKING:
    from schemathesis.config import SchemathesisConfig
    from schemathesis.specs.openapi.schemas import OpenApiSchema

__all__ = ["CONFIG_NAME", "DOCUMENTS", "WORKER_OF", "config_path", "document_path", "load_config", "load_schema"]

DOCUMENTS: Final = ("api", "ops")
"""Document names: the api worker and the ops dashboard."""

WORKER_OF: Final = {"api": "api", "ops": "ops"}
"""Document -> the target client (worker) that serves it."""

CONFIG_NAME: Final = "schemathesis.toml"


def document_path(document: str) -> Path:
    """The bundled OpenAPI file of ``document``."""
    if document == "api":
        return openapi_path()
    if document == "ops":
        return ops_openapi_path()
    raise KitError(f"unknown OpenAPI document {document!r}; use one of: {', '.join(DOCUMENTS)}")


def config_path() -> Path:
    """The shipped ``schemathesis.toml``."""
    return data_root() / CONFIG_NAME


@cache
def load_config() -> SchemathesisConfig:
    """The shipped Schemathesis config (a clear :class:`KitError` when it is missing or invalid)."""
    from schemathesis.config import ConfigError, SchemathesisConfig

    path = config_path()
    if not path.is_file():
        raise KitError("the bundled Schemathesis config is missing; reinstall the package", path=path)
    try:
        return SchemathesisConfig.from_path(path)
    except (ConfigError, ValueError) as exc:
        raise KitError(f"invalid Schemathesis config: {exc}", path=path) from None


@cache
def load_schema(document: str) -> OpenApiSchema:
    """The Schemathesis schema of ``document`` under the shipped config (cached per process)."""
    import schemathesis

    path = document_path(document)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KitError(f"cannot read the OpenAPI document: {exc}", path=path) from None
    return schemathesis.openapi.from_dict(raw, config=load_config())
