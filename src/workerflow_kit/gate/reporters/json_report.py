"""``report.json``: the whole run as one document, shaped by ``schemas/gate-report.schema.json``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from workerflow_kit import __version__
from workerflow_kit.gate.events import BaselineEntry, CheckResult, Counts
from workerflow_kit.gate.reporters.files import FileReporter

__all__ = ["SCHEMA_URI", "JsonReporter"]

SCHEMA_URI = "https://workerflow-kit.dev/schemas/gate-report.schema.json"


def _entry(entry: BaselineEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {k: v for k, v in asdict(entry).items() if v is not None}


def _result(result: CheckResult) -> dict[str, Any]:
    return {
        "stage": result.stage,
        "suite": result.suite,
        "check": result.check,
        "name": result.name,
        "level": result.level,
        "outcome": result.outcome,
        "target": result.target,
        "message": result.message,
        "duration": round(result.duration, 6),
        "cases": result.cases,
        "evidence": result.evidence,
        "reproduce": result.reproduce,
        "curl": result.curl,
        "file": result.file,
        "pointer": result.pointer,
        "baseline": _entry(result.baseline),
        "note": result.note,
    }


def _counts(counts: Counts) -> dict[str, int]:
    return {
        "requiredFailed": counts.required_failed,
        "recommendedFailed": counts.recommended_failed,
        "info": counts.info,
        "accepted": counts.accepted,
        "passed": counts.passed,
        "skipped": counts.skipped,
    }


class JsonReporter(FileReporter):
    file_name = "report.json"

    def document(self) -> dict[str, Any]:
        record = self.record
        started, finished, baseline = record.started, record.finished, record.baseline
        counts = finished.counts if finished is not None else Counts.of(record.results)
        return {
            "$schema": SCHEMA_URI,
            "tool": "workerflow-kit gate",
            "version": __version__,
            "startedAt": started.started_at if started else None,
            "target": started.target if started else None,
            "profile": started.profile if started else None,
            "seed": started.seed if started else None,
            "project": started.project if started else None,
            "strict": started.strict if started else False,
            "partial": finished.partial if finished else True,
            "verdict": finished.verdict if finished else "interrupted",
            "exitCode": finished.exit_code if finished else 130,
            "reason": finished.reason if finished else "",
            "seconds": round(finished.seconds, 3) if finished else 0.0,
            "counts": _counts(counts),
            "stages": [
                {
                    "name": name,
                    "title": record.stage_titles.get(name, name),
                    "status": stage.status,
                    "message": stage.message,
                    "seconds": round(stage.seconds, 3),
                    "counts": _counts(Counts.of([r for r in record.results if r.stage == name])),
                }
                for name, stage in record.stages.items()
            ],
            "results": [_result(r) for r in record.results],
            "baseline": {
                "path": baseline.path if baseline else None,
                "entries": baseline.entries if baseline else 0,
                "stale": [_entry(e) for e in baseline.stale] if baseline else [],
            },
        }

    def render(self) -> str:
        return json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"
