"""Tools for handler authors: write fixtures from real runs, validate them, and run them against a target.

::

    from workerflow_kit.authoring.route_fixtures import run_route_fixture
    from workerflow_kit.authoring.skeleton import record_route

    fixture = record_route("webhook_echo", {"hello": "world"})     # filled from the reference, in process
    with InProcessTarget() as target:
        outcome = run_route_fixture(target, fixture)               # passed / failed (differences) / skipped
        print(outcome.status, [str(d) for d in outcome.differences])

* :mod:`.diff`: the one pointer-based comparison (``/body/result/ok: expected true, got false``), also used by
  the suites' fixture checks;
* :mod:`.route_fixtures`, :mod:`.handler_fixtures`: run one fixture on any target (what ``routes.fixture``
  and ``workerflow-kit fixtures run`` both do);
* :mod:`.skeleton`: ``workerflow-kit fixtures new``; :mod:`.files`, :mod:`.runner`: ``fixtures validate|run``.
"""

# No imports here: the suites import :mod:`.diff`, and the runners import the suites, so the package itself
# stays empty to keep that from becoming an import cycle.
