"""The ops dashboard page in a real headless Chromium.

Two tests:

* against a scripted stand-in for the ops API (``stub_ops``), the page's own behaviour: the token prompt on a
  401, the bearer token on every call, escaping of hostile run data, keyboard tabs, the detail drawer, and a
  retry from the page;
* end to end against ``workerflow-kit serve``: a real dead letter is seeded through the API worker, retried
  from the Runs tab, and the retry is confirmed through the ops API (lineage row and the child run).

Run them with ``python -m pytest -m browser tests/browser``. A screenshot of each run is kept in the test's
``tmp_path``.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.browser.stub_ops import TOKEN, XSS_ERROR, XSS_OUTPUT, XSS_ROUTE, StubOps, ThreadedServer

pytestmark = pytest.mark.browser

T = TypeVar("T")
WAIT = 20.0


def _wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT, interval: float = 0.1) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except Exception as exc:  # the page may be mid-render; keep polling
            last_error = exc
        else:
            if value:
                return value
        time.sleep(interval)
    suffix = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{suffix}", pytrace=False)


def _by_css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def _all_css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def _card_values(driver: Any, container: str) -> dict[str, str]:
    return {
        card.find_element("css selector", ".label").text.strip().lower(): card.find_element(
            "css selector", ".value"
        ).text.strip()
        for card in _all_css(driver, f"#{container} .card")
    }


def _enter_token(driver: Any, token: str) -> None:
    field = _by_css(driver, "#token-input")
    field.clear()
    field.send_keys(token)
    _by_css(driver, "#token-save").click()


def _console_errors(driver: Any) -> list[str]:
    """SEVERE browser-log entries, except the expected 401s of API calls made before the token was entered."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = str(entry.get("message", ""))
        if "/api/" in message and "status of 401" in message:
            continue
        errors.append(message)
    return errors


def _screenshot(driver: Any, path: Path) -> None:
    driver.set_window_size(1440, 1000)
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, "the screenshot is suspiciously small: the page probably did not render"


# --------------------------------------------------------------------------------------------- stub API


@pytest.fixture
def stub() -> Iterator[tuple[StubOps, str]]:
    ops = StubOps()
    with ThreadedServer(ops.app()) as base_url:
        yield ops, base_url


def test_page_against_stub_api(browser: Any, stub: tuple[StubOps, str], tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    ops, base_url = stub
    browser.get(base_url + "/")
    assert browser.title == "WorkerFlow Cloudflare Ops"
    assert _by_css(browser, "h1").text == "WorkerFlow Cloudflare Ops Deck"
    assert _by_css(browser, "#env-name").text == "stub<env>"

    # No token yet: one probe, a 401, and a clear prompt instead of broken panels.
    _wait_for("the token prompt", lambda: _by_css(browser, "#auth-prompt").is_displayed())
    assert "Authentication required" in _by_css(browser, "#status-banner").text
    assert [path for _, path, _ in ops.requests] == ["/api/meta"]

    _enter_token(browser, "wrong-token")
    _wait_for("the rejected-token prompt", lambda: "rejected" in _by_css(browser, "#auth-prompt").text)

    _enter_token(browser, TOKEN)
    banner = _wait_for(
        "a healthy refresh",
        lambda: (text := _by_css(browser, "#status-banner").text).startswith("Dashboard is healthy") and text,
    )
    assert banner == "Dashboard is healthy. All panels refreshed."
    assert not _by_css(browser, "#auth-prompt").is_displayed()
    assert _by_css(browser, "#token-input").get_attribute("value") == ""
    assert _card_values(browser, "summary-cards") == {
        "total runs": "3",
        "succeeded": "1",
        "failed": "1",
        "in progress": "1",
        "dead letters": "1",
    }
    assert "Manifest: legacy" in _by_css(browser, "#manifest-info").text
    # Every call after the token was entered carried it as a bearer token.
    authorized = [auth for _, _, auth in ops.requests if auth == f"Bearer {TOKEN}"]
    assert len(authorized) >= 10
    after_token = ops.requests[ops.requests.index(next(r for r in ops.requests if r[2] == f"Bearer {TOKEN}")) :]
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in after_token)

    # Hostile data is shown as text, never run as markup.
    assert XSS_ROUTE in _by_css(browser, "#top-routes").text
    assert browser.execute_script("return window.__xss === undefined")
    assert _all_css(browser, "main img, main svg, main script") == []
    ext_link = _all_css(browser, "#extensions a")
    assert ext_link == [], "a javascript: docsUrl must not become a link"
    assert "<b>Runbook</b>" in _by_css(browser, "#extensions").text

    # Keyboard: the tab list follows the arrow keys.
    overview = _by_css(browser, "#tab-btn-overview")
    overview.send_keys(Keys.ARROW_RIGHT)
    assert _by_css(browser, "#tab-btn-incidents").get_attribute("aria-selected") == "true"
    assert _by_css(browser, "#tab-incidents").is_displayed()
    assert "1 hits" in _by_css(browser, "#incident-kpis").text

    # Dead letters: hostile error text rendered literally.
    _by_css(browser, "#tab-btn-deadletters").click()
    assert XSS_ERROR in _by_css(browser, "#dead-letters-body").text

    # Runs: inspect the succeeded run's output, then retry the failed run from its row.
    _by_css(browser, "#tab-btn-runs").click()
    _by_css(browser, '#runs-body [data-action="inspect"][data-trace="trace-ok-1"]').click()
    _wait_for("the run inspector", lambda: "trace-ok-1" in _by_css(browser, "#inspector-title").text)
    _by_css(browser, '#inspector-tabs [data-itab="output"]').click()
    _wait_for("the run output", lambda: "window.__xss=2" in _by_css(browser, "#inspector-body").text)
    assert "</pre><script>" in _by_css(browser, "#inspector-body").text

    retry = _by_css(browser, '#runs-body [data-action="retry"][data-trace="trace-bad-1"]')
    retry.click()
    new_trace = _wait_for(
        "the retry result",
        lambda: _by_css(browser, "#action-result [data-new-trace]").get_attribute("data-new-trace"),
    )
    assert [row["child"] for row in ops.lineage] == [new_trace]
    assert ("POST", "/api/retry/trace-bad-1", f"Bearer {TOKEN}") in ops.requests
    _by_css(browser, "#tab-btn-replays").click()
    _wait_for("the replay row", lambda: new_trace in _by_css(browser, "#replays-body").text)

    # Route detail drawer opens on click and closes with Escape, giving focus back.
    _by_css(browser, "#tab-btn-routes").click()
    opener = _by_css(browser, '#routes-body [data-action="route-detail"][data-route="chat_notify"]')
    opener.click()
    _wait_for("the route drawer", lambda: "p95 duration" in _by_css(browser, "#drawer-body").text)
    assert XSS_ERROR in _by_css(browser, "#drawer-body").text
    _by_css(browser, "#drawer-close").send_keys(Keys.ESCAPE)
    _wait_for("the drawer to close", lambda: not _by_css(browser, "#drawer").is_displayed())

    # The UI state is in the URL, and the token survives a reload of the tab.
    assert "tab=routes" in browser.current_url
    browser.refresh()
    _wait_for("a refresh after reload", lambda: "All panels refreshed" in _by_css(browser, "#status-banner").text)
    assert _by_css(browser, "#tab-routes").is_displayed()
    assert XSS_OUTPUT not in browser.page_source  # the raw output is only ever inserted as text

    _by_css(browser, "#tab-btn-overview").click()
    _screenshot(browser, tmp_path / "dashboard-stub.png")
    assert browser.execute_script("return window.__xss === undefined")
    assert _console_errors(browser) == []


# --------------------------------------------------------------------------------------------- end to end


class _Served:
    def __init__(self, process: subprocess.Popen[str], urls: dict[str, str]) -> None:
        self.process = process
        self.urls = urls


def _start_serve(token: str) -> _Served:
    try:
        import workerflow_kit.runtime.serve  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"the loopback runtime (workerflow_kit.runtime.serve) is not available yet: {exc}", pytrace=False)
    command = [
        sys.executable, "-m", "workerflow_kit", "serve",
        "--api-port", "0", "--workflow-port", "0", "--ops-port", "0", "--scheduler-port", "0",
        "--env", f"OPS_DASHBOARD_TOKEN={token}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="serve-output", daemon=True).start()
    urls: dict[str, str] = {}
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            line = None
            if process.poll() is None:
                _stop(process)
            pytest.fail("`serve` printed no `ready` line within 60 s; output:\n" + "".join(seen), pytrace=False)
        if line is None:
            pytest.fail(f"`serve` exited ({process.poll()}) before `ready`; output:\n" + "".join(seen), pytrace=False)
        seen.append(line)
        match = re.match(r"^\s*([\w-]+)\s+(https?://\S+)", line)
        if match:
            urls[match.group(1).lower()] = match.group(2).rstrip("/")
        if line.strip().lower() == "ready" or line.strip().lower().startswith("ready"):
            break
    ops = next((url for name, url in urls.items() if name.startswith("ops")), None)
    if ops is None or "api" not in urls:
        _stop(process)
        pytest.fail("`serve` did not print api and ops URLs; output:\n" + "".join(seen), pytrace=False)
    return _Served(process, {"api": urls["api"], "ops": ops})


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture
def served() -> Iterator[tuple[_Served, str]]:
    token = "ops-" + secrets.token_hex(8)
    server = _start_serve(token)
    try:
        yield server, token
    finally:
        _stop(server.process)


def test_retry_dead_letter_end_to_end(browser: Any, served: tuple[_Served, str], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    server, token = served
    ops = httpx.Client(base_url=server.urls["ops"], headers={"authorization": f"Bearer {token}"}, timeout=10)
    api = httpx.Client(base_url=server.urls["api"], timeout=10)
    with ops, api:
        assert ops.get("/api/summary", headers={"authorization": ""}).status_code == 401

        # Seed a dead letter: chat_notify without a chat webhook fails for good and is dead-lettered.
        accepted = api.post("/api/chat_notify", json={"text": "browser test"})
        assert accepted.status_code == 202, accepted.text
        trace = accepted.json()["traceId"]

        def dead_lettered() -> bool:
            letters = ops.get("/api/dead-letters", params={"limit": 250}).json()["deadLetters"]
            return any(item["traceId"] == trace for item in letters)

        _wait_for(f"dead letter for {trace}", dead_lettered, timeout=45, interval=0.5)

        # The page: prompt for the token, then the summary from the API.
        browser.get(server.urls["ops"] + "/")
        assert "WorkerFlow Cloudflare Ops Deck" in browser.page_source
        _wait_for("the token prompt", lambda: _by_css(browser, "#auth-prompt").is_displayed())
        _enter_token(browser, token)
        _wait_for("a healthy refresh", lambda: "All panels refreshed" in _by_css(browser, "#status-banner").text)
        summary = ops.get("/api/summary").json()
        cards = _card_values(browser, "summary-cards")
        assert cards["total runs"] == str(summary["totalRuns"])
        assert int(cards["dead letters"]) >= 1
        assert int(cards["failed"]) >= 1

        # Runs tab: retry the dead-lettered run from its row.
        _by_css(browser, "#tab-btn-runs").click()
        row_retry = f'#runs-body [data-action="retry"][data-trace="{trace}"]'
        _wait_for("the failed run's Retry button", lambda: browser.find_elements(By.CSS_SELECTOR, row_retry))
        _by_css(browser, row_retry).click()
        new_trace = _wait_for(
            "the new trace id on the page",
            lambda: _by_css(browser, "#action-result [data-new-trace]").get_attribute("data-new-trace"),
        )
        assert new_trace != trace
        assert new_trace in _by_css(browser, "#action-result").text

        # Through the API: a lineage row from the dead letter's trace to the new one, and the child's run.
        chains = ops.get("/api/replays").json()["chains"]
        chain = next((c for c in chains if c["parentTraceId"] == trace), None)
        assert chain is not None, chains
        assert [a["childTraceId"] for a in chain["attempts"]] == [new_trace]
        assert chain["attempts"][0]["retryCount"] == 1

        def child_run() -> bool:
            runs = ops.get("/api/runs", params={"limit": 250}).json()["runs"]
            return any(run["traceId"] == new_trace for run in runs)

        _wait_for(f"the retried run {new_trace}", child_run, timeout=45, interval=0.5)

        # The page shows the replay too.
        _by_css(browser, "#tab-btn-replays").click()
        _by_css(browser, "#refresh-replays").click()
        _wait_for("the replay row on the page", lambda: new_trace in _by_css(browser, "#replays-body").text)
        # And the child run in the Runs list, once reloaded (inspected, so the screenshot shows its lineage).
        _by_css(browser, "#tab-btn-runs").click()
        _by_css(browser, "#refresh-runs").click()
        _wait_for("the retried run on the page", lambda: new_trace in _by_css(browser, "#runs-body").text)
        _by_css(browser, f'#runs-body [data-action="inspect"][data-trace="{trace}"]').click()
        _by_css(browser, '#inspector-tabs [data-itab="retries"]').click()
        _wait_for("the retry lineage in the inspector", lambda: new_trace in _by_css(browser, "#inspector-body").text)
        _screenshot(browser, tmp_path / "dashboard-serve.png")
        assert _console_errors(browser) == []
