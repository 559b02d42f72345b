"""One reachability probe for every command: a worker's health path, through the client the command uses."""

from __future__ import annotations

import httpx
import respx

from workerflow_kit.targets.base import health_problem


def test_any_status_counts_as_an_answer_and_the_base_path_is_kept() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://edge.example/wf/api/health").respond(503)
        with httpx.Client(base_url="https://edge.example/wf/") as client:
            assert health_problem(client, "api") is None


def test_a_worker_that_does_not_answer_is_named_with_the_url_and_the_error() -> None:
    with respx.mock() as mock:
        mock.get("https://ops.example/health").mock(side_effect=httpx.ConnectError("refused\nby peer"))
        with httpx.Client(base_url="https://ops.example") as client:
            problem = health_problem(client, "ops")
    assert problem == "the ops worker does not answer at https://ops.example/health (ConnectError: refused by peer)"
