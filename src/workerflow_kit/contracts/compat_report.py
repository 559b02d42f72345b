"""Render a compatibility :class:`~workerflow_kit.contracts.compat.Report` as text, JSON or JUnit XML.

* **text**: findings grouped by level (most severe first), one aligned line each, then the counts and a
  ``verdict:`` line. Plain text, so it reads the same in a terminal, a CI log or a file.
* **JSON**: one object with a stable shape::

      {"old": label, "new": label, "failOn": "error",
       "findings": [{"rule", "level", "message", "pointer", "subject", "defaultLevel", "reason"}, ...],
       "ignored": [...same shape...],
       "counts": {"error": n, "warning": n, "info": n, "ignored": n},
       "verdict": "pass" | "fail"}

* **JUnit XML**: one ``<testsuite>`` with one ``<testcase>`` per rule (every rule, so a clean run shows
  what was checked). A rule with findings at or above the fail level gets one ``<failure>`` listing them;
  findings below it go to the test case's ``<system-out>``; a rule whose findings were all ignored is
  ``<skipped>`` with the override's reason.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from workerflow_kit.contracts.compat import LEVELS, RULES, Finding, Report

__all__ = ["FORMATS", "render", "render_json", "render_junit", "render_text", "report_as_json", "verdict_line"]

FORMATS = ("text", "json", "junit")
JUNIT_SUITE = "workerflow-kit diff"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 or word == 'info' else 's'}"


def verdict_line(report: Report) -> str:
    """The last line of the text report: PASS or FAIL, and why."""
    if report.fail_on == "never":
        return "verdict: PASS (--fail-on never)"
    failing = len(report.failing)
    if failing:
        return f"verdict: FAIL ({_plural(failing, 'finding')} at or above {report.fail_on})"
    return f"verdict: PASS (no finding at or above {report.fail_on})"


def _counts_line(report: Report) -> str:
    counts = report.counts
    parts = [_plural(counts[level], level) for level in LEVELS]
    return ", ".join([*parts, f"{counts['ignored']} ignored"])


def _finding_line(finding: Finding, rule_width: int, pointer_width: int) -> str:
    line = f"  {finding.rule:<{rule_width}}  {finding.pointer:<{pointer_width}}  {finding.message}"
    if finding.reason is not None and finding.level != finding.default_level:
        line += f"  [{finding.default_level} → {finding.level}: {finding.reason}]"
    return line


def render_text(report: Report) -> str:
    """Findings grouped by level, counts, and the verdict line; ends with a newline."""
    lines = [f"compare {report.old} → {report.new}"]
    shown = report.findings
    rule_width = max((len(f.rule) for f in shown), default=0)
    pointer_width = max((len(f.pointer) for f in shown), default=0)
    for level in LEVELS:
        group = report.by_level(level)
        if not group:
            continue
        lines.append("")
        lines.append(f"{level} ({len(group)})")
        lines.extend(_finding_line(f, rule_width, pointer_width) for f in group)
    if report.ignored:
        lines.append("")
        lines.append(f"ignored by overrides ({len(report.ignored)})")
        lines.extend(f"  {f.rule}  {f.subject or '-'}: {f.reason}" for f in report.ignored)
    if not shown and not report.ignored:
        lines.append("")
        lines.append("no changes")
    lines.append("")
    lines.append(_counts_line(report))
    lines.append(verdict_line(report))
    return "\n".join(lines) + "\n"


def report_as_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready object (the shape described in the module docstring)."""
    return {
        "old": report.old,
        "new": report.new,
        "failOn": report.fail_on,
        "findings": [f.as_json() for f in report.findings],
        "ignored": [f.as_json() for f in report.ignored],
        "counts": report.counts,
        "verdict": report.verdict,
    }


def render_json(report: Report) -> str:
    return json.dumps(report_as_json(report), indent=2, ensure_ascii=False) + "\n"


def _finding_text(finding: Finding) -> str:
    text = f"[{finding.level}] {finding.pointer}: {finding.message}"
    if finding.reason is not None:
        text += f" (override: {finding.reason})"
    return text


def render_junit(report: Report) -> str:
    """JUnit XML: a test case per rule, a failure for each rule with findings at or above the fail level."""
    suite = ET.Element("testsuite", name=JUNIT_SUITE)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("old", report.old), ("new", report.new), ("failOn", report.fail_on)):
        ET.SubElement(properties, "property", name=name, value=value)
    failures = skipped = 0
    for rule in RULES.values():
        case = ET.SubElement(suite, "testcase", classname=JUNIT_SUITE, name=rule.id)
        findings = [f for f in report.findings if f.rule == rule.id]
        failing = [f for f in findings if report.fails(f)]
        passing = [f for f in findings if not report.fails(f)]
        ignored = [f for f in report.ignored if f.rule == rule.id]
        if failing:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{rule.id}: {_plural(len(failing), 'finding')} at or above {report.fail_on}",
                type=min((f.level for f in failing), key=LEVELS.index),
            )
            failure.text = "\n".join(_finding_text(f) for f in failing)
        elif ignored and not findings:
            skipped += 1
            reasons = sorted({f.reason or "" for f in ignored})
            ET.SubElement(case, "skipped", message=f"ignored by overrides: {'; '.join(reasons)}")
        if passing:
            ET.SubElement(case, "system-out").text = "\n".join(_finding_text(f) for f in passing)
    suite.set("tests", str(len(RULES)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def render(report: Report, fmt: str) -> str:
    """Render in one of :data:`FORMATS`."""
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
