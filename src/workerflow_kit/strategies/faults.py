"""Fault plans for the queue consumer: per task, what each delivery attempt does (spec 5.2-5.4)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.jscompat.strings import js_lower
from workerflow_kit.strategies._draw import between, chance, pick
from workerflow_kit.strategies._validation import check_int, check_size_range, check_strategy

__all__ = [
    "NON_RETRYABLE_PATTERNS",
    "AttemptOutcome",
    "FaultPlan",
    "FinalState",
    "fail_non_retryable",
    "fail_retryable",
    "fault_plans",
    "is_retryable",
    "succeed",
]

_NOT_LINE_END = r"[^\n\r\u2028\u2029]"  # JS "." without the s flag
#: Spec 5.3's seven patterns, tested against the lowercased error text; any match means "do not retry".
NON_RETRYABLE_PATTERNS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        "is required",
        "missing required",
        "unauthorized",
        "forbidden",
        f"invalid {_NOT_LINE_END}*credentials",
        "invalid_grant",
        f"no {_NOT_LINE_END}* found in payload",
    )
)


def is_retryable(error_text: str) -> bool:
    """Spec 5.3: the consumer retries a failure unless its lowercased text matches one of
    :data:`NON_RETRYABLE_PATTERNS`."""
    lowered = js_lower(error_text)
    return not any(pattern.search(lowered) for pattern in NON_RETRYABLE_PATTERNS)


OutcomeKind = Literal["succeed", "fail_retryable", "fail_non_retryable"]


@dataclass(frozen=True)
class AttemptOutcome:
    """What one delivery attempt of a task does: succeed, or fail with ``message``. The message must classify
    as its kind says (checked on construction)."""

    kind: OutcomeKind
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "succeed":
            if self.message is not None:
                raise ValueError("a succeeding attempt has no message")
            return
        if self.kind not in ("fail_retryable", "fail_non_retryable"):
            raise ValueError(f"unknown outcome kind {self.kind!r}")
        if not isinstance(self.message, str):
            raise ValueError(f"{self.kind} needs a message")
        if is_retryable(self.message) != (self.kind == "fail_retryable"):
            wanted = "none" if self.kind == "fail_retryable" else "one"
            raise ValueError(f"{self.kind} message {self.message!r} must match {wanted} of the spec 5.3 patterns")

    @property
    def terminal(self) -> bool:
        """Whether the message leaves the queue after this attempt (success or a non-retryable failure)."""
        return self.kind != "fail_retryable"


def succeed() -> AttemptOutcome:
    return AttemptOutcome("succeed")


def fail_retryable(message: str) -> AttemptOutcome:
    return AttemptOutcome("fail_retryable", message)


def fail_non_retryable(message: str) -> AttemptOutcome:
    return AttemptOutcome("fail_non_retryable", message)


@dataclass(frozen=True)
class FinalState:
    """Where a task ends after its attempts, given the queue's ``max_retries``.

    ``status`` is ``"succeeded"`` or ``"dead_lettered"``; ``attempts`` counts deliveries. A dead-lettered
    task left the queue either by ``"ack"`` (a non-retryable failure) or ``"retries_exhausted"`` (it failed
    retryably on delivery ``max_retries + 1``, so Cloudflare drops it or moves it to a dead-letter queue).
    ``failure_messages`` are the distinct failure messages in order: the consumer writes one dead-letter row
    per distinct error text (spec 5.4), succeeded tasks included.
    """

    status: Literal["succeeded", "dead_lettered"]
    attempts: int
    settlement: Literal["ack", "retries_exhausted"]
    failure_messages: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.status == "succeeded":
            return f"succeeded after {self.attempts} attempts"
        if self.settlement == "ack":
            return f"dead-lettered after {self.attempts} attempts (acked on a non-retryable failure)"
        return f"dead-lettered after {self.attempts} attempts (dropped after max_retries + 1 deliveries)"


@dataclass(frozen=True)
class FaultPlan(Mapping[str, tuple[AttemptOutcome, ...]]):
    """Per trace id, the outcome of each delivery attempt, in order; a read-only mapping.

    Attempts beyond a task's list repeat its last outcome, so a list that ends in a retryable failure fails
    for ever. Lists are non-empty, and success or a non-retryable failure may only come last (after it the
    message is gone).
    """

    tasks: tuple[tuple[str, tuple[AttemptOutcome, ...]], ...]
    _index: dict[str, tuple[AttemptOutcome, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index = dict(self.tasks)
        if len(index) != len(self.tasks):
            raise ValueError("trace ids in a fault plan must be unique")
        for trace_id, outcomes in self.tasks:
            if not outcomes:
                raise ValueError(f"task {trace_id!r} has no attempt outcomes")
            if any(outcome.terminal for outcome in outcomes[:-1]):
                raise ValueError(f"task {trace_id!r}: only the last outcome may succeed or fail non-retryably")
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_mapping(cls, plan: Mapping[str, Sequence[AttemptOutcome]]) -> FaultPlan:
        return cls(tuple((trace_id, tuple(outcomes)) for trace_id, outcomes in plan.items()))

    def __getitem__(self, trace_id: str) -> tuple[AttemptOutcome, ...]:
        return self._index[trace_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def outcome_for(self, trace_id: str, attempt: int) -> AttemptOutcome:
        """The outcome of delivery ``attempt`` (1-based) of ``trace_id``; past the list, the last one."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        outcomes = self._index[trace_id]
        return outcomes[min(attempt, len(outcomes)) - 1]

    def expected_final_state(self, max_retries: int = 8) -> dict[str, FinalState]:
        """Per trace id, how the task ends when the queue allows ``max_retries`` retries (upstream: 8).

        Delivery ``n`` runs ``outcome_for(trace_id, n)``: success acks; a non-retryable failure acks and leaves a
        dead letter; a retryable failure retries, until delivery ``max_retries + 1`` after which the message is
        gone. So ``attempts`` never exceeds ``max_retries + 1``.
        """
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgument(f"max_retries={max_retries!r} must be an int >= 0")
        return {trace_id: self._final(trace_id, max_retries) for trace_id in self._index}

    def _final(self, trace_id: str, max_retries: int) -> FinalState:
        messages: list[str] = []
        for attempt in range(1, max_retries + 2):
            outcome = self.outcome_for(trace_id, attempt)
            if outcome.message is not None and outcome.message not in messages:
                messages.append(outcome.message)
            if outcome.kind == "succeed":
                return FinalState("succeeded", attempt, "ack", tuple(messages))
            if outcome.kind == "fail_non_retryable":
                return FinalState("dead_lettered", attempt, "ack", tuple(messages))
        return FinalState("dead_lettered", max_retries + 1, "retries_exhausted", tuple(messages))


# --------------------------------------------------------------------------------------------- messages

# Free of quotes, backslashes and control characters, so a message classifies the same on its own and inside
# the consumer's error text "workflow failed: 500 {...JSON body...}".
_FILLER_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters='"\\')
_RETRYABLE = (
    "fetch failed",
    "network connection lost",
    "upstream returned 502 Bad Gateway",
    "rate limited (429), try again later",
    "ECONNRESET",
    "timeout after 30000ms",
    "No HTTP handler registered for route x",
    "D1_ERROR: database is locked",
    # near misses of the seven patterns
    "field is  required",
    "requirement missing",
    "Unauthorised",
    "forbid",
    "invalidcredentials",
    "credentials invalid",
    "invalid-grant",
    "no payload",
    "lead not found in payload",
    "nothing found in the payload",
)
_NON_RETRYABLE = (
    "{var} is required",
    "missing required configuration",
    "Unauthorized",
    "upstream answered 401 unauthorized",
    "403 Forbidden",
    "FORBIDDEN",
    "Invalid API credentials",
    "invalid oauth client credentials",
    "token refresh failed: invalid_grant",
    "no email found in payload",
    "No lead found in payload",
    "workflow failed: 500 Missing Required configuration",
)
_VARS = ("CHAT_WEBHOOK_URL", "CLEANUP_SIGNING_SECRET", "GOOGLEAI_API_KEY", "field", "X")


# Each part below is one integer choice where it can be (several picks folded into one number), in composites
# rather than nested one_of/lists/builds: fault plans were the slowest strategy, and Hypothesis's cost grows
# with the number of choices and nested draws in an example.
_FREE_RETRYABLE = st.text(_FILLER_CHARS, min_size=1, max_size=30).filter(is_retryable)
_FILLER = st.text(_FILLER_CHARS, max_size=12)
_ENDING_NAMES = ("succeed", "succeed", "non_retryable", "forever")
_CORES = len(_NON_RETRYABLE) * len(_VARS)


def _draw_retryable(draw: st.DrawFn) -> str:
    """A known retryable message (two times in three, shrinking towards the first) or free text."""
    index = draw(between(0, 3 * len(_RETRYABLE) - 1))
    return _RETRYABLE[index % len(_RETRYABLE)] if index < 2 * len(_RETRYABLE) else draw(_FREE_RETRYABLE)


def _draw_non_retryable(draw: st.DrawFn) -> str:
    """A message holding one of the seven patterns, sometimes inside filler text."""
    template, var = divmod(draw(between(0, _CORES - 1)), len(_VARS))
    core = _NON_RETRYABLE[template].format(var=_VARS[var])
    return f"{draw(_FILLER)} {core} {draw(_FILLER)}".strip() if chance(draw, 2) else core


def _draw_outcomes(draw: st.DrawFn, max_attempts: int) -> tuple[AttemptOutcome, ...]:
    ending = pick(draw, _ENDING_NAMES)
    failures = draw(between(1, max_attempts) if ending == "forever" else between(0, max_attempts - 1))
    outcomes: list[AttemptOutcome] = []
    if failures:
        # A small per-task pool, so identical texts repeat as they do in practice; which pool message each
        # failure uses is one number written in base len(pool).
        pool = [_draw_retryable(draw) for _ in range(draw(between(1, 3)))]
        which = draw(between(0, len(pool) ** failures - 1)) if len(pool) > 1 else 0
        for _ in range(failures):
            which, index = divmod(which, len(pool))
            outcomes.append(fail_retryable(pool[index]))
    if ending == "succeed":
        outcomes.append(succeed())
    elif ending == "non_retryable":
        outcomes.append(fail_non_retryable(_draw_non_retryable(draw)))
    return tuple(outcomes)


def fault_plans(
    *,
    trace_ids: SearchStrategy[str] | None = None,
    min_tasks: int = 1,
    max_tasks: int | None = 5,
    max_attempts: int = 10,
) -> SearchStrategy[FaultPlan]:
    """:class:`FaultPlan` objects: for ``min_tasks``..``max_tasks`` distinct trace ids (from ``trace_ids``,
    default UUIDs), up to ``max_attempts`` outcomes each.

    A task fails retryably zero or more times (messages drawn from a small per-task pool, so identical texts
    repeat as they do in practice) and then succeeds, fails non-retryably, or keeps failing retryably for ever.
    Retryable messages match none of spec 5.3's patterns, including near misses (``Unauthorised``, ``invalid
    -grant``); non-retryable ones contain one of them (``CHAT_WEBHOOK_URL is required``, ``403 Forbidden``,
    ``invalid_grant`` ...). Messages hold no quotes, backslashes or control characters, so they classify the
    same when the consumer wraps a workflow error body around them. Use
    :meth:`FaultPlan.expected_final_state` for the outcome under a given ``max_retries``.
    """
    ids = st.uuids().map(str) if trace_ids is None else trace_ids
    check_strategy("trace_ids", ids)
    check_size_range("min_tasks", min_tasks, "max_tasks", max_tasks)
    check_int("max_attempts", max_attempts, min_value=1)

    def task(draw: st.DrawFn) -> tuple[str, tuple[AttemptOutcome, ...]]:
        return draw(ids), _draw_outcomes(draw, max_attempts)

    pairs = st.lists(st.composite(task)(), min_size=min_tasks, max_size=max_tasks, unique_by=lambda p: p[0])

    def fault_plans(draw: st.DrawFn) -> FaultPlan:
        return FaultPlan(tuple(draw(pairs)))

    return st.composite(fault_plans)()
