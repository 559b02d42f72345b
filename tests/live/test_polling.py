"""wait_for_run: polls the ops run detail until the run is terminal, steps between polls, names what it saw."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live.fakes import FakeTime
from workerflow_kit.live import NotObserved, wait_for_run


def detail(status: str) -> httpx.Response:
    return httpx.Response(200, json={"traceId": "t 1", "run": {"traceId": "t 1", "status": status}})


def ops_client(answers: Iterator[httpx.Response | Exception], seen: list[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(base_url="http://ops.test", transport=httpx.MockTransport(handler))


def test_polls_through_not_found_and_started_until_succeeded() -> None:
    fake = FakeTime()
    seen: list[str] = []
    steps: list[float] = []
    answers = iter(
        [
            httpx.Response(404, json={"error": "run not found"}),
            httpx.ConnectError("blip"),
            detail("started"),
            detail("succeeded"),
        ]
    )
    with ops_client(answers, seen) as ops:
        body = wait_for_run(
            ops,
            "t 1",
            timeout=10,
            interval=0.5,
            step=lambda: steps.append(fake.clock()),
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert body["run"]["status"] == "succeeded"
    assert seen == ["/api/run-detail/t%201"] * 4
    assert fake.sleeps == [0.5, 0.5, 0.5]
    assert len(steps) == 4  # before every poll: an in-process target delivers its queue there


def test_failed_is_terminal_too() -> None:
    fake = FakeTime()
    with ops_client(iter([detail("failed")]), []) as ops:
        assert wait_for_run(ops, "t 1", timeout=1, clock=fake.clock, sleep=fake.sleep)["run"]["status"] == "failed"


def test_the_deadline_raises_not_observed_with_what_was_seen_last() -> None:
    fake = FakeTime()
    answers = iter([detail("started")] * 100)
    with ops_client(answers, []) as ops, pytest.raises(NotObserved) as caught:
        wait_for_run(ops, "t-9", timeout=2, interval=0.75, clock=fake.clock, sleep=fake.sleep)
    assert str(caught.value) == "run t-9 not observed in a terminal state within 2 s (last seen: status started)"
    assert fake.sleeps == [0.75, 0.75, 0.5]  # never sleeps past the deadline


def test_an_error_answer_is_what_was_seen() -> None:
    fake = FakeTime()
    answers = iter([httpx.Response(401, json={"error": "unauthorized"})] * 10)
    with (
        ops_client(answers, []) as ops,
        pytest.raises(NotObserved, match=r'last seen: HTTP 401 \{"error":"unauthorized"\}'),
    ):
        wait_for_run(ops, "t", timeout=1, clock=fake.clock, sleep=fake.sleep)


def test_arguments_are_checked() -> None:
    with httpx.Client() as ops, pytest.raises(ValueError, match="timeout and interval must be > 0"):
        wait_for_run(ops, "t", timeout=0)
