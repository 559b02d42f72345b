"""Small constructors shared by the checks, so every result is built the same way."""

from __future__ import annotations

from pathlib import Path

from workerflow_kit.preflight.context import BUNDLED_TOPOLOGY_FILE, PreflightContext
from workerflow_kit.preflight.report import PreflightResult, Status

__all__ = ["at", "ok", "worker_pointer"]


def ok(check_id: str, message: str) -> PreflightResult:
    return PreflightResult(check_id, "ok", message)


def at(  # noqa: PLR0917 - one shape for every finding; positional keeps the many call sites short
    ctx: PreflightContext, check_id: str, status: Status, message: str, path: Path | None, pointer: str | None = None
) -> PreflightResult:
    """A finding placed in a file (shown relative to the project) and, when known, at a JSON pointer."""
    return PreflightResult(check_id, status, message, None if path is None else ctx.show(path), pointer or None)


def worker_pointer(ctx: PreflightContext, worker_dir: str, wrangler: str, facts: str) -> tuple[Path | None, str]:
    """Where a worker's setting lives: ``wrangler`` (a pointer into its wrangler file) in a checkout, or
    ``facts`` (a pointer into the worker's entry) in the bundled baseline's wrangler facts file."""
    if ctx.bundled:
        index = [w.dir for w in ctx.project.topology.workers].index(worker_dir)
        return ctx.project.root / BUNDLED_TOPOLOGY_FILE, f"/workers/{index}{facts}"
    return ctx.wrangler_file(worker_dir), wrangler
