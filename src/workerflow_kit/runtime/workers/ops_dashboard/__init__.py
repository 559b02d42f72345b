"""The ops dashboard worker (``workers/ops-dashboard``, spec section 9): a read-mostly JSON API over the run
ledger (runs, dead letters, replay lineage), manual cron runs and dead-letter retries, plus its browser UI.

Modules, one job each: :mod:`.routing` (9.1 precedence, path parameters), :mod:`.auth` (9.2),
:mod:`.params` (9.3), :mod:`.computations` and :mod:`.next_run` (9.4), :mod:`.queries` (the SQL),
:mod:`.overview`, :mod:`.runs`, :mod:`.details`, :mod:`.timeline`, :mod:`.secrets_health` and :mod:`.retry`
(the endpoints of 9.5-9.6), :mod:`.worker` (``fetch``), :mod:`.ui` (page, script, icon) and
:mod:`.deviations` (where the reference answers differently from upstream).
"""

from __future__ import annotations

from workerflow_kit.runtime.workers.ops_dashboard.deviations import DEVIATIONS
from workerflow_kit.runtime.workers.ops_dashboard.worker import OpsDashboardWorker

__all__ = ["DEVIATIONS", "OpsDashboardWorker"]
