"""Consumers of the gate's event stream: a live progress display, the console verdict, and three report files.

* :class:`~.progress.ProgressReporter`: rich progress per stage and per check count (terminals only);
* :class:`~.console.ConsoleReporter`: plain lines at the end (the verdict, findings, where reports went);
* :class:`~.junit.JUnitReporter` (``junit.xml``), :class:`~.json_report.JsonReporter` (``report.json``,
  ``schemas/gate-report.schema.json``), :class:`~.markdown.MarkdownReporter` (``summary.md``): written when
  the run finishes, partial or not.
"""

from __future__ import annotations

from workerflow_kit.gate.reporters.console import ConsoleReporter
from workerflow_kit.gate.reporters.json_report import JsonReporter
from workerflow_kit.gate.reporters.junit import JUnitReporter
from workerflow_kit.gate.reporters.markdown import MarkdownReporter
from workerflow_kit.gate.reporters.progress import ProgressReporter

__all__ = ["ConsoleReporter", "JUnitReporter", "JsonReporter", "MarkdownReporter", "ProgressReporter"]
