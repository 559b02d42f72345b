"""workerflow-kit: contract tests, conformance suites and a reference runtime for WorkerFlow."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("workerflow-kit")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
