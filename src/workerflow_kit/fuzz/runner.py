"""The fuzz engine: Schemathesis generates cases per operation, the target's clients send them, checks judge.

::

    with InProcessTarget() as target:
        report = fuzz(target, FuzzOptions(max_examples=20))
    print(report.verdict_line())

Per document and operation: the schema's examples, then positive cases, then negative cases (when the
operation has something to negate), each through Hypothesis with ``max_examples`` cases. Every response goes
through every enabled check of :data:`~workerflow_kit.fuzz.checks.FUZZ_CHECKS`; failures are collected, never
raised, so a run reports all of them, each once per (check, operation, message) with a curl reproduction.

Speed: schemas, their validators and strategies are built once per process (:mod:`.documents`); each
operation's check context is built once; requests go through the target's long-lived clients; no shrinking.
Without the ``writes_allowed`` capability (a read-only URL target) only GET and HEAD operations are fuzzed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import httpx

from workerflow_kit.errors import KitError
from workerflow_kit.fuzz.checks import FUZZ_CHECKS, FuzzCheck, builtin_check
from workerflow_kit.fuzz.documents import DOCUMENTS, WORKER_OF, load_schema
from workerflow_kit.fuzz.session import CREDENTIAL_HEADERS, FuzzSession, activate
from workerflow_kit.fuzz.wire import build_request, curl_line, redact, to_schemathesis
from workerflow_kit.live.errors import BudgetExhausted, RetriesExhausted, RouteNotAllowed
from workerflow_kit.suites.checks import Level
from workerflow_kit.targets.base import Capability, MissingCapability, Target, TargetError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import APIOperation, Case, CheckContext

    Operation = APIOperation[Any, Any, Any, Any]

__all__ = ["CheckTally", "FuzzFailure", "FuzzOptions", "FuzzReport", "TargetUnreachable", "fuzz"]

_BATCH: Final = 4
"""Cases per Hypothesis example: one engine step drives several requests (its per-example cost dominates)."""
_BATCH_FROM: Final = 12
"""Smaller runs draw one case per example: a batch's first draw is Hypothesis's minimal case, four times over."""
READ_ONLY_METHODS: Final = frozenset({"GET", "HEAD"})
_CONSTRAINTS: Final = frozenset(
    {"enum", "const", "pattern", "format", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
)


class TargetUnreachable(TargetError):
    """The target stopped answering during the run (exit 3)."""

    exit_code = 3


class _OutOfTime(Exception):
    """Raised inside a Hypothesis test to end the run at ``max_time`` (no shrinking, so it ends at once)."""


@dataclass(frozen=True)
class FuzzOptions:
    """How much to fuzz: ``max_examples`` cases per operation and generation mode, an optional time budget."""

    max_examples: int = 20
    max_time: float | None = None
    documents: tuple[str, ...] = DOCUMENTS
    seed: int | None = None
    """Hypothesis seed; ``None`` derandomizes (the same cases every run)."""
    negative: bool = True

    def __post_init__(self) -> None:
        if self.max_examples < 1:
            raise KitError(f"max_examples must be at least 1, got {self.max_examples}")
        if self.max_time is not None and self.max_time <= 0:
            raise KitError(f"max_time must be positive, got {self.max_time}")
        unknown = [d for d in self.documents if d not in DOCUMENTS]
        if unknown or not self.documents:
            raise KitError(f"documents are {', '.join(DOCUMENTS)}; got {', '.join(unknown) or 'none'}")


@dataclass
class CheckTally:
    """How one check fared: responses it judged, failures, and a skip reason when it could not run."""

    check: FuzzCheck
    checked: int = 0
    failed: int = 0
    skipped: str | None = None


@dataclass(frozen=True)
class FuzzFailure:
    """One distinct failure: the check, where, what, and a curl line that reproduces it (tokens redacted)."""

    check_id: str
    level: Level
    document: str
    operation: str
    message: str
    reproduction: str
    occurrences: int = 1

    def render(self) -> str:
        """``[id | level] api POST /api/{routePath}: message`` plus the reproduction on the next line."""
        first = " ".join(self.message.split())
        head = f"[{self.check_id} | {self.level.value}] {self.document} {self.operation}: {first}"
        return f"{head}\n  reproduce: {self.reproduction}"


@dataclass
class FuzzReport:
    """What a run found: cases sent, per-check tallies, distinct failures, and what was left out."""

    cases: int = 0
    seconds: float = 0.0
    operations: int = 0
    tallies: dict[str, CheckTally] = field(default_factory=dict)
    failures: list[FuzzFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds > 0 else 0.0

    def failed_ids(self, level: Level) -> list[str]:
        return sorted({f.check_id for f in self.failures if f.level == level})


Progress = Callable[[str], None]


# ------------------------------------------------------------------------------------------ running


def fuzz(target: Target, options: FuzzOptions | None = None, *, on_progress: Progress | None = None) -> FuzzReport:
    """Fuzz ``options.documents`` against ``target`` and return the report (failures are reported, not raised)."""
    options = options or FuzzOptions()
    report = FuzzReport(tallies={c.id: CheckTally(c) for c in FUZZ_CHECKS})
    for tally in report.tallies.values():
        lacking = target.missing(*tally.check.requires)
        if lacking:
            tally.skipped = str(MissingCapability(lacking[0], target.name))
    deadline = None if options.max_time is None else time.monotonic() + options.max_time
    started = time.perf_counter()
    try:
        for document in options.documents:
            worker = WORKER_OF[document]
            if not target.has_worker(worker):
                report.notes.append(f"{document}: skipped, target '{target.name}' has no {worker} worker configured")
                continue
            client = target.api if worker == "api" else target.ops
            session = FuzzSession(target=target, document=document, client=client)
            _DocumentRun(session, options, report, deadline, on_progress).run()
    except _OutOfTime:
        report.timed_out = True
        report.notes.append(f"stopped at the time budget of {options.max_time:g} s")
    except BudgetExhausted as exc:
        report.timed_out = True
        report.notes.append(f"stopped: {exc.render()}")
    report.seconds = time.perf_counter() - started
    return report


class _DocumentRun:
    """One document against one target: operations, strategies, sending, checking, recording."""

    def __init__(
        self,
        session: FuzzSession,
        options: FuzzOptions,
        report: FuzzReport,
        deadline: float | None,
        on_progress: Progress | None,
    ) -> None:
        self.session = session
        self.target = session.target
        self.client = session.client
        self.options = options
        self.report = report
        self.deadline = deadline
        self.on_progress = on_progress
        self.secrets = _secrets(session.client)
        self.origins = 0
        self.refused = 0

    def run(self) -> None:
        from schemathesis import GenerationMode
        from schemathesis.core.result import Err

        document = self.session.document
        schema = load_schema(document)
        writes = self.target.has(Capability.WRITES_ALLOWED)
        runnable = [(t.check, builtin_check(t.check.name)) for t in self.report.tallies.values() if t.skipped is None]
        left_out: list[str] = []
        with activate(self.session):
            for result in schema.get_all_operations():
                if isinstance(result, Err):
                    raise KitError(f"the {document} OpenAPI document has an unusable operation: {result.err()}")
                operation = result.ok()
                if not writes and operation.method.upper() not in READ_ONLY_METHODS:
                    left_out.append(operation.label)
                    continue
                self.report.operations += 1
                before = self.report.cases
                ctx, checks = _context(schema, operation, runnable)
                trace_header = _header_parameter(operation, "x-trace-id")
                origin_header = _header_parameter(operation, "origin")

                run_case = partial(
                    self.run_case, ctx=ctx, checks=checks, trace_header=trace_header, origin_header=origin_header
                )
                for strategy in _strategies(operation, self.options, GenerationMode):
                    _drive(strategy, self.options, run_case)
                if self.on_progress is not None:
                    self.on_progress(f"{document} {operation.label}: {self.report.cases - before} cases")
        if self.refused:
            self.report.notes.append(f"{document}: {self.refused} cases not sent (routes outside the allow-list)")
        if left_out:
            lacking = MissingCapability(Capability.WRITES_ALLOWED, self.target.name)
            self.report.notes.append(f"{document}: {len(left_out)} operations not fuzzed (they write; {lacking})")

    def run_case(
        self,
        case: Case[Any],
        *,
        ctx: CheckContext,
        checks: list[tuple[FuzzCheck, Any]],
        trace_header: str | None,
        origin_header: str | None,
    ) -> None:
        from schemathesis.core.failures import Failure, FailureGroup

        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime
        extra: dict[str, str] = {}
        headers: dict[str, Any] = dict(case.headers or {})
        if trace_header is not None:
            generated = headers.get(trace_header)
            # A blank id exercises "blank means none"; any other is replaced by one of this run's ids.
            if not (isinstance(generated, str) and not generated.strip()):
                extra[trace_header] = self.target.new_trace_id("fuzz")
        if origin_header is not None and not headers.get(origin_header):
            # Generation often leaves the optional Origin out; every other such case sends one, so CORS echo
            # is exercised on every operation even in small runs.
            self.origins += 1
            if self.origins % 2:
                extra[origin_header] = f"https://{self.target.run_id}-{self.origins}.fuzz.example"
        request = build_request(self.client, case, extra_headers=extra)
        self.session.last_request = request
        try:
            response = self.client.send(request)
        except RouteNotAllowed:
            self.refused += 1  # live mode's allow-list keeps this route out of the run
            return
        except (httpx.TransportError, RetriesExhausted) as exc:
            raise TargetUnreachable(f"{request.method} {request.url} got no answer: {_one_line(exc)}") from None
        self.report.cases += 1
        answer = to_schemathesis(response)
        for check, function in checks:
            try:
                outcome = function(ctx, answer, case)
            except FailureGroup as group:
                for failure in group.exceptions:
                    self.record(check, case, failure, request)
            except (Failure, AssertionError) as exc:
                self.record(check, case, exc, request)
            except RouteNotAllowed:
                continue
            except (httpx.TransportError, RetriesExhausted) as exc:
                raise TargetUnreachable(f"a re-sent request got no answer: {_one_line(exc)}") from None
            else:
                if not outcome:
                    self.report.tallies[check.id].checked += 1

    def record(self, check: FuzzCheck, case: Case[Any], exc: BaseException, request: httpx.Request) -> None:
        """Count a failure; keep it once per (check, operation, first message line) with its reproduction."""
        tally = self.report.tallies[check.id]
        tally.checked += 1
        tally.failed += 1
        title = getattr(exc, "title", "") or ""
        detail = getattr(exc, "message", None)
        text = str(exc) if detail is None else (detail if title == check.id else f"{title}: {detail}")
        message = redact(text.strip() or type(exc).__name__, self.secrets)
        document = self.session.document
        key = (check.id, document, case.operation.label, message.splitlines()[0])
        failures = self.report.failures
        for index, known in enumerate(failures):
            if (known.check_id, known.document, known.operation, known.message.splitlines()[0]) == key:
                failures[index] = replace(known, occurrences=known.occurrences + 1)
                return
        failures.append(
            FuzzFailure(
                check_id=check.id,
                level=check.level,
                document=document,
                operation=case.operation.label,
                message=message,
                reproduction=redact(curl_line(request), self.secrets),
            )
        )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _secrets(client: httpx.Client) -> list[str]:
    """Token values the client sends (whole header values and the part after ``Bearer``), for redaction."""
    found: list[str] = []
    for name in CREDENTIAL_HEADERS:
        value = client.headers.get(name)
        if value:
            found.append(value)
            if value.lower().startswith("bearer "):
                found.append(value[7:].strip())
    return sorted(found, key=len, reverse=True)


def _context(schema: Any, operation: Operation, runnable: list[tuple[FuzzCheck, Any]]) -> tuple[Any, Any]:
    """The operation's check context (its config from ``schemathesis.toml``) and the checks enabled for it."""
    from schemathesis import CheckContext

    config = schema.config.checks_config_for(operation=operation, phase="fuzzing")
    ctx = CheckContext(
        override=None, auth=None, headers=None, config=config, transport_kwargs=None, response_checks=None
    )
    enabled = [(check, function) for check, function in runnable if config.get_by_name(name=check.name).enabled]
    return ctx, enabled


def _header_parameter(operation: Operation, name: str) -> str | None:
    """The operation's header parameter called ``name`` (any case), as the document spells it, if declared."""
    for parameter in operation.headers:
        if parameter.name.lower() == name:
            return str(parameter.name)
    return None


def _negatable(operation: Operation) -> bool:
    """Whether Schemathesis can make a schema-invalid request for ``operation`` (else negative mode is skipped).

    Everything travels as text in paths and headers, so only constrained parameters can be broken there; a
    body schema that constrains anything can be broken too. (Schemathesis would find out by rejecting every
    draw, which costs a second per operation.)
    """
    raw = operation.definition.raw
    for parameter in operation.query:
        if parameter.definition.get("required") or _constrained(parameter.definition.get("schema", {}), True):
            return True
    for container in (operation.path_parameters, operation.headers, operation.cookies):
        for parameter in container:
            if _constrained(parameter.definition.get("schema", {}), False):
                return True
    body = raw.get("requestBody")
    if isinstance(body, dict) and "$ref" not in body:
        return any(_constrained(media.get("schema", {}), True) for media in body.get("content", {}).values())
    return False


def _constrained(schema: Any, typed: bool) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    if _CONSTRAINTS & schema.keys():
        return True
    kind = schema.get("type")
    return typed and ((kind is not None and kind != "string") or "required" in schema)


def _strategies(operation: Operation, options: FuzzOptions, modes: Any) -> Iterable[SearchStrategy[Case[Any]]]:
    from hypothesis import strategies as st

    examples = operation.get_strategies_from_examples()
    if examples:
        yield st.one_of(*examples)
    yield operation.as_strategy(generation_mode=modes.POSITIVE)
    if options.negative and _negatable(operation):
        yield operation.as_strategy(generation_mode=modes.NEGATIVE)


def _drive(strategy: SearchStrategy[Case[Any]], options: FuzzOptions, run_case: Callable[[Case[Any]], None]) -> None:
    """Run ``run_case`` on up to ``max_examples`` cases of ``strategy`` (generation only: no shrinking)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as with_seed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable

    batch = _BATCH if options.max_examples >= _BATCH_FROM else 1
    cases = st.lists(strategy, min_size=batch, max_size=batch)

    @given(cases)
    @settings(
        max_examples=max(1, -(-options.max_examples // batch)),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=options.seed is None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )
    def test(batch_of_cases: list[Case[Any]]) -> None:
        for case in batch_of_cases:
            run_case(case)

    runnable = test if options.seed is None else with_seed(options.seed)(test)
    try:
        runnable()
    except Unsatisfiable:
        return  # nothing schema-invalid to send for this operation
