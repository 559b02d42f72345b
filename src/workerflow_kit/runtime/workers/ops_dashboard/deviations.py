"""Where the ops dashboard answers differently from upstream, and the errors that carry those answers.

Upstream crashes in these situations (Cloudflare's bare 500 without a JSON body). The reference answers a
clean JSON error instead; each case is one :class:`~workerflow_kit.runtime.deviations.Deviation` below and one
exception type that the worker turns into that answer.
"""

from __future__ import annotations

from workerflow_kit.runtime.deviations import Deviation

__all__ = [
    "DEVIATIONS",
    "InvalidTimeZoneError",
    "MalformedEscapeError",
    "OpsFault",
]

_WORKER = "ops-dashboard"


class OpsFault(Exception):
    """A situation in which upstream crashes; ``status`` and ``body`` are the reference's clean answer."""

    status: int = 500

    def body(self) -> dict[str, object]:
        """The JSON body answered instead of the platform's error page."""
        return {"error": "internal error", "message": str(self)}


class MalformedEscapeError(OpsFault):
    """A path parameter held a percent-escape ``decodeURIComponent`` rejects (upstream: ``URIError``)."""

    status = 400

    def __init__(self, raw: str) -> None:
        super().__init__(f"path parameter {raw!r} is not a valid percent-encoded UTF-8 string")
        self.raw = raw

    def body(self) -> dict[str, object]:
        return {"error": "malformed URL escape", "message": str(self)}


class InvalidTimeZoneError(OpsFault):
    """A schedule's ``timeZone`` is not a zone ``Intl.DateTimeFormat`` knows (upstream: ``RangeError``)."""

    status = 400

    def __init__(self, time_zone: str) -> None:
        super().__init__(f"Invalid time zone specified: {time_zone}")
        self.time_zone = time_zone

    def body(self) -> dict[str, object]:
        return {"error": "invalid time zone", "timeZone": self.time_zone}


class ManifestFault(OpsFault):
    """The ops worker's manifest variables do not resolve (upstream throws from manifest resolution)."""

    status = 500

    def body(self) -> dict[str, object]:
        return {"error": "invalid manifest configuration", "message": str(self)}


class StorageFault(OpsFault):
    """A D1 statement or the queue send failed, or the binding is missing (upstream: the error propagates)."""

    status = 500

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what

    def body(self) -> dict[str, object]:
        return {"error": f"{self.what} unavailable", "message": str(self)}


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="ops.path-param.malformed-escape",
        worker=_WORKER,
        situation="a path parameter (run-detail, retry, route-detail, cron-detail, cron-run) holds a malformed "
        "percent-escape or escapes that are not UTF-8, e.g. /api/run-detail/%E0%A4%A",
        upstream="decodeURIComponent throws URIError: unhandled 500 (platform error page)",
        reference='400 {"error":"malformed URL escape","message":...}',
    ),
    Deviation(
        id="ops.cron-detail.invalid-time-zone",
        worker=_WORKER,
        situation="cron-detail for a schedule whose cron passes the next-run parser and whose timeZone is not "
        "an IANA zone",
        upstream="Intl.DateTimeFormat throws RangeError: unhandled 500",
        reference='400 {"error":"invalid time zone","timeZone":<the schedule timeZone>}',
    ),
    Deviation(
        id="ops.run-detail.missing-lineage-table",
        worker=_WORKER,
        situation="run-detail when migration 0002 (replay_lineage) is not applied",
        upstream="the lineage query throws: unhandled 500",
        reference="200 with retries.attempts [] and retries.parentTraceId = the requested trace id "
        "(as /api/replays and retry already tolerate the missing table)",
    ),
    Deviation(
        id="ops.manifest.resolution-error",
        worker=_WORKER,
        situation="any /api/* request (after auth) when MANIFEST_MODE=config and a *_CONFIG_JSON variable is invalid",
        upstream="manifest resolution throws: unhandled 500",
        reference='500 {"error":"invalid manifest configuration","message":<upstream message>}',
    ),
    Deviation(
        id="ops.timeline-detail.out-of-range-bucket",
        worker=_WORKER,
        situation="timeline-detail with a bucket Date.parse reads but whose window end lies beyond the JS "
        "time range (e.g. +275760-09-13T00:00:00.000Z)",
        upstream="new Date(end).toISOString() throws RangeError: unhandled 500",
        reference='400 {"error":"invalid bucket format","bucket":...}, as for any unreadable bucket',
    ),
    Deviation(
        id="ops.ui.env-name-unset",
        worker=_WORKER,
        situation="GET /, /app.js or /api/app.js when ENV_NAME is unset",
        upstream="the page builder throws: unhandled 500",
        reference="200: the page with an empty environment slot (the script fills it from /api/meta), and the script",
    ),
    Deviation(
        id="ops.storage.failure",
        worker=_WORKER,
        situation="a D1 statement fails (other than the tolerated lineage cases), the DB or AUTOMATION_QUEUE "
        "binding is missing, or the queue send fails",
        upstream="the error propagates: unhandled 500",
        reference='500 {"error":"database unavailable"|"queue unavailable","message":...}',
    ),
)
