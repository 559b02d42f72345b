"""A small client for the Cloudflare REST API calls bootstrap makes (D1 databases and Queues), over httpx.

Every answer comes in Cloudflare's envelope ``{"success", "errors": [{"code", "message"}], "messages",
"result", "result_info"}``; a failure becomes one :class:`CloudflareError` sentence quoting Cloudflare's
errors. Rate limits (429) are retried a bounded number of times, waiting what ``Retry-After`` asks (capped).
The token only ever goes into the ``Authorization`` header: no message, repr or log line contains it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from workerflow_kit.errors import KitError

__all__ = [
    "API_BASE",
    "CloudflareApiError",
    "CloudflareAuthError",
    "CloudflareClient",
    "CloudflareError",
    "CloudflareRateLimited",
    "CloudflareUnreachable",
]

API_BASE: Final = "https://api.cloudflare.com/client/v4"
_PER_PAGE: Final = 100
_MAX_PAGES: Final = 100


class CloudflareError(KitError):
    """The API answered with a failure (exit 1)."""

    exit_code = 1


@dataclass(frozen=True)
class ApiMessage:
    code: int | None
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code is not None else self.message


class CloudflareApiError(CloudflareError):
    """A non-success answer; ``errors`` holds Cloudflare's ``errors`` array."""

    def __init__(self, message: str, *, status: int, errors: tuple[ApiMessage, ...]) -> None:
        self.status = status
        self.errors = errors
        super().__init__(message)

    def has_code(self, *codes: int) -> bool:
        return any(error.code in codes for error in self.errors)

    def mentions(self, text: str) -> bool:
        return any(text in error.message.lower() for error in self.errors)


class CloudflareAuthError(CloudflareApiError):
    """401/403: the token is missing, invalid, or lacks a permission."""


class CloudflareRateLimited(CloudflareApiError):
    """429 after every allowed retry."""


class CloudflareUnreachable(CloudflareError):
    """The request never got an answer (DNS, connection, TLS, timeout): exit 3, like an unreachable target."""

    exit_code = 3


def _errors(body: Any) -> tuple[ApiMessage, ...]:
    items = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return ()
    found = []
    for item in items:
        if isinstance(item, dict):
            code = item.get("code")
            found.append(ApiMessage(code if isinstance(code, int) else None, str(item.get("message", ""))))
    return tuple(found)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class CloudflareClient:
    """Calls under ``/accounts/{account_id}``. ``client`` is injectable (tests pass none and mock with respx)."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = API_BASE,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        client: httpx.Client | None = None,
    ) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"CloudflareClient(base_url={str(self._client.base_url)!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, params: dict[str, Any] | None, body: Any) -> httpx.Response:
        for attempt in range(self._max_retries + 1):
            try:
                response = self._client.request(method, path, params=params, json=body, headers=self._headers)
            except httpx.TransportError as exc:
                host = self._client.base_url.host
                raise CloudflareUnreachable(
                    f"cannot reach {host} for {method} {path}: {type(exc).__name__}: {exc or 'no detail'}"
                ) from None
            if response.status_code != 429 or attempt == self._max_retries:
                return response
            # Cloudflare says how long to wait; honour it, within a bound, a bounded number of times.
            wait = _retry_after(response)
            self._sleep(min(self._max_wait, wait if wait is not None else 2.0 ** (attempt + 1)))
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        """The envelope of a successful call; a :class:`CloudflareError` subclass otherwise."""
        response = self._send(method, path, params, body)
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        errors = _errors(envelope)
        ok = response.is_success and isinstance(envelope, dict) and envelope.get("success") is True
        if ok:
            return envelope
        said = "; ".join(str(e) for e in errors) or (response.reason_phrase or "no error details")
        where = f"{method} {path}"
        status = response.status_code
        if status in (401, 403):
            raise CloudflareAuthError(
                f"Cloudflare refused the credentials for {where} (HTTP {status}: {said}); check that "
                "CLOUDFLARE_API_TOKEN is valid and grants D1 Edit and Queues Edit on this account",
                status=status,
                errors=errors,
            )
        if status == 429:
            raise CloudflareRateLimited(
                f"Cloudflare kept rate-limiting {where} (HTTP 429: {said}) after {self._max_retries} retries; "
                "wait a minute and run again",
                status=status,
                errors=errors,
            )
        raise CloudflareApiError(
            f"Cloudflare answered {where} with HTTP {status}: {said}", status=status, errors=errors
        )

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in range(1, _MAX_PAGES + 1):
            envelope = self.request("GET", path, params={**params, "page": page, "per_page": _PER_PAGE})
            items = envelope.get("result") or []
            yield from (item for item in items if isinstance(item, dict))
            info = envelope.get("result_info") or {}
            total_pages = info.get("total_pages")
            if len(items) < _PER_PAGE or (isinstance(total_pages, int) and page >= total_pages):
                return

    # -- resources -------------------------------------------------------------------------------------------

    def list_d1(self, account_id: str, name: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name} if name else {}
        return list(self._pages(f"/accounts/{account_id}/d1/database", params))

    def create_d1(self, account_id: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/accounts/{account_id}/d1/database", body={"name": name})[
            "result"
        ]
        return result

    def list_queues(self, account_id: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/accounts/{account_id}/queues", {}))

    def create_queue(self, account_id: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/accounts/{account_id}/queues", body={"queue_name": name})[
            "result"
        ]
        return result
