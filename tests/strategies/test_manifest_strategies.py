"""Route paths, route and schedule definitions and manifests are valid for their contracts."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit import strategies as wst
from workerflow_kit.contracts import cron
from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition, is_route_item
from workerflow_kit.contracts.schemas import validate_document

_URL_SAFE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+")


@given(wst.route_paths())
def test_route_paths_are_single_segments(segment: str) -> None:
    assert segment
    assert "/" not in segment
    assert 1 <= len(segment) <= 40


@given(wst.route_paths(url_safe=True, min_size=2, max_size=6))
def test_url_safe_route_paths_travel_verbatim(segment: str) -> None:
    assert _URL_SAFE.fullmatch(segment), segment
    assert 2 <= len(segment) <= 6
    assert segment.lower() not in {".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"}


@given(wst.route_definitions())
def test_route_definitions_match_the_schema(route: RouteDefinition) -> None:
    assert validate_document([route.as_json()], "routes-config") == []
    assert list(route.as_json()) == ["routePath", "requestType", "flowPath", "wrapBody"]


@given(wst.route_definitions(extra_fields=True))
def test_extra_fields_pass_the_runtime_check_only(route: RouteDefinition) -> None:
    assert is_route_item(route.as_json())
    assert route.extras
    assert validate_document([route.as_json()], "routes-config") != []


@given(wst.route_definitions(request_types=st.just("sync"), wrap_body=st.just(True)))
def test_route_parts_can_be_fixed(route: RouteDefinition) -> None:
    assert (route.requestType, route.wrapBody) == ("sync", True)


@given(wst.schedule_definitions())
def test_schedule_definitions_match_the_schema(schedule: ScheduleDefinition) -> None:
    assert validate_document([schedule.as_json()], "schedules-config") == []
    assert list(schedule.as_json()) == ["id", "cron", "enabled", "target", "timeZone"]
    cron.validate(schedule.cron)


@given(wst.schedule_definitions(crons=st.just("0 * * * *"), enabled=st.just(False)))
def test_schedule_parts_can_be_fixed(schedule: ScheduleDefinition) -> None:
    assert (schedule.cron, schedule.enabled) == ("0 * * * *", False)


@given(wst.manifests(min_routes=1, max_routes=3, min_schedules=2, max_schedules=2))
def test_manifests_respect_sizes_and_uniqueness(manifest: Manifest) -> None:
    assert manifest.mode == "config"
    assert 1 <= len(manifest.routes) <= 3
    assert len(manifest.schedules) == 2
    assert len({r.routePath for r in manifest.routes}) == len(manifest.routes)
    assert len({s.id for s in manifest.schedules}) == len(manifest.schedules)
    assert validate_document([r.as_json() for r in manifest.routes], "routes-config") == []
    assert validate_document([s.as_json() for s in manifest.schedules], "schedules-config") == []


def test_duplicates_are_common_without_unique_ids() -> None:
    seen = []

    @settings(max_examples=100, database=None)
    @given(wst.manifests(min_routes=3, max_routes=3, unique_ids=False))
    def collect(manifest: Manifest) -> None:
        seen.append(len({r.routePath for r in manifest.routes}) < 3)

    collect()
    assert sum(seen) >= 10
