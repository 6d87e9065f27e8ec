"""Debian's Chromium through Playwright: one browser per session, a fresh context per page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "results" / "screenshots"
# Chromium on a machine without network or display: no background traffic, no sandbox (root).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def fresh_page(browser, url: str, width: int = 1200, height: int = 800) -> Iterator[Page]:
    """A page in its own browser context (own cookies and localStorage)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    new_page = context.new_page()
    new_page.goto(url)
    yield new_page
    context.close()


@pytest.fixture
def page(browser, stack) -> Iterator[Page]:
    """The demo store page, where customers open the widget."""
    with fresh_page(browser, stack.desk_url + "/") as store_page:
        yield store_page


def send(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
