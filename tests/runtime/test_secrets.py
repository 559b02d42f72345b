"""Secrets-Store bindings: the workflow's per-request resolution (spec 6.1) and the API's lenient read (4.8)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from workerflow_kit.runtime.bindings.secrets import (
    SecretNotFoundError,
    SecretsStoreSecret,
    is_secrets_store_binding,
    resolve_env,
    resolve_optional_string,
)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class SlowSecret:
    """A binding whose get() takes a while, to prove resolutions overlap."""

    def __init__(self, value: str, log: list[str]) -> None:
        self.value = value
        self.log = log

    async def get(self) -> str:
        self.log.append(f"start {self.value}")
        await asyncio.sleep(0.01)
        self.log.append(f"end {self.value}")
        return self.value


class SyncGet:
    def get(self) -> str:
        return "plain-result"


def test_secret_get_returns_value_untrimmed() -> None:
    assert run(SecretsStoreSecret("  s3cret \n").get()) == "  s3cret \n"


def test_secret_missing_or_rejecting() -> None:
    with pytest.raises(SecretNotFoundError, match="'GCHAT' not found"):
        run(SecretsStoreSecret(name="GCHAT").get())
    with pytest.raises(SecretNotFoundError):
        run(SecretsStoreSecret().get())
    boom = RuntimeError("store unavailable")
    with pytest.raises(RuntimeError, match="store unavailable"):
        run(SecretsStoreSecret("ignored", error=boom).get())
    assert "missing" in repr(SecretsStoreSecret())


def test_duck_typing_matches_upstream() -> None:
    assert is_secrets_store_binding(SecretsStoreSecret("x"))
    assert is_secrets_store_binding(SyncGet())
    for value in ("text", None, 1, 1.5, {"get": 1}, {"a": "b"}, [1], b"x", object()):
        assert not is_secrets_store_binding(value)


def test_resolve_env_replaces_bindings_and_keeps_the_rest() -> None:
    sentinel = object()
    env: dict[str, object] = {
        "ENV_NAME": "dev",
        "API_KEY": SecretsStoreSecret("  key  "),
        "DB": sentinel,
        "CONFIG": {"get": "not callable"},
        "SYNC": SyncGet(),
    }
    resolved = run(resolve_env(env))
    assert resolved == {
        "ENV_NAME": "dev",
        "API_KEY": "  key  ",
        "DB": sentinel,
        "CONFIG": {"get": "not callable"},
        "SYNC": "plain-result",
    }
    assert list(resolved) == list(env)
    assert isinstance(env["API_KEY"], SecretsStoreSecret)  # the input is not modified


def test_resolve_env_runs_concurrently() -> None:
    log: list[str] = []
    env = {"A": SlowSecret("a", log), "B": SlowSecret("b", log)}
    assert run(resolve_env(env)) == {"A": "a", "B": "b"}
    assert log[:2] == ["start a", "start b"]


def test_resolve_env_propagates_any_rejection() -> None:
    env = {"OK": SecretsStoreSecret("fine"), "BAD": SecretsStoreSecret(error=PermissionError("denied"))}
    with pytest.raises(PermissionError, match="denied"):
        run(resolve_env(env))
    with pytest.raises(SecretNotFoundError):
        run(resolve_env({"MISSING": SecretsStoreSecret()}))


def test_resolve_env_without_bindings() -> None:
    assert run(resolve_env({})) == {}
    assert run(resolve_env({"X": "1"})) == {"X": "1"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  https://hook.example/a \n", "https://hook.example/a"),
        ("\ufeffhttps://x\u3000", "https://x"),
        ("\u001chttps://x", "\u001chttps://x"),  # JS trim keeps the information separators
        ("   ", ""),
        ("", ""),
        (None, ""),
        (42, ""),
        ({"a": 1}, ""),
        (SecretsStoreSecret("  https://hook.example/b  "), "https://hook.example/b"),
        (SecretsStoreSecret(" \t "), ""),
        (SecretsStoreSecret(), ""),
        (SecretsStoreSecret(error=RuntimeError("nope")), ""),
        (SyncGet(), "plain-result"),
    ],
)
def test_resolve_optional_string(value: object, expected: str) -> None:
    assert run(resolve_optional_string(value)) == expected


def test_resolve_optional_string_non_string_result() -> None:
    class Numeric:
        async def get(self) -> int:
            return 5

    assert run(resolve_optional_string(Numeric())) == ""
