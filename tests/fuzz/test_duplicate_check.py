"""``openapi.duplicate-is-202``: a repeated trace id answers the duplicate shape and starts no second task.

The check re-sends a request whose trace id the client chose; a blank ``x-trace-id`` means "none" (the worker
picks a fresh id), so such a request is never expected to be a duplicate. Where the target drains its queue on a
virtual clock, the duplicate must leave nothing to deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from workerflow_kit.fuzz import FuzzOptions, fuzz
from workerflow_kit.fuzz.checks import WorkerFlowFailure, workerflow_duplicate_is_202
from workerflow_kit.fuzz.documents import load_schema
from workerflow_kit.fuzz.session import FuzzSession, activate
from workerflow_kit.fuzz.wire import build_request, to_schemathesis
from workerflow_kit.targets import Capability, InProcessTarget, load_runtime_factory

CHECK_ID = "openapi.duplicate-is-202"
ASYNC_ROUTE = "webhook_echo"
BROKEN = "tests.fuzz.broken:duplicate_enqueues_again"


class Sent:
    """Counts the requests a client sends."""

    def __init__(self, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[httpx.Request] = []
        send = client.send

        def counting(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            self.requests.append(request)
            return send(request, **kwargs)

        monkeypatch.setattr(client, "send", counting)


def _judge(
    target: InProcessTarget, trace_header: str | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[bool | None, int]:
    """Send one accepted request to the async route and run the check on its answer: (outcome, requests sent)."""
    operation = load_schema("api")["/api/{routePath}"]["POST"]
    headers = {} if trace_header is None else {"x-trace-id": trace_header}
    case = operation.Case(
        path_parameters={"routePath": ASYNC_ROUTE}, headers=headers, body={"n": 1}, media_type="application/json"
    )
    session = FuzzSession(target=target, document="api", client=target.api)
    sent = Sent(target.api, monkeypatch)
    request = build_request(target.api, case)
    session.last_request = request
    response = target.api.send(request)
    assert response.status_code == 202
    assert response.json()["accepted"] is True
    with activate(session):
        outcome = workerflow_duplicate_is_202(None, to_schemathesis(response), case)  # type: ignore[arg-type]
    return outcome, len(sent.requests)


@pytest.fixture
def broken() -> Iterator[InProcessTarget]:
    with InProcessTarget(runtime_factory=load_runtime_factory(BROKEN)) as target:
        yield target


@pytest.mark.parametrize("blank", ["", " ", "\t \t"])
def test_a_blank_trace_id_is_not_expected_to_be_a_duplicate(
    reference: InProcessTarget, blank: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, sent = _judge(reference, blank, monkeypatch)

    assert outcome is True  # not applicable: the worker chose a fresh id
    assert sent == 1  # the request itself, never re-sent


def test_a_chosen_trace_id_is_sent_again_and_passes_on_the_reference(
    reference: InProcessTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, sent = _judge(reference, reference.new_trace_id("dup"), monkeypatch)

    assert outcome is None  # judged, and passed
    assert sent == 2


def test_a_duplicate_that_enqueues_again_fails_naming_the_second_task(
    broken: InProcessTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace_id = broken.new_trace_id("dup")

    with pytest.raises(WorkerFlowFailure) as caught:
        _judge(broken, trace_id, monkeypatch)

    assert caught.value.check_id == CHECK_ID
    assert f"duplicate of trace id {trace_id!r} answered 202 duplicate but enqueued a second task" in str(
        caught.value.message
    )
    rows = broken.query("SELECT COUNT(*) AS n FROM idempotency_keys WHERE trace_id = ?", trace_id)
    assert rows == [{"n": 1}]  # the ledger alone would not have told


class MovingClock(InProcessTarget):
    """The in-process target as if its clock moved by itself: the queue proof does not apply."""

    name = "moving-clock"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return super().capabilities - {Capability.CLOCK}


def test_without_a_virtual_clock_the_queue_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    with MovingClock(runtime_factory=load_runtime_factory(BROKEN)) as target:
        outcome, sent = _judge(target, target.new_trace_id("dup"), monkeypatch)

    assert outcome is None  # the answer and the ledger row look right; only the queue would tell
    assert sent == 2


def test_a_fuzz_run_catches_the_second_task_and_not_on_the_reference(reference: InProcessTarget) -> None:
    with InProcessTarget(runtime_factory=load_runtime_factory(BROKEN)) as target:
        report = fuzz(target, FuzzOptions(max_examples=2, documents=("api",)))
    failures = [f for f in report.failures if f.check_id == CHECK_ID]
    assert failures
    assert all("enqueued a second task" in f.message for f in failures)

    clean = fuzz(reference, FuzzOptions(max_examples=2, documents=("api",)))
    assert clean.tallies[CHECK_ID].checked >= 2
    assert [f.render() for f in clean.failures if f.check_id == CHECK_ID] == []
