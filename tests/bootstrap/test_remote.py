"""`bootstrap apply` against Cloudflare's REST API, mocked with respx in the API's own response shapes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from tests.bootstrap.cloudflare_api import (
    ACCOUNT,
    AUTH_ERROR,
    BASE,
    D1_EXISTS,
    D1_UUID,
    QUEUE_EXISTS,
    QUEUE_ID,
    RATE_LIMITED,
    TOKEN,
    d1_database,
    envelope,
    page,
    queue,
)
from tests.bootstrap.conftest import Run
from tests.preflight.checkout import edit
from workerflow_kit.bootstrap import (
    CloudflareAuthError,
    CloudflareClient,
    CloudflareRateLimited,
    CloudflareUnreachable,
    apply_remote,
    load_spec,
)

D1_URL = f"{BASE}/d1/database"
QUEUES_URL = f"{BASE}/queues"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)


@pytest.fixture
def cloudflare() -> respx.MockRouter:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_creates_both_when_missing(spec_file: Path, env: None, cloudflare: respx.MockRouter, run: Run) -> None:
    list_d1 = cloudflare.get(D1_URL).respond(200, json=page([]))
    create_d1 = cloudflare.post(D1_URL).respond(200, json=envelope(d1_database()))
    cloudflare.get(QUEUES_URL).respond(200, json=page([]))
    create_queue = cloudflare.post(QUEUES_URL).respond(200, json=envelope(queue()))
    code, out, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"d1 database workerflow-runtime: created (id {D1_UUID})",
        f"queue workerflow-automation-queue: created (id {QUEUE_ID})",
        f"next: set /d1/database_id in {spec_file} (now a placeholder) and database_id in each wrangler.jsonc "
        f"to {D1_UUID}",
    ]
    assert list_d1.calls.last.request.url.params["name"] == "workerflow-runtime"
    assert json.loads(create_d1.calls.last.request.content) == {"name": "workerflow-runtime"}
    assert json.loads(create_queue.calls.last.request.content) == {"queue_name": "workerflow-automation-queue"}
    assert create_d1.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in out


def test_existing_resources_are_found_not_duplicated(
    spec_file: Path, env: None, cloudflare: respx.MockRouter, run: Run
) -> None:
    cloudflare.get(D1_URL).respond(200, json=page([d1_database("workerflow-runtime-old"), d1_database()]))
    create_d1 = cloudflare.post(D1_URL).respond(200, json=envelope(d1_database()))
    cloudflare.get(QUEUES_URL).respond(200, json=page([queue("other"), queue()]))
    create_queue = cloudflare.post(QUEUES_URL).respond(200, json=envelope(queue()))
    code, out, _ = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 0
    assert out.splitlines()[:2] == [
        f"d1 database workerflow-runtime: found (id {D1_UUID})",
        f"queue workerflow-automation-queue: found (id {QUEUE_ID})",
    ]
    assert not create_d1.called
    assert not create_queue.called


def test_create_answering_already_exists_is_reported_as_found(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    # The first listing misses the resource (created concurrently); the create says it exists; the re-list finds it.
    cloudflare.get(D1_URL).mock(
        side_effect=[httpx.Response(200, json=page([])), httpx.Response(200, json=page([d1_database()]))]
    )
    cloudflare.post(D1_URL).respond(400, json=D1_EXISTS)
    cloudflare.get(QUEUES_URL).mock(
        side_effect=[httpx.Response(200, json=page([])), httpx.Response(200, json=page([queue()]))]
    )
    cloudflare.post(QUEUES_URL).respond(409, json=QUEUE_EXISTS)
    with CloudflareClient(TOKEN) as client:
        actions = apply_remote(load_spec(spec_file), client, ACCOUNT)
    assert [(a.outcome, a.id) for a in actions] == [("found", D1_UUID), ("found", QUEUE_ID)]


def test_auth_failure_is_one_line_with_cloudflares_errors(
    spec_file: Path, env: None, cloudflare: respx.MockRouter, run: Run
) -> None:
    cloudflare.get(D1_URL).respond(403, json=AUTH_ERROR)
    code, out, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 1
    assert out == ""
    assert err == (
        f"error: Cloudflare refused the credentials for GET /accounts/{ACCOUNT}/d1/database (HTTP 403: [10000] "
        "Authentication error); check that CLOUDFLARE_API_TOKEN is valid and grants D1 Edit and Queues Edit on "
        "this account\n"
    )
    assert TOKEN not in err


def test_401_without_json_body_is_still_an_auth_error(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    cloudflare.get(D1_URL).respond(401, text="Unauthorized")
    with CloudflareClient(TOKEN) as client, pytest.raises(CloudflareAuthError) as failed:
        apply_remote(load_spec(spec_file), client, ACCOUNT)
    assert "HTTP 401: Unauthorized" in failed.value.message


def test_rate_limit_waits_what_retry_after_asks_then_succeeds(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    limited = httpx.Response(429, json=RATE_LIMITED, headers={"Retry-After": "7"})
    cloudflare.get(D1_URL).mock(side_effect=[limited, httpx.Response(200, json=page([d1_database()]))])
    cloudflare.get(QUEUES_URL).respond(200, json=page([queue()]))
    waits: list[float] = []
    with CloudflareClient(TOKEN, sleep=waits.append) as client:
        actions = apply_remote(load_spec(spec_file), client, ACCOUNT)
    assert waits == [7.0]
    assert [a.outcome for a in actions] == ["found", "found"]


def test_rate_limit_retries_are_bounded(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    route = cloudflare.get(D1_URL).respond(429, json=RATE_LIMITED, headers={"Retry-After": "600"})
    waits: list[float] = []
    with (
        CloudflareClient(TOKEN, sleep=waits.append, max_retries=2) as client,
        pytest.raises(CloudflareRateLimited) as failed,
    ):
        apply_remote(load_spec(spec_file), client, ACCOUNT)
    assert waits == [60.0, 60.0]  # Retry-After honoured up to the cap
    assert route.call_count == 3
    assert "[971] Please wait" in failed.value.message
    assert failed.value.exit_code == 1


def test_network_error_is_unreachable_exit_3(
    spec_file: Path, env: None, cloudflare: respx.MockRouter, run: Run
) -> None:
    cloudflare.get(D1_URL).mock(side_effect=httpx.ConnectError("Name or service not known"))
    code, _, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 3
    assert err == (
        f"error: cannot reach api.cloudflare.com for GET /accounts/{ACCOUNT}/d1/database: ConnectError: "
        "Name or service not known\n"
    )
    with CloudflareClient(TOKEN) as client, pytest.raises(CloudflareUnreachable):
        apply_remote(load_spec(spec_file), client, ACCOUNT)


def test_other_api_errors_name_the_call(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    cloudflare.get(D1_URL).respond(200, json=page([]))
    cloudflare.post(D1_URL).respond(400, json={"success": False, "errors": [{"code": 7400, "message": "bad name"}]})
    with CloudflareClient(TOKEN) as client, pytest.raises(Exception, match=r"HTTP 400: \[7400\] bad name"):
        apply_remote(load_spec(spec_file), client, ACCOUNT)


def test_placeholders_are_refused_with_file_and_pointer(spec_file: Path, env: None, run: Run) -> None:
    edit(spec_file, f'"{ACCOUNT}"', '"REPLACE_WITH_CLOUDFLARE_ACCOUNT_ID"')
    code, _, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 2
    assert err == (
        f'error: {spec_file}: /account_id: still holds the placeholder "REPLACE_WITH_CLOUDFLARE_ACCOUNT_ID"; '
        "set CLOUDFLARE_ACCOUNT_ID or replace it with your account id\n"
    )
    edit(spec_file, '"workerflow-automation-queue"', '"REPLACE_WITH_QUEUE_NAME"')
    code, _, err = run("bootstrap", "apply", "--resources", str(spec_file), "--dry-run")
    assert code == 2
    assert f"{spec_file}: /account_id:" in err


def test_account_from_env_and_a_placeholder_name(
    spec_file: Path, env: None, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    edit(spec_file, '"workerflow-automation-queue"', '"REPLACE_WITH_QUEUE_NAME"')
    code, _, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 2
    assert f"{spec_file}: /queue/name: still holds the placeholder" in err


def test_missing_token_is_a_clear_error(spec_file: Path, monkeypatch: pytest.MonkeyPatch, run: Run) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    code, _, err = run("bootstrap", "apply", "--resources", str(spec_file))
    assert code == 2
    assert err.startswith("error: CLOUDFLARE_API_TOKEN is not set")


def test_dry_run_shows_the_calls_and_makes_none(
    spec_file: Path, env: None, cloudflare: respx.MockRouter, run: Run
) -> None:
    code, out, _ = run("bootstrap", "apply", "--resources", str(spec_file), "--dry-run")
    assert code == 0
    assert not cloudflare.calls
    assert out.splitlines() == [
        "Would call (token from CLOUDFLARE_API_TOKEN, not shown):",
        f"  GET {D1_URL}?name=workerflow-runtime  # is the D1 database there?",
        f'  POST {D1_URL} name="workerflow-runtime"  # only if it is not',
        f"  GET {QUEUES_URL}  # is the queue there?",
        f'  POST {QUEUES_URL} queue_name="workerflow-automation-queue"  # only if it is not',
    ]
    assert TOKEN not in out


def test_listing_follows_pages(spec_file: Path, cloudflare: respx.MockRouter) -> None:
    first = [d1_database(f"db-{i}") for i in range(100)]
    info = {"per_page": 100, "count": 100, "total_count": 101, "total_pages": 2}
    cloudflare.get(D1_URL, params={"page": "1"}).respond(200, json=envelope(first, page=1, **info))
    cloudflare.get(D1_URL, params={"page": "2"}).respond(200, json=envelope([d1_database()], page=2, **info))
    cloudflare.get(QUEUES_URL).respond(200, json=page([queue()]))
    with CloudflareClient(TOKEN) as client:
        actions = apply_remote(load_spec(spec_file), client, ACCOUNT)
    assert actions[0].outcome == "found"
