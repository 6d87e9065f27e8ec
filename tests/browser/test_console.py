"""The whole handoff in two browsers: a frustrated customer in the widget, an agent in the
console, and back to the bot (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, fresh_page, send
from tests.integration.test_conversations import Customer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SLOW = 30_000


@pytest.fixture
def agent_page(browser, stack) -> Iterator[Page]:
    with fresh_page(browser, stack.desk_url + "/console", 1400, 900) as console:
        yield console


def test_a_frustrated_customer_reaches_an_agent_and_comes_back_to_the_bot(page: Page, agent_page: Page, stack):
    # The customer (a VIP) gets frustrated in the widget; the desk escalates in that turn.
    page.get_by_label("Signed in as").select_option("C1002")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    send(page, "my order still hasn't arrived")
    expect(page.locator("#hp-chat .msg.bot").first).to_be_visible(timeout=SLOW)
    send(page, "This is absolutely ridiculous, worst service ever, I am so angry!!!")
    expect(page.locator("#hp-chat .msg.bot", has_text="bringing in a member of our team")).to_be_visible(timeout=SLOW)
    expect(page.locator("#hp-chat .status")).to_contain_text("waiting for a person")
    conversation_id = json.loads(page.evaluate("localStorage.getItem('hp-conversation:C1002')"))["id"]

    # An agent logs in and finds it at the top of the queue, with its summary.
    agent_page.locator("#username").fill("alex")
    agent_page.locator("#password").fill("harbor-agent-1")
    agent_page.locator("#login-form button[type=submit]").click()
    expect(agent_page.locator("#whoami")).to_contain_text("Alex Rivera", timeout=15_000)
    first = agent_page.locator("#queue .queue-item").first
    expect(first).to_have_attribute("data-conversation-id", conversation_id, timeout=15_000)
    expect(first).to_contain_text("Jonas Weber")

    # The queue is live: a customer asking for a person elsewhere appears without a reload.
    other = Customer(stack.desk_url)
    other.say("I want to talk to a human")
    expect(agent_page.locator(f'#queue .queue-item[data-conversation-id="{other.id}"]')).to_be_visible(timeout=15_000)

    first.click()
    summary = agent_page.locator("#summary")
    expect(summary).to_contain_text("my order still hasn't arrived", timeout=15_000)
    expect(summary).to_contain_text("very_angry")
    expect(summary).to_contain_text("vip")
    expect(agent_page.locator("#transcript .msg[data-sender=customer]")).to_have_count(2)
    expect(agent_page.locator("#sentiment-timeline > *")).to_have_count(2)
    expect(agent_page.locator("#profile")).to_contain_text("Jonas")

    agent_page.locator("#claim").click()
    expect(agent_page.locator("#conversation-status")).to_contain_text("(you)", timeout=15_000)
    expect(page.locator("#hp-chat .msg.bot", has_text="Alex Rivera from our team has joined")).to_be_visible(timeout=SLOW)
    expect(page.locator("#hp-chat .status")).to_have_text("chatting with Alex Rivera")
    agent_page.locator("#reply-text").fill("Hi Jonas, I'm Alex. I'm sorry about the wait; let me look into it.")
    agent_page.locator("#reply-text").press("Enter")
    expect(page.locator("#hp-chat .msg.agent")).to_contain_text("I'm Alex", timeout=SLOW)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent_page.screenshot(path=str(SCREENSHOTS / "console-conversation.png"))

    # The agent resolves; the customer rates; the bot answers the next message.
    agent_page.locator("#resolve").click()
    expect(page.locator("#hp-chat .msg.bot", has_text="How would you rate")).to_be_visible(timeout=SLOW)
    page.locator("#hp-chat .buttons button", has_text="5").click()
    expect(page.locator("#hp-chat .msg.bot", has_text="Thank you for rating us 5/5")).to_be_visible(timeout=SLOW)
    answered = page.locator("#hp-chat .msg.bot").count()
    send(page, "how do I return an item?")
    expect(page.locator("#hp-chat .msg.bot").nth(answered)).to_contain_text(re.compile("return", re.I), timeout=SLOW)
    page.screenshot(path=str(SCREENSHOTS / "widget-after-handoff.png"))
    expect(agent_page.locator("#conversation-status")).to_contain_text("Resolved", timeout=15_000)
