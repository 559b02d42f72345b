"""The live transport: budget, pacing, retries (connection errors, timeouts, 429), allow-list, redaction."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from tests.live.fakes import FakeTime
from workerflow_kit.live import (
    BudgetExhausted,
    LivePolicy,
    LiveSession,
    RetriesExhausted,
    RouteNotAllowed,
)
from workerflow_kit.live.redact import Redactor

API = "http://api.test"


def session(fake: FakeTime, **policy: object) -> LiveSession:
    settings: dict[str, object] = {"rps": None, "backoff": 1.0, "max_backoff": 8.0, **policy}
    return LiveSession(
        LivePolicy(**settings),  # type: ignore[arg-type]
        clock=fake.clock,
        sleep=fake.sleep,
        now=fake.now,
        jitter=lambda: 1.0,  # the top of the jitter range: delays are exactly base * 2**attempt
        redactor=Redactor(),
    )


def client(live: LiveSession, worker: str = "api", base: str = API) -> httpx.Client:
    return httpx.Client(base_url=base, transport=live.transport(worker))


# ------------------------------------------------------------------------------------------ retries


@respx.mock
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_errors_are_retried_with_backoff_for_every_method(method: str) -> None:
    fake = FakeTime()
    route = respx.route(method=method, url=f"{API}/api/health").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(200)]
    )
    with client(session(fake)) as api:
        assert api.request(method, "/api/health").status_code == 200
    assert route.call_count == 3
    assert fake.sleeps == [1.0, 2.0]


@respx.mock
def test_jitter_spreads_the_backoff_between_half_and_whole() -> None:
    fake = FakeTime()
    respx.get(f"{API}/x").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200)])
    live = LiveSession(LivePolicy(rps=None, backoff=4.0), clock=fake.clock, sleep=fake.sleep, jitter=lambda: 0.0)
    with client(live) as api:
        api.get("/x")
    assert fake.sleeps == [2.0]


@respx.mock
def test_a_read_timeout_is_retried_for_get_but_a_post_is_never_sent_twice() -> None:
    fake = FakeTime()
    read = respx.get(f"{API}/api/health").mock(side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200)])
    post = respx.post(f"{API}/api/webhook_echo").mock(side_effect=httpx.ReadTimeout("slow"))
    with client(session(fake, routes=("webhook_echo",))) as api:
        assert api.get("/api/health").status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            api.post("/api/webhook_echo", json={})
    assert read.call_count == 2
    assert post.call_count == 1


@respx.mock
def test_retries_exhausted_say_what_failed_and_how_often() -> None:
    fake = FakeTime()
    route = respx.get(f"{API}/api/health").mock(side_effect=httpx.ConnectError("connection refused"))
    with client(session(fake, retries=2)) as api, pytest.raises(RetriesExhausted) as caught:
        api.get("/api/health")
    assert route.call_count == 3
    assert str(caught.value) == (f"GET {API}/api/health failed after 3 attempts: ConnectError: connection refused")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@respx.mock
def test_429_waits_the_retry_after_seconds() -> None:
    fake = FakeTime()
    route = respx.post(f"{API}/api/webhook_echo").mock(
        side_effect=[httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(202)]
    )
    with client(session(fake, routes=("*",))) as api:
        assert api.post("/api/webhook_echo", json={"a": 1}).status_code == 202
    assert fake.sleeps == [7.0]
    assert route.calls[1].request.content == b'{"a":1}'  # the same body again


@respx.mock
def test_429_waits_until_the_retry_after_date_and_the_wait_is_capped() -> None:
    fake = FakeTime()
    soon = format_datetime(fake.now() + timedelta(seconds=12), usegmt=True)
    respx.get(f"{API}/a").mock(side_effect=[httpx.Response(429, headers={"retry-after": soon}), httpx.Response(200)])
    respx.get(f"{API}/b").mock(side_effect=[httpx.Response(429, headers={"retry-after": "3600"}), httpx.Response(200)])
    with client(session(fake, max_retry_after=30.0)) as api:
        api.get("/a")
        api.get("/b")
    assert fake.sleeps == [12.0, 30.0]


@respx.mock
def test_429_without_retry_after_backs_off_and_gives_up_with_a_clear_error() -> None:
    fake = FakeTime()
    respx.get(f"{API}/busy").respond(429)
    with client(session(fake, retries=2)) as api, pytest.raises(RetriesExhausted, match="still answered 429"):
        api.get("/busy")
    assert fake.sleeps == [1.0, 2.0]


@respx.mock
def test_other_statuses_are_answers_not_retries() -> None:
    fake = FakeTime()
    route = respx.get(f"{API}/broken").respond(503)
    with client(session(fake)) as api:
        assert api.get("/broken").status_code == 503
    assert route.call_count == 1
    assert fake.sleeps == []


# ------------------------------------------------------------------------------------------ budget and pace


@respx.mock
def test_the_budget_counts_every_attempt_and_refuses_the_next_request() -> None:
    fake = FakeTime()
    respx.get(f"{API}/flaky").mock(side_effect=[httpx.ConnectError("x"), httpx.Response(200)])
    never = respx.get(f"{API}/api/health").respond(200)
    live = session(fake, request_budget=3)
    with client(live) as api:
        api.get("/flaky")  # two requests
        api.get("/api/health")  # the third
        with pytest.raises(BudgetExhausted) as caught:
            api.get("/api/health")
    assert never.call_count == 1
    assert live.requests_sent == 3
    assert str(caught.value).startswith(
        f"request budget of 3 exhausted after 3 requests (GET {API}/api/health not sent); raise it with "
        "--request-budget"
    )


@respx.mock
def test_the_budget_and_the_rate_are_shared_by_all_clients_of_a_session() -> None:
    fake = FakeTime()
    respx.get(url__regex=r".*").respond(200)
    live = session(fake, rps=4.0, request_budget=4)
    with client(live, "api") as api, client(live, "ops", "http://ops.test") as ops:
        api.get("/1")
        ops.get("/2")
        api.get("/3")
        ops.get("/4")
        with pytest.raises(BudgetExhausted):
            ops.get("/5")
    assert fake.sleeps == [0.25, 0.25, 0.25]


@respx.mock
def test_rps_paces_requests_evenly_and_idle_time_is_not_saved_up() -> None:
    fake = FakeTime()
    sent_at: list[float] = []
    respx.get(url__regex=r".*").mock(side_effect=lambda request: sent_at.append(fake.clock()) or httpx.Response(200))
    with client(session(fake, rps=2.0)) as api:
        for _ in range(3):
            api.get("/x")
        fake.now_seconds += 60  # a long pause earns no burst with the default burst of 1
        api.get("/x")
        api.get("/x")
    assert [round(t - 1000.0, 6) for t in sent_at] == [0.0, 0.5, 1.0, 61.0, 61.5]


def test_burst_lets_that_many_requests_go_back_to_back() -> None:
    from workerflow_kit.live.policy import RateLimiter

    fake = FakeTime()
    limiter = RateLimiter(1.0, burst=3, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.acquire() for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rps": 0}, "rps must be positive, got 0"),
        ({"request_budget": -1}, "request_budget must be positive, got -1"),
        ({"timeout": 0.0}, "timeout must be positive, got 0.0"),
        ({"retries": -1}, "must not be negative"),
        ({"routes": ("ok", " ")}, "an allowed route must not be empty"),
    ],
)
def test_policy_settings_are_checked_when_made(settings: dict[str, object], message: str) -> None:
    from workerflow_kit.targets import TargetError

    with pytest.raises(TargetError, match=message):
        LivePolicy(**settings)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ allow-list


@respx.mock
def test_a_route_not_allowed_is_refused_before_anything_is_sent() -> None:
    fake = FakeTime()
    chat = respx.post(f"{API}/api/chat_notify").respond(202)
    live = session(fake, routes=("webhook_echo",))
    with client(live) as api, pytest.raises(RouteNotAllowed) as caught:
        api.post("/api/chat_notify", json={"text": "hello production"})
    assert not chat.called
    assert live.requests_sent == 0  # a refusal spends no budget
    assert caught.value.name == "chat_notify"
    assert str(caught.value) == (
        "POST /api/chat_notify invokes 'chat_notify', which this live target does not allow; allow it with "
        '--routes chat_notify (pytest: --wf-routes chat_notify) or routes = ["chat_notify"] in workerflow-kit.toml'
    )


@respx.mock
def test_allowed_routes_patterns_and_requests_that_invoke_nothing_pass() -> None:
    fake = FakeTime()
    respx.route().respond(200)
    with client(session(fake, routes=("webhook_echo", "schedule:*"))) as api:
        api.post("/api/webhook_echo", json={})
        api.post("/api/dev/cron/cleanup_daily")
        api.get("/api/health")
        api.post("/api/health")
        api.get("/api/chat_notify")  # 405 on the worker: nothing runs
        api.options("/api/chat_notify")  # a preflight
        api.post("/api/chat_notify/extra")  # three segments: the worker's 404 hint
    with client(session(fake, routes=("*",))) as api:
        api.post("/api/chat_notify")


@pytest.mark.parametrize(
    ("worker", "method", "path", "body", "name"),
    [
        ("api", "POST", "/api/chat_notify", None, "chat_notify"),
        ("api", "POST", "/api/x/../chat_notify", None, "chat_notify"),
        ("api", "POST", "/api/%2e%2e/api/chat_notify", None, "chat_notify"),
        ("api", "POST", "//api//chat_notify/", None, "chat_notify"),
        ("api", "POST", "/api/dev/cron/heartbeat_hourly", None, "schedule:heartbeat_hourly"),
        ("api", "GET", "/api/r/x/alert/me", None, "legacy-alert"),
        ("api", "PUT", "/api/r/", None, "legacy-alert"),
        ("ops", "POST", "/api/cron-run/cleanup_daily", None, "schedule:cleanup_daily"),
        ("ops", "POST", "/api/retry/t-1", None, None),
        ("ops", "GET", "/api/runs", None, None),
        ("workflow", "POST", "/run-sync", b'{"kind":"http_route","routePath":"chat_notify"}', "chat_notify"),
        ("workflow", "POST", "/run-async", b'{"kind":"scheduled_job","scheduleId":"s1"}', "schedule:s1"),
        ("workflow", "POST", "/run-sync", b"not json", "workflow-task"),
        ("workflow", "GET", "/health", None, None),
        ("scheduler", "GET", "/__scheduled", None, None),
    ],
)
def test_what_counts_as_an_invocation(
    worker: str, method: str, path: str, body: bytes | None, name: str | None
) -> None:
    from workerflow_kit.live import invocation_name

    request = httpx.Request(method, f"http://host.test{path}", content=body)
    assert invocation_name(worker, request) == name


def test_a_base_url_path_prefix_does_not_hide_a_route() -> None:
    from workerflow_kit.live import invocation_name

    request = httpx.Request("POST", "http://host.test/prefix/api/chat_notify")
    assert invocation_name("api", request, base_path="/prefix") == "chat_notify"


def test_route_lists_split_commas_and_drop_blanks() -> None:
    from workerflow_kit.live import parse_route_list

    assert parse_route_list(["a, b", "c", "", "a"]) == ("a", "b", "c")


# ------------------------------------------------------------------------------------------ redaction


@respx.mock
def test_credential_headers_sent_are_registered_for_redaction() -> None:
    fake = FakeTime()
    respx.route().respond(200)
    live = session(fake)
    with client(live) as api:
        api.get("/api/health", headers={"x-api-key": "key-123456", "authorization": "Bearer tok-abcdef"})
    text = "sent x-api-key key-123456 and Bearer tok-abcdef"
    assert live.redactor.redact(text) == "sent x-api-key *** and Bearer ***"


def test_the_suites_made_up_probe_routes_are_always_allowed() -> None:
    from workerflow_kit.live.allowlist import PROBE_ROUTE_PREFIX, RouteAllowList

    nothing = RouteAllowList()
    assert nothing.allows(f"{PROBE_ROUTE_PREFIX}0123abcd")
    assert not nothing.allows("chat_notify")
    assert not nothing.allows("wfk_other")
    assert RouteAllowList(["chat_*"]).allows("chat_notify")
