"""The pytest plugin in live mode: refused routes skip with a reason, tokens never reach a report."""

from __future__ import annotations

import pytest

from workerflow_kit.cli.check_cmd import CheckRecorder

pytest_plugins = ["pytester"]

TOKEN = "plugin-live-token-7f3a"

DEPLOYMENT = """
import pytest
import respx


@pytest.fixture(autouse=True)
def deployment():
    with respx.mock(assert_all_called=False) as mock:
        mock.route().respond(200, json={"ok": True})
        yield
"""
"""A test module's head: every request the live target sends is answered 200 by respx."""

TESTS = (
    DEPLOYMENT
    + """

@pytest.mark.wf_check("demo.chat", "required")
def test_invokes_a_route_not_allowed(wf_target):
    wf_target.api.post("/api/chat_notify", json={"text": "hello production"})


@pytest.mark.wf_check("demo.echo", "required")
def test_invokes_an_allowed_route(wf_target):
    assert wf_target.api.post("/api/webhook_echo", json={}).status_code == 200


@pytest.mark.wf_check("demo.leak", "required")
def test_fails_with_the_token_in_its_message(wf_target):
    header = wf_target.api.headers["authorization"]
    print("captured output", header)
    assert False, f"the worker saw {header}"
"""
)


def test_refusals_skip_and_tokens_are_masked_everywhere(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    recorder = CheckRecorder()
    result = pytester.runpytest_inprocess(
        "--wf-target=url",
        "--wf-api-url=http://127.0.0.1:9",
        f"--wf-api-token={TOKEN}",
        "--wf-routes=webhook_echo",
        "--wf-rps=1000",
        "--junit-xml=report.xml",
        "-rA",
        plugins=[recorder],
    )
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    events = {event.id: event for event in recorder.events}
    assert events["demo.chat"].outcome == "skipped"
    assert events["demo.chat"].message == (
        "POST /api/chat_notify invokes 'chat_notify', which this live target does not allow; allow it with "
        '--routes chat_notify (pytest: --wf-routes chat_notify) or routes = ["chat_notify"] in workerflow-kit.toml'
    )
    assert events["demo.leak"].message == "AssertionError: the worker saw Bearer ***\nassert False"
    output = result.stdout.str()
    assert "live run wfkit-" in output  # the report header names the trace prefix
    assert "Bearer ***" in output
    junit = (pytester.path / "report.xml").read_text(encoding="utf-8")
    assert "Bearer ***" in junit
    for text in (output, junit, *(event.message for event in recorder.events)):
        assert TOKEN not in text


BUDGET_TESTS = (
    DEPLOYMENT
    + """

@pytest.mark.wf_check("demo.first", "required")
def test_spends_the_budget(wf_target):
    for _ in range(3):
        assert wf_target.api.get("/api/health").status_code == 200


@pytest.mark.wf_check("demo.second", "required")
def test_finds_it_spent(wf_target):
    wf_target.api.get("/api/health")
"""
)


def test_an_exhausted_request_budget_skips_the_rest_with_a_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BUDGET_TESTS)
    recorder = CheckRecorder()
    result = pytester.runpytest_inprocess(
        "--wf-target=url",
        "--wf-api-url=http://127.0.0.1:9",
        "--wf-request-budget=3",
        "--wf-rps=1000",
        plugins=[recorder],
    )
    result.assert_outcomes(passed=1, skipped=1)
    second = {event.id: event for event in recorder.events}["demo.second"]
    assert second.outcome == "skipped"
    assert second.message.startswith("request budget of 3 exhausted after 3 requests (GET ")
    assert "raise it with --request-budget N" in second.message
