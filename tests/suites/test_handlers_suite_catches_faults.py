"""Meta-tests: the handlers suite passes the reference and catches each deliberately broken handler rule.

Each run is a real ``pytest --pyargs workerflow_kit.suites.handlers`` (through ``pytester``, in this process)
against:

* the reference in process: every check and every bundled fixture passes, none is skipped;
* one reference runtime per broken rule (:mod:`tests.suites.broken.handlers`, injected with
  ``--wf-runtime-factory``): exactly the checks (and fixtures) mapped to it fail, the rest pass, and the output
  names the failing check ids with their levels;
* ``--wf-target=served`` (its control door gives ``set_env`` and ``stub_outbound`` over HTTP): every check and
  fixture passes, none skips; a broken runtime served with ``--wf-runtime-factory`` is caught the same way.

Every run is pinned (:func:`tests.suites.pinned.run_pinned`): the property checks draw the same examples in any
process, so the sets of failing checks are exact.
"""

from __future__ import annotations

import re

import pytest

from tests.suites.broken.handlers import BROKEN, NAMED_BY
from tests.suites.meta import importable_by_the_server
from tests.suites.pinned import run_pinned
from workerflow_kit.suites.fixtures import load_fixtures

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.suites.broken.handlers"
LABEL = re.compile(r"\[(?:(?P<fixture>.+)-)?(?P<id>handlers\.[a-z0-9.-]+) \| (?P<level>required|recommended)\]$")
CODED_CHECKS = 13
FIXTURES = {fixture.id for fixture in load_fixtures("handler")}
ALL_TESTS = CODED_CHECKS + len(FIXTURES)
RECOMMENDED = {"handlers.fixture-recommended"}
FIXTURE_CHECK = "handlers.fixture"
CHAT = "chat_notify"


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pinned(pytester, "--pyargs", "workerflow_kit.suites.handlers", "-p", "no:cacheprovider", *args)


def key_of(nodeid: str) -> str:
    """``<check id>`` or, for a fixture-driven check, ``<check id>::<fixture id>``."""
    match = LABEL.search(nodeid)
    assert match is not None, f"a suite test without [id | level] in its name: {nodeid}"
    return f"{match['id']}::{match['fixture']}" if match["fixture"] else match["id"]


def outcomes(result: pytest.RunResult) -> dict[str, set[str]]:
    passed, skipped, failed = result.reprec.listoutcomes()  # type: ignore[attr-defined]
    return {
        "passed": {key_of(report.nodeid) for report in passed},
        "skipped": {key_of(report.nodeid) for report in skipped},
        "failed": {key_of(report.nodeid) for report in failed},
    }


def test_the_bundled_fixtures_cover_the_upstream_handler_tests() -> None:
    for fixture_id in (
        "handler/webhook_echo/echoes-object",
        "handler/lead_normalizer/fixture-ava",
        "handler/chat_notify/fixture-delivers",
    ):
        assert fixture_id in FIXTURES


def test_reference_in_process_passes_every_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester)
    result.assert_outcomes(passed=ALL_TESTS)
    found = outcomes(result)
    assert {key.partition("::")[2] for key in found["passed"] if "::" in key} == FIXTURES
    assert len({key for key in found["passed"] if "::" not in key}) == CODED_CHECKS


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    must_fail = BROKEN[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    found = outcomes(result)
    assert found["failed"] == set(must_fail), f"{factory}: unexpected set of failing checks"
    assert found["skipped"] == set()
    assert len(found["passed"]) == ALL_TESTS - len(must_fail)
    for key in must_fail:
        check_id = key.partition("::")[0]
        level = "recommended" if check_id in RECOMMENDED else "required"
        result.stdout.fnmatch_lines([f"FAILED *{check_id} | {level}[]]*"], consecutive=False)
    named = NAMED_BY[factory]
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{named} | required[]] *"], consecutive=False)


SERVE_SECRETS = [
    arg
    for secret in ("GOOGLEAI_API_KEY=placeholder", "CLEANUP_SIGNING_SECRET=placeholder")
    for arg in ("--wf-serve-arg=--env", f"--wf-serve-arg={secret}")
]


def test_served_target_passes_every_check(pytester: pytest.Pytester) -> None:
    """With the control door (set_env, stub_outbound) nothing skips any more: the same tests as in process."""
    result = run_suite(pytester, "--wf-target=served", *SERVE_SECRETS)
    result.assert_outcomes(passed=ALL_TESTS)
    found = outcomes(result)
    assert {key.partition("::")[2] for key in found["passed"] if "::" in key} == FIXTURES
    assert len({key for key in found["passed"] if "::" not in key}) == CODED_CHECKS


def test_served_target_catches_a_broken_handler_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chat_notify's webhook precedence, observed through env set and outbound stubs in the server process."""
    importable_by_the_server(monkeypatch)
    factory = "chat_precedence_swapped"
    result = run_suite(
        pytester, "--wf-target=served", *SERVE_SECRETS, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}", "-k", CHAT
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    found = outcomes(result)
    chat_fixtures = {f"{FIXTURE_CHECK}::{fixture}" for fixture in FIXTURES if fixture.startswith(f"handler/{CHAT}/")}
    assert found == {
        "passed": chat_fixtures - BROKEN[factory] | {"handlers.chat-notify-requires-webhook"},
        "skipped": set(),
        "failed": set(BROKEN[factory]),
    }
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{NAMED_BY[factory]} | required[]] *"], consecutive=False)
