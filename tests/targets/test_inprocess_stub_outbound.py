"""The in-process target's ``stub_outbound``: stubbed answers, recorded calls, loud failure for unstubbed calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from workerflow_kit.targets import Capability, InProcessTarget, MissingCapability, TargetError, UrlTarget
from workerflow_kit.targets.base import OutboundCall, OutboundRecorder

WEBHOOK = "https://chat.example/incoming"


@pytest.fixture(scope="module")
def target() -> Iterator[InProcessTarget]:
    with InProcessTarget(env={"CHAT_WEBHOOK_URL": WEBHOOK}) as the_target:
        yield the_target


def chat(target: InProcessTarget, trace: str, text: str = "hi") -> Any:
    task = {"kind": "http_route", "traceId": trace, "routePath": "chat_notify", "payload": {"body": {"text": text}}}
    return target.workflow.post("/run-sync", json=task)


def test_declared_in_process_and_lacking_elsewhere(target: InProcessTarget) -> None:
    assert Capability.STUB_OUTBOUND in target.capabilities
    url = UrlTarget(api_url="http://127.0.0.1:9")
    try:
        with pytest.raises(MissingCapability, match="requires capability 'stub_outbound' which target 'url' lacks"):
            url.stub_outbound([])
    finally:
        url.close()


def test_stubbed_answer_and_recorded_call(target: InProcessTarget) -> None:
    with target.stub_outbound([{"method": "POST", "url": WEBHOOK, "json": {"ok": True}}]) as recorder:
        response = chat(target, "stub-1", "  hello  ")
    assert response.status_code == 200
    assert response.json()["endpointHost"] == "chat.example"
    assert recorder.calls == [
        OutboundCall("POST", WEBHOOK, {"text": "[WorkerFlow:stub-1] hello"}, '{"text":"[WorkerFlow:stub-1] hello"}')
    ]
    assert recorder.unmatched == []


def test_stub_status_and_text_reach_the_handler(target: InProcessTarget) -> None:
    with target.stub_outbound([{"url": WEBHOOK, "status": 503, "text": "down"}]):
        response = chat(target, "stub-2")
    assert response.status_code == 500
    assert response.json()["message"] == "Chat webhook failed: 503 Service Unavailable down"


def unstubbed(target: InProcessTarget, stubs: list[dict[str, Any]], trace: str) -> tuple[Any, OutboundRecorder, str]:
    """Post a chat task under ``stubs`` that do not answer it: the response, the recorder, the exit error."""
    block = target.stub_outbound(stubs)
    recorder = block.__enter__()
    response = chat(target, trace)
    with pytest.raises(AssertionError) as caught:
        block.__exit__(None, None, None)
    return response, recorder, str(caught.value)


def test_method_must_match_when_given(target: InProcessTarget) -> None:
    response, recorder, error = unstubbed(target, [{"method": "PUT", "url": WEBHOOK}], "stub-3")
    assert f"no stub matched (none reached the network): POST {WEBHOOK}" in error
    assert response.status_code == 500
    assert "outbound call not stubbed: POST https://chat.example/incoming" in response.json()["message"]
    assert [call.url for call in recorder.unmatched] == [WEBHOOK]


def test_an_unstubbed_call_never_reaches_the_network(target: InProcessTarget) -> None:
    response, recorder, error = unstubbed(target, [{"url": "https://elsewhere.example/"}], "stub-4")
    assert "none reached the network" in error
    assert response.status_code == 500
    assert len(recorder.calls) == len(recorder.unmatched) == 1


def test_an_error_inside_the_block_wins(target: InProcessTarget) -> None:
    def use() -> None:
        with target.stub_outbound([]):
            chat(target, "stub-5")
            raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        use()


@pytest.mark.parametrize(
    ("stub", "message"),
    [({"url": WEBHOOK, "json": {}, "text": ""}, "either 'json' or 'text'"), ({"method": "POST"}, "absolute 'url'")],
)
def test_malformed_stubs_are_refused(target: InProcessTarget, stub: dict[str, Any], message: str) -> None:
    block = target.stub_outbound([stub])
    with pytest.raises(TargetError, match=message):
        block.__enter__()
