"""The widget on the demo store page, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, send

pytestmark = [pytest.mark.integration, pytest.mark.browser]

def test_a_signed_in_customer_chats_in_the_widget(page: Page):
    page.get_by_label("Signed in as").select_option("C1002")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    bot = page.locator("#hp-chat .msg.bot")

    send(page, "hi")
    expect(bot.nth(0)).to_contain_text("Hi Jonas!", timeout=30_000)
    send(page, "I want to cancel my order")
    expect(bot.nth(1)).to_contain_text("Is this about order #20931", timeout=30_000)
    page.locator("#hp-chat .buttons button", has_text="#20931").click()
    expect(bot.nth(2)).to_contain_text("$5 handling fee", timeout=30_000)
    page.locator("#hp-chat .buttons button", has_text="No").click()
    expect(bot.nth(3)).to_contain_text("won't change order #20931", timeout=30_000)
    expect(page.locator("#hp-chat .msg.customer").last).to_have_text("No")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-conversation.png"))

    page.reload()
    page.get_by_label("Signed in as").select_option("C1002")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .msg.bot")).to_have_count(4, timeout=15_000)


def test_a_guest_is_asked_to_verify_before_seeing_orders(page: Page):
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    send(page, "where is my order")
    expect(page.locator("#hp-chat .msg.bot").first).to_contain_text("check it's you", timeout=30_000)


def test_the_widget_refuses_an_overlong_message_with_a_clear_error(page: Page):
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    page.get_by_label("Message").evaluate("(el, n) => { el.removeAttribute('maxlength'); el.value = 'x'.repeat(n); }", 4001)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#hp-chat .msg.error")).to_contain_text("at most 4000 characters")
    expect(page.locator("#hp-chat .msg.customer")).to_have_count(0)


def test_a_card_number_typed_in_the_widget_is_masked_and_the_customer_told_once(page: Page):
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    send(page, "you charged my card 4242 4242 4242 4242 twice")
    customer = page.locator("#hp-chat .msg.customer")
    expect(customer.first).to_have_text("you charged my card [card number removed] twice", timeout=30_000)
    expect(page.locator("#hp-chat .msg.bot").first).to_contain_text("never share card numbers", timeout=30_000)
    send(page, "it was 4242-4242-4242-4242")
    expect(customer.nth(1)).to_have_text("it was [card number removed]", timeout=30_000)
    expect(page.locator("#hp-chat .msg.bot", has_text="never share card numbers")).to_have_count(1)
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .msg.customer").first).to_have_text(
        "you charged my card [card number removed] twice", timeout=15_000)
    expect(page.locator("#hp-chat")).not_to_contain_text("4242 4242")
