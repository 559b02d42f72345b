"""Api worker: trace ids and the idempotency ledger (spec 4.4), atomic under concurrency, and the failure
deviations around storage and configuration."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.runtime.workers.test_api_harness import START_ISO, ApiHarness, assert_cors, assert_json
from workerflow_kit.runtime.bindings.secrets import SecretsStoreSecret
from workerflow_kit.runtime.deviations import all_deviations
from workerflow_kit.runtime.workers.api import DEVIATIONS

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def duplicate(trace: str, **extra: str) -> dict[str, Any]:
    return {"accepted": True, "duplicate": True, "traceId": trace, **extra}


async def test_trace_id_is_trimmed_and_recorded_with_now() -> None:
    async with ApiHarness() as h:
        await h.clock.advance(1.5)
        await h.post("/api/webhook_echo", headers={"x-trace-id": " \xa0spaced\t".encode("latin-1")})
        assert h.trace_keys() == [{"trace_id": "spaced", "created_at": "2026-03-01T12:00:01.623Z"}]
        assert_json(await h.post("/api/chat_notify", headers={"x-trace-id": "spaced"}), 202, duplicate("spaced"))


@pytest.mark.parametrize("header", [None, "", "   ", "\t\n"])
async def test_missing_or_blank_trace_id_gets_a_fresh_uuid(header: str | None) -> None:
    async with ApiHarness() as h:
        headers = {} if header is None else {"x-trace-id": header}
        first = (await h.post("/api/webhook_echo", headers=headers)).json()
        second = (await h.post("/api/webhook_echo", headers=headers)).json()
        assert "duplicate" not in first
        assert "duplicate" not in second
        assert first["traceId"] != second["traceId"]
        for body in (first, second):
            trace = body["traceId"]
            assert len(trace) == 36
            assert trace[14] == "4"
            assert trace == trace.lower()


async def test_duplicate_check_precedes_body_parsing() -> None:
    async with ApiHarness() as h:
        await h.post("/api/webhook_echo", headers={"x-trace-id": "d"})
        response = await h.post(
            "/api/webhook_echo", headers={"x-trace-id": "d", "content-type": "application/json"}, content="{broken"
        )
        assert_json(response, 202, duplicate("d"))
        assert_cors(response)
        assert len(h.queued()) == 1


async def test_trace_ids_are_shared_across_routes_and_dev_cron() -> None:
    async with ApiHarness() as h:
        assert (await h.post("/api/dev/cron/cleanup_daily", headers={"x-trace-id": "g"})).status_code == 202
        assert_json(await h.post("/api/webhook_echo", headers={"x-trace-id": "g"}), 202, duplicate("g"))
        assert_json(await h.post("/api/lead_normalizer", headers={"x-trace-id": "g"}), 202, duplicate("g"))
        assert (await h.post("/api/chat_notify", headers={"x-trace-id": "h"})).status_code == 202
        assert_json(
            await h.post("/api/dev/cron/heartbeat_hourly", headers={"x-trace-id": "h"}),
            202,
            duplicate("h", scheduleId="heartbeat_hourly"),
        )
        assert [task["traceId"] for task in h.queued()] == ["g", "h"]
        assert h.workflow.calls == []


# ---------------------------------------------------------------------------------- body deviation


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "Unexpected end of JSON input"),
        ("{broken", None),
        ("[1,]", None),
        ("NaN", None),
    ],
)
async def test_invalid_json_body_is_400_and_does_not_consume_the_trace_id(content: str, message: str | None) -> None:
    """Deviation api.body.invalid-json."""
    async with ApiHarness() as h:
        headers = {"x-trace-id": "bad-body", "content-type": "application/json", "origin": "https://o"}
        response = await h.post("/api/chat_notify", headers=headers, content=content)
        assert response.status_code == 400
        assert_cors(response, "https://o")
        body = response.json()
        assert list(body) == ["error", "traceId", "message"]
        assert body["error"] == "invalid JSON body"
        assert body["traceId"] == "bad-body"
        assert body["message"] if message is None else body["message"] == message
        assert h.trace_keys() == []
        assert h.queued() == []
        retry = await h.post("/api/chat_notify", headers=headers, content='{"ok":1}')
        assert retry.status_code == 202
        assert h.queued()[0]["payload"] == {"body": {"ok": 1}}


# ---------------------------------------------------------------------------------- concurrency


async def test_fifty_concurrent_duplicates_create_one_task() -> None:
    """Deviation api.idempotency.atomic: exactly one of 50 concurrent twins dispatches."""
    async with ApiHarness() as h:
        responses = await asyncio.gather(
            *(h.post("/api/webhook_echo", headers={"x-trace-id": "race"}, json_body={"i": i}) for i in range(50))
        )
        bodies = [r.json() for r in responses]
        assert all(r.status_code == 202 for r in responses)
        accepted = [b for b in bodies if "duplicate" not in b]
        assert len(accepted) == 1
        assert accepted[0] == {
            "accepted": True,
            "traceId": "race",
            "routePath": "webhook_echo",
            "queuedAt": START_ISO,
        }
        assert [b for b in bodies if "duplicate" in b] == [duplicate("race")] * 49
        assert len(h.queued()) == 1
        assert len(h.trace_keys()) == 1


async def test_concurrent_sync_and_dev_cron_twins_dispatch_once() -> None:
    async with ApiHarness() as h:
        sync = await asyncio.gather(*(h.post("/api/lead_normalizer", headers={"x-trace-id": "s"}) for _ in range(20)))
        assert sorted(r.status_code for r in sync) == [200] + [202] * 19
        assert len(h.workflow.calls) == 1
        cron = await asyncio.gather(
            *(h.post("/api/dev/cron/cleanup_daily", headers={"x-trace-id": "c"}) for _ in range(20))
        )
        bodies = [r.json() for r in cron]
        assert sum("duplicate" in b for b in bodies) == 19
        assert duplicate("c", scheduleId="cleanup_daily") in bodies
        assert len(h.queued()) == 1


async def test_a_lost_insert_answers_duplicate_without_dispatch() -> None:
    """The race itself, made deterministic: the key appears between the check and the insert."""
    async with ApiHarness() as h:
        original = h.db.prepare

        def prepare(sql: str) -> Any:
            if sql.startswith("INSERT OR IGNORE"):
                h.db.query("INSERT INTO idempotency_keys (trace_id, created_at) VALUES ('twin', 'x')")
            return original(sql)

        h.db.prepare = prepare  # type: ignore[method-assign]
        assert_json(await h.post("/api/webhook_echo", headers={"x-trace-id": "twin"}), 202, duplicate("twin"))
        assert_json(
            await h.post("/api/dev/cron/cleanup_daily", headers={"x-trace-id": "twin"}),
            202,
            duplicate("twin", scheduleId="cleanup_daily"),
        )
        h.db.query("DELETE FROM idempotency_keys")
        assert_json(await h.post("/api/lead_normalizer", headers={"x-trace-id": "twin"}), 202, duplicate("twin"))
        assert h.queued() == []
        assert h.workflow.calls == []


# ---------------------------------------------------------------------------------- other deviations


class FailingQueue:
    async def send(self, body: Any) -> None:
        raise RuntimeError("queue unavailable")


async def test_queue_failure_is_500_and_keeps_the_key() -> None:
    """Deviation api.internal.storage-or-dispatch (queue send)."""
    async with ApiHarness() as h:
        h.env["AUTOMATION_QUEUE"] = FailingQueue()
        for path in ("/api/webhook_echo", "/api/dev/cron/cleanup_daily"):
            trace = f"q{path[-3:]}"
            response = await h.post(path, headers={"x-trace-id": trace, "origin": "https://o"})
            assert_json(response, 500, {"error": "internal error", "traceId": trace, "message": "queue unavailable"})
            assert_cors(response, "https://o")
        assert [row["trace_id"] for row in h.trace_keys()] == ["qcho", "qily"]


async def test_d1_failure_is_500() -> None:
    """Deviation api.internal.storage-or-dispatch (D1)."""
    async with ApiHarness() as h:
        h.db.query("DROP TABLE idempotency_keys")
        response = await h.post("/api/webhook_echo", headers={"x-trace-id": "d1"})
        assert response.status_code == 500
        assert_cors(response)
        body = response.json()
        assert list(body) == ["error", "traceId", "message"]
        assert (body["error"], body["traceId"]) == ("internal error", "d1")
        assert "no such table: idempotency_keys" in body["message"]
        assert h.queued() == []


async def test_missing_binding_is_500() -> None:
    async with ApiHarness() as h:
        del h.env["WORKFLOW_SERVICE"]
        response = await h.post("/api/lead_normalizer", headers={"x-trace-id": "nb"})
        assert_json(response, 500, {"error": "internal error", "traceId": "nb", "message": "'WORKFLOW_SERVICE'"})
        assert_cors(response)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ROUTES_CONFIG_JSON": "{not-json}"}, "ROUTES_CONFIG_JSON is not valid JSON: "),
        ({"ROUTES_CONFIG_JSON": "{}"}, "ROUTES_CONFIG_JSON must be a JSON array"),
        ({"SCHEDULES_CONFIG_JSON": "[1]"}, "SCHEDULES_CONFIG_JSON has invalid item at index 0"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/health"), ("OPTIONS", "/api/x"), ("POST", "/api/webhook_echo"), ("GET", "/api/r/x/%ZZ")],
)
async def test_manifest_error_is_500_everywhere(env: dict[str, str], message: str, method: str, path: str) -> None:
    """Deviation api.manifest.invalid: resolution comes first, before preflight, health and legacy."""
    async with ApiHarness({"MANIFEST_MODE": "config", **env}) as h:
        response = await h.request(method, path, headers={"origin": "https://o"})
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert_cors(response, "https://o")
        body = response.json()
        assert list(body) == ["error", "message"]
        assert body["error"] == "invalid manifest configuration"
        assert body["message"].startswith(message)


async def test_non_string_ingress_token_is_a_configuration_fault() -> None:
    """Deviation api.config.ingress-token-type: only requests reaching the auth step are affected."""
    async with ApiHarness({"API_INGRESS_TOKEN": SecretsStoreSecret("t")}) as h:
        response = await h.post("/api/webhook_echo", headers={"x-api-token": "t"})
        assert_json(
            response,
            500,
            {"error": "invalid configuration", "message": "API_INGRESS_TOKEN must be a string, got SecretsStoreSecret"},
        )
        assert_cors(response)
        assert (await h.request("GET", "/api/webhook_echo")).status_code == 405
        assert (await h.request("GET", "/api/health")).status_code == 200


def test_deviations_are_listed_and_unique() -> None:
    ids = [d.id for d in DEVIATIONS]
    assert ids == [
        "api.body.invalid-json",
        "api.url.malformed-escape",
        "api.manifest.invalid",
        "api.config.ingress-token-type",
        "api.internal.storage-or-dispatch",
        "api.sync.non-json",
        "api.sync.invalid-passthrough",
        "api.idempotency.atomic",
    ]
    assert all(d.worker == "api" and d.situation and d.upstream and d.reference for d in DEVIATIONS)
    assert [d for d in all_deviations() if d.worker == "api"] == list(DEVIATIONS)
    assert json.dumps([d.reference for d in DEVIATIONS])
