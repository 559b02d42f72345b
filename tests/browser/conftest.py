"""Fixtures for the browser tests: a headless Chromium driven by Selenium, and loopback servers to point it at.

Chromium and its driver come from the system (Debian packages ``chromium`` and ``chromium-driver``). When the
browser cannot start, the tests fail and say why; they never skip, so a CI run without a browser is visible.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,1000",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the ops dashboard page in a real headless Chromium")


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh headless Chromium per test (its own profile directory, so no state leaks between tests)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(f"selenium is not installed ({exc}); install the kit's test extra", pytrace=False)
    if not Path(CHROMEDRIVER).exists():
        pytest.fail(
            f"{CHROMEDRIVER} not found: install the Debian packages 'chromium' and 'chromium-driver'",
            pytrace=False,
        )
    profile = Path(tempfile.mkdtemp(prefix="wfk-chromium-", dir=tmp_path_factory.getbasetemp()))
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except Exception as exc:
        pytest.fail(f"headless Chromium could not start: {type(exc).__name__}: {exc}", pytrace=False)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
