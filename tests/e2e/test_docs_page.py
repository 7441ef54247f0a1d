"""GET /docs in a real headless Chromium against `cl3 api`: every route listed, tries work.

Debian's /usr/bin/chromium driven by its /usr/bin/chromedriver through selenium (installed
by .ci/run; nothing is downloaded). The page must render every operation of /openapi.json,
load nothing from another origin, and let a user paste a token and run "Try it out" on
/health and on an authenticated endpoint. A screenshot is kept under .cl3/artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from cl3_cli.processes import ProcessGroup, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,2200",
)  # fmt: skip


@pytest.fixture
def api_base(env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup({**os.environ, **env}, tmp_path / "logs") as procs:
        proc = procs.start("api", "api", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", proc)
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def try_it_out(browser: WebDriver, wait: WebDriverWait, operation_id: str) -> tuple[str, str]:
    """Expands an operation, presses "Try it out" and "Execute"; (status, body) it shows."""
    block = browser.find_element(By.ID, operation_id)
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    _click(wait, block, "button.try-out__btn")
    _click(wait, block, "button.execute")
    status = wait.until(
        lambda _: block.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        )
    )[0]
    body = block.find_element(
        By.CSS_SELECTOR, ".live-responses-table .response-col_description pre"
    )
    return status.text.strip(), body.text


def _click(wait: WebDriverWait, scope: WebElement, selector: str) -> None:
    wait.until(lambda _: scope.find_elements(By.CSS_SELECTOR, selector))[0].click()


def test_the_docs_page_lists_every_route_and_runs_requests(api_base, browser, token):
    document = requests.get(f"{api_base}/openapi.json", timeout=5).json()
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    wait = WebDriverWait(browser, 30)
    browser.get(f"{api_base}/docs")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(operations))

    shown = {
        (b.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
         b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
        for b in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }  # fmt: skip
    assert shown == operations

    # A token pasted under "Authorize" is sent by every try.
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    field = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".modal-ux input"))[0]
    field.send_keys(token("docs-user", "pro"))
    browser.find_element(By.CSS_SELECTOR, ".modal-ux button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()

    status, body = try_it_out(browser, wait, "operations-health-health")
    assert status == "200" and '"status": "ok"' in body
    status, body = try_it_out(browser, wait, "operations-symbols-symbols")
    assert status == "200" and '"BTCUSDT"' in body

    # Everything the page loaded came from the API itself (no CDN).
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(api_base) for url in loaded), loaded
    artifacts = ROOT / ".cl3" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(artifacts / "docs-page.png"))
