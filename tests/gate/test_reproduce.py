"""Reproduction lines: a check command with the run's profile, seed and target flags; curl lines; redaction."""

from __future__ import annotations

from workerflow_kit.gate.reproduce import REDACTED, Redactor, ReplayContext, check_command, curl_line, node_keyword

NODE = "suites/routes.py::test_duplicate_is_202[routes.duplicate-is-202 | required]"


def test_the_check_command_replays_one_test_with_profile_and_seed() -> None:
    assert node_keyword(NODE) == "test_duplicate_is_202"
    line = check_command("routes", NODE, "quick", 42, ReplayContext())
    assert line == "workerflow-kit check --suite routes -k test_duplicate_is_202 --profile quick --seed 42"


def test_the_check_command_names_url_flags_but_never_a_token() -> None:
    context = ReplayContext(target="url", urls={"api": "https://api.example"}, tokens=("api",), allow_writes=True)
    line = check_command("routes", NODE, "ci", None, context)
    assert line == (
        "workerflow-kit check --suite routes -k test_duplicate_is_202 --profile ci --target url "
        '--api-url https://api.example --allow-writes --api-token "$WORKERFLOW_API_TOKEN"'
    )


def test_a_curl_line_comes_from_the_http_exchange_in_a_message() -> None:
    message = "expected status 202, got 200: POST /api/webhook_echo?x=1 -> 200 '{\"ok\":true}'"
    redact = Redactor(("s3cret",))
    assert (
        curl_line([message], ReplayContext(), redact) == "curl -i -X POST 'http://127.0.0.1:8787/api/webhook_echo?x=1'"
    )
    url = ReplayContext(target="url", urls={"api": "https://api.example/"}, tokens=("api",))
    assert curl_line([message], url, redact) == (
        "curl -i -X POST 'https://api.example/api/webhook_echo?x=1' -H \"authorization: Bearer $WORKERFLOW_API_TOKEN\""
    )
    assert curl_line(["GET /ops/runs -> 500 ''"], url, redact) == ""  # which worker answered is not known
    assert curl_line(["no request here"], url, redact) == ""


def test_a_curl_line_in_the_evidence_is_used_with_tokens_redacted() -> None:
    evidence = "Reproduce with:\n\n    curl -X GET -H 'Authorization: Bearer s3cret' https://api.example/api/health\n"
    line = curl_line(["", evidence], ReplayContext(), Redactor(("s3cret",)))
    assert line == f"curl -X GET -H 'Authorization: Bearer {REDACTED}' https://api.example/api/health"


def test_the_redactor_masks_given_secrets_and_token_headers() -> None:
    redact = Redactor(("s3cret",))
    assert redact("token s3cret leaked") == f"token {REDACTED} leaked"
    assert redact("x-api-token: abc123") == f"x-api-token: {REDACTED}"
    assert redact("nothing secret") == "nothing secret"


def test_an_in_process_curl_line_is_pointed_at_workerflow_kit_serve() -> None:
    evidence = "POST /api/{routePath}: answered 500\nreproduce: curl -X POST http://api.internal/api/webhook_echo -d x"
    line = curl_line(["", evidence], ReplayContext(), Redactor())
    assert line == "curl -X POST http://127.0.0.1:8787/api/webhook_echo -d x"
    served = curl_line(["", evidence], ReplayContext(target="served"), Redactor())
    assert served == "curl -X POST http://api.internal/api/webhook_echo -d x"


def test_a_parametrized_case_is_selected_by_its_parameter_too() -> None:
    node = "suites/routes.py::test_route_fixture[route/chat_notify/accepted-wraps-body-routes.fixture | required]"
    assert node_keyword(node) == "test_route_fixture and route/chat_notify/accepted-wraps-body"
    odd = "suites/routes.py::test_route_fixture[a case with spaces-routes.fixture | required]"
    assert node_keyword(odd) == "test_route_fixture"  # -k cannot say it: the whole check runs again
