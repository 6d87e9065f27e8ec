"""The editors' loop in Debian's Chromium: a customer is misunderstood, an editor teaches the
bot from the review inbox, trains, compares, tries and publishes the candidate, and the same
message is understood; a rollback undoes it; customers chatting all the while lose nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, fresh_page, send
from tests.integration.test_conversations import Customer
from tests.profile import embedded_only

# The studio publishes by swapping one Rasa server; the production profile (several)
# refuses to, which tests/integration/test_workers.py checks.
pytestmark = [pytest.mark.integration, pytest.mark.browser, embedded_only]
SLOW = 30_000
MISSED = "still no sign of the blender"
CHATTER = ["hi", "can I pay with paypal?", "how long do I have to return something?", "thanks"]


class Chatter(threading.Thread):
    """A customer who keeps chatting through the desk while the editor publishes."""

    def __init__(self, desk_url: str) -> None:
        super().__init__(daemon=True)
        self.customer = Customer(desk_url)
        self.stop = threading.Event()
        self.sent = 0
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            text = CHATTER[self.sent % len(CHATTER)]
            try:
                response = self.customer.http.post(f"/api/conversations/{self.customer.id}/messages",
                                                   json={"text": text}, headers=self.customer.headers)
                if response.status_code != 200 or not any(r["text"] for r in response.json()["replies"]):
                    self.errors.append(f"{text!r}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as error:
                self.errors.append(f"{text!r}: {error!r}")
            self.sent += 1
            self.stop.wait(0.5)


@pytest.fixture
def editor_page(browser, stack) -> Iterator[Page]:
    with fresh_page(browser, stack.desk_url + "/console/studio", 1400, 1000) as studio:
        yield studio


def test_an_editor_teaches_the_bot_a_missed_message_and_publishes_without_losing_one(
        page: Page, editor_page: Page, browser, stack):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A customer's message is misunderstood.
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
    send(page, MISSED)
    expect(page.locator("#hp-chat .msg.bot").first).to_contain_text("not sure", timeout=SLOW)

    # The editor finds it grouped in the inbox and assigns it to the right intent.
    editor_page.locator("#username").fill("erin")
    editor_page.locator("#password").fill("harbor-editor-1")
    editor_page.get_by_role("button", name="Sign in").click()
    group = editor_page.locator(".group", has_text=MISSED)
    expect(group).to_be_visible(timeout=SLOW)
    expect(group).to_contain_text("fallback")
    editor_page.screenshot(path=str(SCREENSHOTS / "studio-inbox.png"))
    group.get_by_label("Intent for this group").select_option("track_order")
    group.get_by_role("button", name="Add to intent").click()
    expect(editor_page.locator("#studio-notice")).to_contain_text("Added to track_order")
    expect(editor_page.locator(".group", has_text=MISSED)).to_have_count(0)

    # Customers keep chatting while the candidate is trained and published.
    chatters = [Chatter(stack.desk_url) for _ in range(2)]
    for chatter in chatters:
        chatter.start()
    old_rasa = stack.rasa_url

    editor_page.get_by_role("tab", name="Train & publish").click()
    editor_page.get_by_role("button", name="Train candidate").click()
    expect(editor_page.locator("#train-steps li.running")).to_have_count(1, timeout=SLOW)
    expect(editor_page.locator("#verdict")).to_contain_text("Ready to publish", timeout=360_000)
    expect(editor_page.locator("#score-candidate")).to_contain_text("%")
    expect(editor_page.locator("#score-active")).to_contain_text("%")
    expect(editor_page.locator("#score-stories")).to_contain_text("pass")

    # Before publishing, the editor tries the candidate in a test chat.
    editor_page.locator("#chat-text").fill(MISSED)
    editor_page.locator("#chat-form").get_by_role("button", name="Send").click()
    expect(editor_page.locator("#chat-log p").nth(1)).to_contain_text("check it's you", timeout=SLOW)
    editor_page.screenshot(path=str(SCREENSHOTS / "studio-publish.png"), full_page=True)

    editor_page.get_by_role("button", name="Publish", exact=True).click()
    expect(editor_page.locator("#studio-notice")).to_contain_text("is live", timeout=SLOW)
    expect(editor_page.locator("#releases")).to_contain_text("serving")
    assert stack.rasa_url != old_rasa

    # The same message in the widget is now understood, by the new server.
    with fresh_page(browser, stack.desk_url + "/") as later:
        later.get_by_role("button", name="Chat with us").click()
        expect(later.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
        send(later, MISSED)
        expect(later.locator("#hp-chat .msg.bot").first).to_contain_text("check it's you", timeout=SLOW)

    # One click rolls back to the model the assistant started with, again by a server swap.
    published_rasa = stack.rasa_url
    threading.Event().wait(6)  # the first old server's grace period
    editor_page.locator("#releases tr", has_text="the model the assistant started with") \
        .get_by_role("button", name="Roll back to this").click()
    expect(editor_page.locator("#studio-notice")).to_contain_text("Rolled back", timeout=120_000)
    assert stack.rasa_url not in (old_rasa, published_rasa)
    with fresh_page(browser, stack.desk_url + "/") as again:
        again.get_by_role("button", name="Chat with us").click()
        expect(again.locator("#hp-chat .status")).to_have_text("online", timeout=15_000)
        send(again, MISSED)
        expect(again.locator("#hp-chat .msg.bot").first).to_contain_text("not sure", timeout=SLOW)

    # Let the last grace period pass, then stop the load: nothing failed, nothing lost.
    threading.Event().wait(8)
    for chatter in chatters:
        chatter.stop.set()
        chatter.join(60)
    for chatter in chatters:
        assert chatter.errors == []
        assert chatter.sent >= 20
        customer_messages = [m for m in chatter.customer.transcript() if m["sender"] == "customer"]
        assert len(customer_messages) == chatter.sent
        assert {m["status"] for m in customer_messages} == {"answered"}
    for stopped in (old_rasa, published_rasa):
        with pytest.raises(httpx.HTTPError):
            httpx.get(stopped, timeout=2).raise_for_status()

    # Who changed what is in the audit log.
    editor_page.get_by_role("tab", name="Audit").click()
    expect(editor_page.locator("#audit-rows tr").first).to_contain_text("Erin Park")
    expect(editor_page.locator("#audit-rows tr").first).to_contain_text(MISSED)


def test_an_editor_edits_an_article_with_live_validation_and_tries_a_question(editor_page: Page, stack):
    editor_page.locator("#username").fill("erin")
    editor_page.locator("#password").fill("harbor-editor-1")
    editor_page.get_by_role("button", name="Sign in").click()
    editor_page.get_by_role("tab", name="Articles").click()
    editor_page.locator("#article-list button", has_text="return").first.click()
    text = editor_page.locator("#article-text")
    expect(text).to_have_value(re.compile(r"^---\nid: "), timeout=SLOW)
    expect(editor_page.locator("#article-preview")).not_to_be_empty()
    original = text.input_value()

    # A typo in the front matter shows at its line, and saving is refused.
    text.fill(original.replace("title: ", "title: [", 1))
    expect(editor_page.locator("#article-errors")).to_contain_text("front matter is not valid YAML")
    editor_page.get_by_role("button", name="Save", exact=True).click()
    expect(editor_page.locator("#studio-error")).to_contain_text("line ")
    text.fill(original + "\nWe also take back gift cards that were never used.\n")
    expect(editor_page.locator("#article-errors li")).to_have_count(0)
    expect(editor_page.locator("#article-preview")).to_contain_text("gift cards that were never used")

    editor_page.locator("#try-question").fill("how long do I have to send something back?")
    editor_page.locator("#try-form").get_by_role("button", name="Try").click()
    expect(editor_page.locator("#try-verdict")).to_contain_text("would answer", timeout=SLOW)
    expect(editor_page.locator("#try-hits li").first).to_contain_text("return", ignore_case=True)
    editor_page.screenshot(path=str(SCREENSHOTS / "studio-articles.png"), full_page=True)
    editor_page.locator("#try-question").fill("do you engrave cutting boards?")
    editor_page.locator("#try-form").get_by_role("button", name="Try").click()
    expect(editor_page.locator("#try-verdict")).to_contain_text("would decline")


def test_an_editor_adds_an_example_and_a_duplicate_is_refused(editor_page: Page, stack):
    editor_page.locator("#username").fill("erin")
    editor_page.locator("#password").fill("harbor-editor-1")
    editor_page.get_by_role("button", name="Sign in").click()
    editor_page.get_by_role("tab", name="Training data").click()
    editor_page.locator("#intent-list button", has_text="get_invoice").click()
    expect(editor_page.locator("#intent-title")).to_have_text("get_invoice")
    editor_page.locator("#add-example-text").fill("can i have a receipt for my last purchase pls")
    editor_page.get_by_role("button", name="Add example").click()
    expect(editor_page.locator("#studio-notice")).to_have_text("Added.")
    expect(editor_page.locator("#example-list")).to_contain_text("can i have a receipt for my last purchase pls")
    editor_page.locator("#add-example-text").fill("Can I have a receipt for my last purchase pls")
    editor_page.get_by_role("button", name="Add example").click()
    expect(editor_page.locator("#studio-error")).to_contain_text("already")
