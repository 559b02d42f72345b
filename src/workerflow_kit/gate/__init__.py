"""The release gate: stages emit results onto one event stream; reporters turn it into a verdict and reports.

::

    from workerflow_kit.gate import Bus, GateRun, run_gate
    from workerflow_kit.gate.stages import CompatStage, PreflightStage, SuiteStage
    from workerflow_kit.gate.reporters import JsonReporter, MarkdownReporter

    bus = Bus()
    bus.subscribe(JsonReporter(Path("out")))
    finished = run_gate([SuiteStage(["--suite", "routes"], "inprocess"), CompatStage(None, "inprocess")], bus,
                        GateRun(target="inprocess"))

* :mod:`.events`: the typed events and the :class:`Bus`;
* :mod:`.stages`: the suites (through ``workerflow-kit check``), preflight, the contract diff;
* :mod:`.baseline`: accepted findings, expiry, stale entries, ``--baseline-update``;
* :mod:`.runner`: runs the stages, applies the baseline, decides verdict and exit code;
* :mod:`.reporters`: progress, console, ``junit.xml``, ``report.json``, ``summary.md``;
* :mod:`.reproduce`: reproduction commands, curl lines, token redaction.

``workerflow-kit gate`` (:mod:`workerflow_kit.cli.gate_cmd`) wires them.
"""

from __future__ import annotations

from workerflow_kit.gate.baseline import Baseline, load_baseline, write_baseline
from workerflow_kit.gate.events import (
    BaselineChecked,
    BaselineEntry,
    Bus,
    CheckResult,
    Counts,
    Event,
    GateFinished,
    GateStarted,
    Reporter,
    StageFinished,
    StageStarted,
    StageTotal,
)
from workerflow_kit.gate.runner import GateRun, run_gate

__all__ = [
    "Baseline",
    "BaselineChecked",
    "BaselineEntry",
    "Bus",
    "CheckResult",
    "Counts",
    "Event",
    "GateFinished",
    "GateRun",
    "GateStarted",
    "Reporter",
    "StageFinished",
    "StageStarted",
    "StageTotal",
    "load_baseline",
    "run_gate",
    "write_baseline",
]
