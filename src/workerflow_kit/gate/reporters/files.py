"""The shared shape of the report-file writers: keep a :class:`Record`, write one file when the run finishes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from workerflow_kit.errors import FileProblem
from workerflow_kit.gate.events import Event, GateFinished
from workerflow_kit.gate.record import Record

__all__ = ["FileReporter"]


class FileReporter(ABC):
    """Writes ``out/<file_name>`` from the record on :class:`GateFinished` (so an interrupted run is kept too)."""

    file_name: str

    def __init__(self, out: Path) -> None:
        self.path = out / self.file_name
        self.record = Record()

    def handle(self, event: Event) -> None:
        self.record.add(event)
        if isinstance(event, GateFinished):
            self.write()

    def write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.render(), encoding="utf-8")
        except OSError as exc:
            raise FileProblem(f"cannot write the report ({exc.strerror or exc})", path=self.path) from None

    @abstractmethod
    def render(self) -> str:
        """The file's whole text."""
