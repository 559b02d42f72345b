"""A runtime factory that is interrupted (as by Ctrl-C) while the suites run: ``--runtime-factory <this>:interrupt``."""

from __future__ import annotations

from workerflow_kit.runtime.stack import Runtime


async def interrupt() -> Runtime:
    raise KeyboardInterrupt
