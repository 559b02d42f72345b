"""The pointer-based comparison every fixture runner shares."""

from __future__ import annotations

from workerflow_kit.authoring.diff import Difference, contains, exact, json_equal, render, subset


def lines(differences: list[Difference]) -> list[str]:
    return [str(d) for d in differences]


def test_subset_points_at_each_differing_field_in_json_spelling() -> None:
    actual = {"body": {"result": {"ok": False, "n": 1, "extra": "x"}}}
    expected = {"body": {"result": {"ok": True, "n": 1.0, "missing": None}}}
    assert lines(subset(actual, expected)) == [
        "/body/result/ok: expected true, got false",
        "/body/result/missing: missing (expected null)",
    ]


def test_exact_also_reports_extra_keys() -> None:
    assert lines(exact({"a": 1, "b": [1, 2]}, {"a": 1})) == ["/b: unexpected (got [1,2])"]


def test_booleans_are_not_numbers_and_arrays_point_at_items() -> None:
    assert not json_equal(1, True)
    assert lines(subset({"v": [1, {"k": "a"}]}, {"v": [1, {"k": "b"}]})) == ['/v/1/k: expected "b", got "a"']
    assert lines(subset({"v": [1]}, {"v": [1, 2]})) == ["/v: expected [1,2], got [1]"]


def test_pointer_tokens_are_escaped_and_long_values_cut() -> None:
    [difference] = subset({"a/b": "x" * 500}, {"a/b": "y"})
    assert difference.pointer == "/a~1b"
    assert str(difference).endswith("...")
    assert len(str(difference)) < 200
    assert render([difference]).startswith('  /a~1b: expected "y", got ')


def test_contains_wants_a_text_holding_the_part() -> None:
    assert contains("sync execution failed: boom", "failed", "/run/error") == []
    [missing] = contains("all good", "failed", "/run/error")
    assert str(missing) == '/run/error: expected a text containing "failed", got "all good"'
    [not_text] = contains(None, "failed", "/error/message")
    assert str(not_text) == '/error/message: expected a text containing "failed", got null'
