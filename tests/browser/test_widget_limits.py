"""The widget over the desk's rate limit, in Chromium: the customer is told calmly to wait,
and the text they typed comes back to send again. A desk of its own (no Rasa behind it),
with a limit of one message a minute per conversation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect

from bot.desk.app import create_app
from bot.serving import free_port
from bot.settings import Settings
from tests.browser.conftest import fresh_page, send

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def strict_desk(tmp_path) -> Iterator[str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", rasa_timeout_s=1,
                        rasa_url=f"http://127.0.0.1:{free_port()}",
                        rate_messages_per_conversation="1/minute")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_writing_too_fast_gets_a_calm_notice_and_the_text_back(browser, strict_desk):
    page: Page
    with fresh_page(browser, strict_desk + "/") as page:
        page.get_by_role("button", name="Chat with us").click()
        expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
        send(page, "where is my order")
        notice = page.locator("#hp-chat .msg.notice")
        expect(notice).to_contain_text("I'll reply here as soon as I can", timeout=15_000)  # no Rasa here
        send(page, "hello? anyone there")
        notice = notice.last
        expect(notice).to_contain_text("faster than I can keep up", timeout=15_000)
        expect(notice).to_contain_text("seconds")
        expect(page.locator("#hp-chat .msg.customer.unsent")).to_have_text("hello? anyone there")
        expect(page.get_by_label("Message")).to_have_value("hello? anyone there")
        expect(page.get_by_role("button", name="Send")).to_be_disabled()
