"""OpenAPI checks: Schemathesis fuzzes the api and ops-dashboard documents against the target.

One fuzz run per session (:func:`workerflow_kit.fuzz.fuzz`, cached on the target) sends generated requests
for every operation of ``openapi.json`` and ``contracts/ops-dashboard.openapi.json`` through the target's
clients, under the shipped ``schemathesis.toml``; each test below then reports one check of that run, so every
check keeps its own id, level, skip reason and failure message (with a curl reproduction, tokens redacted).
Without ``writes_allowed`` (a read-only URL target) only GET and HEAD operations are fuzzed.

How much: ``WORKERFLOW_FUZZ_MAX_EXAMPLES`` cases per operation and generation mode (default by profile:
quick 4, ci 12, thorough 100), ``WORKERFLOW_FUZZ_MAX_TIME`` seconds at most, ``WORKERFLOW_FUZZ_DOCUMENTS``
(``api``, ``ops`` or ``api,ops``). ``workerflow-kit fuzz`` sets them from its options. ``--hypothesis-seed``
seeds the generation; without it the run is derandomized.

===================================  ===========  ============================================================
check                                level        rule
===================================  ===========  ============================================================
``openapi.response-schema``          required     bodies match the documented schema (Schemathesis)
``openapi.status-code``              required     every status is documented for its operation (Schemathesis)
``openapi.content-type``             required     content types are documented (Schemathesis)
``openapi.response-headers``         required     documented headers are present and valid (Schemathesis)
``openapi.positive-data-accepted``   required     schema-valid requests are not rejected (Schemathesis)
``openapi.negative-data-rejected``   required     schema-invalid requests are rejected (Schemathesis)
``openapi.cors-origin-echoed``       required     api answers carry CORS, the request's Origin echoed
``openapi.trace-id-echoed``          required     ``traceId`` in an api answer is the request's ``x-trace-id``
``openapi.error-shape``              required     4xx/5xx bodies are ``{error: ...}``; 401/405 bodies fixed
``openapi.duplicate-is-202``         required     an accepted request sent again is 202 ``duplicate: true``
                                                  and, on a drainable virtual-clock target, enqueues nothing
``openapi.auth-401``                 required     with a token configured, no credential answers 401
``openapi.no-server-error``          recommended  no generated input gets a 5xx
===================================  ===========  ============================================================
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any, Final

import pytest

from workerflow_kit.errors import KitError
from workerflow_kit.fuzz import FUZZ_CHECKS, FuzzCheck, FuzzOptions, FuzzReport, fuzz
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.targets.base import Target, TargetError

MAX_EXAMPLES_VAR: Final = "WORKERFLOW_FUZZ_MAX_EXAMPLES"
MAX_TIME_VAR: Final = "WORKERFLOW_FUZZ_MAX_TIME"
DOCUMENTS_VAR: Final = "WORKERFLOW_FUZZ_DOCUMENTS"
_SHOWN_FAILURES: Final = 5
_REPORTS: weakref.WeakKeyDictionary[Target, FuzzReport] = weakref.WeakKeyDictionary()


def fuzz_options(seed: int | None = None) -> FuzzOptions:
    """The run's options from the ``WORKERFLOW_FUZZ_*`` variables and the loaded Hypothesis profile."""
    from hypothesis import settings

    try:
        raw_examples = os.environ.get(MAX_EXAMPLES_VAR)
        raw_time = os.environ.get(MAX_TIME_VAR)
        profile_examples = settings().max_examples  # the loaded profile's
        default = 4 if profile_examples <= 10 else 12 if profile_examples <= 500 else 100
        max_examples = int(raw_examples) if raw_examples else default
        max_time = float(raw_time) if raw_time else None
    except ValueError as exc:
        raise pytest.UsageError(f"{MAX_EXAMPLES_VAR}/{MAX_TIME_VAR}: not a number ({exc})") from None
    documents = tuple(d.strip() for d in os.environ.get(DOCUMENTS_VAR, "api,ops").split(",") if d.strip())
    try:
        return FuzzOptions(max_examples=max_examples, max_time=max_time, documents=documents, seed=seed)
    except KitError as exc:
        raise pytest.UsageError(f"fuzz options: {exc.render()}") from None


@pytest.fixture(scope="module")
def wf_fuzz_report(request: pytest.FixtureRequest, wf_session_target: Target) -> FuzzReport:
    """The session's one fuzz run against the target (run on first use)."""
    report = _REPORTS.get(wf_session_target)
    if report is None:
        seed = request.config.getoption("hypothesis_seed", default=None)
        options = fuzz_options(int(seed) if seed is not None else None)
        try:
            report = _REPORTS[wf_session_target] = fuzz(wf_session_target, options)
        except TargetError:
            raise  # the check command reports an unreachable target (exit 3)
        except KitError as exc:
            raise pytest.UsageError(exc.render()) from None
    return report


def _make(fuzz_check: FuzzCheck) -> Callable[..., None]:
    def test(wf_target: Target, wf_check: CheckContext, wf_fuzz_report: FuzzReport) -> None:
        tally = wf_fuzz_report.tallies[fuzz_check.id]
        if tally.skipped:
            pytest.skip(tally.skipped)
        failures = [f for f in wf_fuzz_report.failures if f.check_id == fuzz_check.id]
        if failures:
            shown = "\n".join(f.render() for f in failures[:_SHOWN_FAILURES])
            more = len(failures) - _SHOWN_FAILURES
            suffix = f"\n... and {more} more distinct failures" if more > 0 else ""
            wf_check.fail(f"{len(failures)} distinct failure(s) in {tally.checked} responses:\n{shown}{suffix}")
        if tally.checked == 0:
            pytest.skip(f"no fuzzed response was in scope of {fuzz_check.id} ({_why_none(fuzz_check, wf_target)})")

    name = "test_" + fuzz_check.id.removeprefix("openapi.").replace("-", "_")
    test.__name__ = test.__qualname__ = name
    test.__module__ = __name__
    test.__doc__ = fuzz_check.title
    decorated: Callable[..., None] = check(fuzz_check.id, fuzz_check.level, requires=fuzz_check.requires)(test)
    return decorated


def _why_none(fuzz_check: FuzzCheck, target: Target) -> str:
    if fuzz_check.id == "openapi.auth-401":
        return f"target '{target.name}' sends no token, so the workers run with open ingress"
    return "no generated request reached a response it judges"


_TESTS: dict[str, Any] = {}
for _fuzz_check in FUZZ_CHECKS:
    _test = _make(_fuzz_check)
    _TESTS[_test.__name__] = _test
globals().update(_TESTS)
