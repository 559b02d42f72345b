"""``workerflow-kit preflight``: is a WorkerFlow checkout ready to deploy?

:func:`run_preflight` runs every check (see :data:`CHECKS` for the ids) and returns a :class:`PreflightReport`
of :class:`PreflightResult` lines, each ``ok``, ``warn`` or ``fail`` with the file and JSON pointer at fault.
Why each finding has its level is written in the check modules (``manifest_checks``, ``deploy_checks``,
``file_checks``).
"""

from __future__ import annotations

from workerflow_kit.preflight.report import STATUSES, PreflightReport, PreflightResult, Status
from workerflow_kit.preflight.runner import CHECKS, run_preflight

__all__ = ["CHECKS", "STATUSES", "PreflightReport", "PreflightResult", "Status", "run_preflight"]
