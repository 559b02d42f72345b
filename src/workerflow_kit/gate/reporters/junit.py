"""``junit.xml``: one ``<testsuite>`` per suite module, one for preflight and one for the contract diff.

Each result is a ``<testcase>`` (classname ``workerflow-kit.<suite>``, name the check id, or the diff rule
with its subject) carrying ``wf_check``/``wf_level``/``wf_target`` properties like ``check --junit-xml``.
A failed result is a ``<failure>`` whose type is its level (so a CI view can tell required from
recommended); an accepted one is ``<skipped>`` with the baseline's reason; an ``info`` diff finding is a
passing case with its text in ``<system-out>``. A stage that could not run is an ``<error>`` case (``<skipped>``
when it is not part of this installation).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from workerflow_kit.gate.events import CheckResult
from workerflow_kit.gate.reporters.files import FileReporter

__all__ = ["JUnitReporter"]


def _case(suite: ET.Element, result: CheckResult) -> str:
    """Add one test case; returns what it counts as: passed, failure, skipped."""
    name = result.name if result.stage != "suites" else result.check
    case = ET.SubElement(
        suite, "testcase", classname=f"workerflow-kit.{result.suite}", name=name, time=f"{result.duration:.3f}"
    )
    properties = ET.SubElement(case, "properties")
    for key, value in (("wf_check", result.check), ("wf_level", result.level), ("wf_target", result.target)):
        ET.SubElement(properties, "property", name=key, value=value)
    if result.stage == "suites":
        ET.SubElement(properties, "property", name="wf_nodeid", value=result.name)
    details = "\n".join(
        part
        for part in (
            result.evidence or result.message,
            f"reproduce: {result.reproduce}" if result.reproduce else "",
            f"curl: {result.curl}" if result.curl else "",
            result.note,
        )
        if part
    )
    if result.outcome == "failed" and result.level != "info":
        ET.SubElement(case, "failure", message=result.message or result.note, type=result.level).text = details
        return "failure"
    if result.outcome == "accepted":
        ET.SubElement(case, "skipped", message=result.note)
        ET.SubElement(case, "system-out").text = details
        return "skipped"
    if result.outcome == "skipped":
        ET.SubElement(case, "skipped", message=result.message)
        return "skipped"
    if result.outcome == "failed":  # info
        ET.SubElement(case, "system-out").text = details
    return "passed"


class JUnitReporter(FileReporter):
    file_name = "junit.xml"

    def render(self) -> str:
        record = self.record
        root = ET.Element("testsuites", name="workerflow-kit gate")
        if record.finished is not None and record.finished.partial:
            root.set("partial", "true")
        for suite_name, results in record.suites().items():
            suite = ET.SubElement(root, "testsuite", name=suite_name)
            counted = [_case(suite, result) for result in results]
            suite.set("tests", str(len(results)))
            suite.set("failures", str(counted.count("failure")))
            suite.set("errors", "0")
            suite.set("skipped", str(counted.count("skipped")))
            suite.set("time", f"{sum(r.duration for r in results):.3f}")
        for stage in record.stages.values():
            if stage.status == "ok":
                continue
            skipped = stage.status == "unavailable"  # not installed: nothing to gate, nothing wrong
            suite = ET.SubElement(
                root, "testsuite", name=stage.stage, tests="1", failures="0", errors=str(int(not skipped))
            )
            suite.set("skipped", str(int(skipped)))
            case = ET.SubElement(suite, "testcase", classname=f"workerflow-kit.{stage.stage}", name=stage.stage)
            ET.SubElement(case, "skipped" if skipped else "error", message=stage.message, type=stage.status)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
