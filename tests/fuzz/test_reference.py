"""Schemathesis on the reference runtime: zero failures at both levels, every check exercised, tokens redacted."""

from __future__ import annotations

import pytest

from tests.fuzz.broken import TOKEN
from workerflow_kit.fuzz import FUZZ_CHECKS, FuzzOptions, FuzzReport, fuzz
from workerflow_kit.fuzz.documents import config_path, load_config
from workerflow_kit.targets import Capability, InProcessTarget, load_runtime_factory


@pytest.fixture(scope="module")
def report(reference: InProcessTarget) -> FuzzReport:
    return fuzz(reference, FuzzOptions(max_examples=12))


def test_the_reference_passes_every_check_of_both_documents(report: FuzzReport) -> None:
    assert [failure.render() for failure in report.failures] == []
    assert report.cases > 500
    assert report.operations > 70  # both documents, writes allowed: every operation


def test_every_check_but_auth_judges_responses_on_the_reference(report: FuzzReport) -> None:
    untouched = {tally.check.id for tally in report.tallies.values() if tally.checked == 0}
    assert untouched == {"openapi.auth-401"}  # no token is configured on the plain reference
    assert report.tallies["openapi.duplicate-is-202"].checked >= 2  # an async and the sync route


def test_check_ids_are_unique_and_levels_as_documented() -> None:
    ids = [check.id for check in FUZZ_CHECKS]
    assert len(ids) == len(set(ids))
    recommended = {check.id for check in FUZZ_CHECKS if check.level == "recommended"}
    assert recommended == {"openapi.no-server-error"}


def test_the_shipped_config_is_the_one_loaded() -> None:
    assert config_path().name == "schemathesis.toml"
    expected = load_config().projects.get_default().checks.positive_data_acceptance.expected_statuses
    assert "405" in expected  # the api's non-POST answer, declared as the runtime's validation model


def test_with_tokens_configured_auth_is_checked_and_passes() -> None:
    factory = load_runtime_factory("tests.fuzz.broken:with_tokens")
    with InProcessTarget(runtime_factory=factory) as target:
        result = fuzz(target, FuzzOptions(max_examples=2))
    assert [failure.render() for failure in result.failures] == []
    assert result.tallies["openapi.auth-401"].checked > 10


def test_tokens_never_appear_in_failures() -> None:
    factory = load_runtime_factory("tests.fuzz.broken:token_not_enforced")
    with InProcessTarget(runtime_factory=factory) as target:
        result = fuzz(target, FuzzOptions(max_examples=2, documents=("api",)))
    rendered = "\n".join(failure.render() for failure in result.failures)
    assert "openapi.auth-401" in rendered
    assert "authorization: [REDACTED]" in rendered
    assert TOKEN not in rendered


class ReadOnly(InProcessTarget):
    """The reference without the ``writes_allowed`` capability, as a URL target is by default."""

    name = "readonly"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return super().capabilities - {Capability.WRITES_ALLOWED}


def test_a_read_only_target_gets_only_get_and_head_and_write_checks_skip() -> None:
    with ReadOnly() as target:
        sent: list[str] = []
        api_send, ops_send = target.api.send, target.ops.send

        def spy(send):  # type: ignore[no-untyped-def]
            def wrapped(request, **kwargs):  # type: ignore[no-untyped-def]
                sent.append(request.method)
                return send(request, **kwargs)

            return wrapped

        target.api.send = spy(api_send)  # type: ignore[method-assign]
        target.ops.send = spy(ops_send)  # type: ignore[method-assign]
        result = fuzz(target, FuzzOptions(max_examples=2))
    assert sent
    assert set(sent) <= {"GET", "HEAD"}
    skipped = result.tallies["openapi.duplicate-is-202"].skipped
    assert skipped == "requires capability 'writes_allowed' which target 'readonly' lacks"
    assert any("operations not fuzzed" in note and "writes_allowed" in note for note in result.notes)
    assert result.failures == []


def test_max_time_stops_the_run(reference: InProcessTarget) -> None:
    result = fuzz(reference, FuzzOptions(max_examples=1000, max_time=0.5, documents=("api",)))
    assert result.timed_out
    assert any("time budget" in note for note in result.notes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_examples": 0}, "max_examples must be at least 1"),
        ({"max_time": -1.0}, "max_time must be positive"),
        ({"documents": ("nope",)}, "documents are api, ops; got nope"),
    ],
)
def test_bad_options_are_refused_clearly(options: dict[str, object], message: str) -> None:
    from workerflow_kit.errors import KitError

    with pytest.raises(KitError, match=message):
        FuzzOptions(**options)  # type: ignore[arg-type]
