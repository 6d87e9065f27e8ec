"""The privacy page (/console/privacy) in Chromium: an admin looks a seeded customer up,
downloads their export, erases them after typing the id again and sees what went and what
stayed, finds the erasure among the requests served and an agent's look at the customer's
conversation in the access log; an agent is told the page is for admins; every resource
comes from the desk."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from bot.db import make_engine, make_session_factory
from bot.identity import sign
from bot.profiles.models import Address, Order
from bot.profiles.models import Customer as CustomerRow
from tests.browser.conftest import fresh_page
from tests.integration.test_conversations import Customer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SLOW = 15_000
ADMIN = ("ada", "harbor-admin-1")
AGENT = ("alex", "harbor-agent-1")
READY_MADE = {"C1001", "C1002", "C1003"}  # the README's and other tests' customers: never erased here
STATIC = Path(__file__).resolve().parents[2] / "bot" / "desk" / "static"


@dataclass(frozen=True)
class Subject:
    """A seeded customer with one conversation of theirs through the desk."""

    id: str
    name: str
    email: str
    orders: int
    addresses: int
    conversation_id: str


@pytest.fixture(scope="module")
def subject(stack) -> Subject:
    """The last generated demo customer still held (another test may have erased one)."""
    engine = make_engine(stack.database_url)
    try:
        with make_session_factory(engine)() as session:
            ids = session.scalars(select(CustomerRow.id).where(CustomerRow.erased_at.is_(None))
                                  .order_by(CustomerRow.id.desc())).all()
            chosen = next(i for i in ids if i not in READY_MADE and session.scalar(
                select(func.count()).where(Order.customer_id == i)))
            row = session.get(CustomerRow, chosen)
            name, email = f"{row.first_name} {row.last_name}", row.email
            orders = session.scalar(select(func.count()).where(Order.customer_id == chosen))
            addresses = session.scalar(select(func.count()).where(Address.customer_id == chosen))
    finally:
        engine.dispose()
    customer = Customer(stack.desk_url, identity=sign(chosen, stack.env["ASSISTANT_IDENTITY_SECRET"]).model_dump())
    assert customer.say("hi")
    return Subject(chosen, name, email, orders, addresses, customer.id)


@pytest.fixture(scope="module")
def agent_opened(browser, stack, subject: Subject) -> Subject:
    """An agent opens the customer's conversation in the console API (the access log records it)."""
    context = browser.new_context()
    try:
        login = context.request.post(stack.desk_url + "/api/console/login",
                                     data={"username": AGENT[0], "password": AGENT[1]})
        assert login.ok, login.text()
        opened = context.request.get(f"{stack.desk_url}/api/console/conversations/{subject.conversation_id}")
        assert opened.ok, opened.text()
        assert (opened.json().get("profile") or {}).get("id") == subject.id
    finally:
        context.close()
    return subject


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ["ASSISTANT_SCREENSHOTS"]) if os.environ.get("ASSISTANT_SCREENSHOTS") \
        else tmp_path_factory.mktemp("privacy-screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


@contextmanager
def privacy_page(browser, stack) -> Iterator[Page]:
    """/console/privacy in its own context; no uncaught script error may happen on it."""
    with fresh_page(browser, stack.desk_url + "/console/privacy", 1280, 900) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        assert errors == []


def sign_in(page: Page, username: str, password: str) -> None:
    expect(page.locator("#login-view")).to_be_visible(timeout=SLOW)
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-form button[type=submit]").click()


def look_up(page: Page, customer_id: str) -> None:
    page.get_by_label("Customer id", exact=True).fill(customer_id)
    page.get_by_role("button", name="Look up").click()


def test_the_page_writes_server_data_as_text_only():
    script = (STATIC / "privacy.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
    assert not re.search(r"(?<![\w.])confirm\(|window\.confirm", script)  # the confirmation is in the page


def test_an_admin_exports_and_erases_a_customer_and_reads_the_logs(browser, stack, agent_opened: Subject,
                                                                    screenshots: Path):
    who = agent_opened
    with privacy_page(browser, stack) as page:
        sign_in(page, *ADMIN)
        expect(page.locator("#whoami")).to_have_text("Ada Brooks (admin)", timeout=SLOW)
        expect(page.locator("#login-view")).to_be_hidden()
        origin = page.evaluate("location.origin")  # on the production profile, one of several desk workers
        expect(page.locator("#requests-table thead")).to_have_count(1, timeout=SLOW)
        expect(page.locator("#access-table thead")).to_have_count(1, timeout=SLOW)

        # An unknown id: the message says so, no customer is shown.
        look_up(page, "C0000000")
        expect(page.locator("#customer-error")).to_have_text("no customer C0000000", timeout=SLOW)
        expect(page.locator("#customer-card")).to_be_hidden()

        look_up(page, who.id)
        expect(page.locator("#customer-card")).to_be_visible(timeout=SLOW)
        expect(page.locator("#customer-error")).to_have_text("")
        expect(page.locator("#customer-shown-id")).to_have_text(who.id)
        expect(page.locator("#customer-name")).to_have_text(who.name)
        expect(page.locator("#customer-email")).to_have_text(who.email)
        expect(page.locator("#customer-orders")).to_have_text(str(who.orders))
        expect(page.locator("#customer-status")).to_have_text("Active")
        conversations = int(page.locator("#customer-conversations").inner_text())
        assert conversations >= 1

        # Export: a download of the whole document.
        link = page.get_by_role("link", name="Export data (JSON)")
        assert link.get_attribute("href") == f"/api/admin/privacy/customers/{who.id}/export"
        with page.expect_download(timeout=SLOW) as downloading:
            link.click()
        download = downloading.value
        assert download.failure() is None
        assert download.suggested_filename == f"harbor-export-{who.id}.json"
        exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
        assert {"customer", "conversations", "orders"} <= set(exported)
        assert exported["customer"]["email"] == who.email and exported["customer"]["id"] == who.id
        assert len(exported["orders"]) == who.orders
        assert len(exported["conversations"]) == conversations
        assert who.conversation_id in {c["id"] for c in exported["conversations"]}

        # Erase: an in-page box asks for the id again; the button waits for it.
        confirm = page.locator("#erase-confirm")
        expect(confirm).to_be_hidden()
        page.get_by_role("button", name="Erase…").click()
        expect(confirm).to_be_visible()
        expect(page.locator("#erase-expected")).to_have_text(who.id)
        go = page.get_by_role("button", name="Erase permanently")
        expect(go).to_be_disabled()
        page.get_by_label("Type the customer id again to confirm", exact=True).fill("C0000000")
        expect(go).to_be_disabled()
        page.get_by_role("button", name="Cancel").click()
        expect(confirm).to_be_hidden()
        page.get_by_role("button", name="Erase…").click()
        expect(go).to_be_disabled()  # the box starts empty again
        page.get_by_label("Type the customer id again to confirm", exact=True).fill(who.id)
        expect(go).to_be_enabled()
        go.click()

        result = page.locator("#erase-result")
        expect(result).to_be_visible(timeout=30_000)
        expect(confirm).to_be_hidden()
        expect(page.locator("#customer-error")).to_have_text("")
        expect(page.locator("#erase-summary")).to_contain_text(f"Erased {who.id} (request #")
        messages = page.locator('#removed-table tr[data-removed="messages"] td.num')
        assert int(messages.inner_text()) >= 2  # the customer's "hi" and the bot's greeting at least
        assert page.locator('#removed-table tr[data-removed="addresses"] td.num').inner_text() == str(who.addresses)
        removed_on_page = {row.get_attribute("data-removed"): row.locator("td.num").inner_text()
                           for row in page.locator("#removed-table tr[data-removed]").all()}
        expect(page.locator("#customer-status")).to_contain_text("Erased", timeout=SLOW)
        start = page.locator("#erase-start")
        if start.is_visible():  # kept orders keep the customer's row (only its id): it cannot be erased again
            expect(start).to_be_disabled()

        # The erasure as the desk recorded it: the same counts, listed among the requests served.
        served = page.request.get(origin + "/api/admin/privacy/requests", params={"limit": "50"})
        assert served.ok, served.text()
        erased = next(r for r in served.json()["items"] if r["kind"] == "erase" and r["customer_id"] == who.id)
        assert erased["requested_by"] == ADMIN[0]
        assert removed_on_page == {key: str(value) for key, value in erased["counts"].items()
                                   if key not in {"customer", "kept"}}
        kept = erased["counts"].get("kept") or []
        expect(page.locator("#erase-kept")).to_have_text(
            "Kept, as the law requires: " + ", ".join(k.replace("_", " ") for k in kept) + "." if kept
            else "Nothing was kept.")
        row = page.locator(f'#requests-table tr[data-kind="erase"][data-customer-id="{who.id}"]')
        expect(row).to_have_count(1, timeout=SLOW)
        expect(row).to_have_attribute("data-request-id", str(erased["id"]))
        expect(row).to_contain_text(ADMIN[0])
        expect(row).to_contain_text("messages: " + removed_on_page["messages"])
        expect(page.locator(f'#requests-table tr[data-kind="export"][data-customer-id="{who.id}"]').first) \
            .to_be_visible(timeout=SLOW)

        # The agent's look at the conversation, then at the customer's profile, in the access log.
        page.get_by_label("Subject (conversation or customer id)", exact=True).fill(who.conversation_id)
        page.get_by_role("button", name="Show").click()
        entry = page.locator(f'#access-table tr[data-username="{AGENT[0]}"][data-subject="{who.conversation_id}"]')
        expect(entry.first).to_be_visible(timeout=SLOW)
        expect(entry.first).to_contain_text("agent")
        expect(entry.first).to_have_attribute("data-what", "conversation")
        expect(entry.first).to_have_attribute("data-via", "console")
        expect(page.locator(f'#access-table tbody tr:not([data-subject="{who.conversation_id}"])')).to_have_count(0)
        page.locator("#access-username").fill(AGENT[0])
        page.get_by_label("Subject (conversation or customer id)", exact=True).fill(who.id)
        page.get_by_role("button", name="Show").click()
        profile = page.locator(f'#access-table tr[data-username="{AGENT[0]}"][data-subject="{who.id}"][data-what="profile"]')
        expect(profile.first).to_be_visible(timeout=SLOW)
        expect(page.locator("#access-table tbody tr:not([data-username])")).to_have_count(0)
        page.locator("#access-username").fill("nobody-at-all")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#access-table tbody")).to_have_text("Nothing recorded that matches.", timeout=SLOW)
        for area in ("#customer-error", "#requests-error", "#access-error"):
            expect(page.locator(area)).to_have_text("")

        page.locator("#access-username").fill("")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#access-table tbody tr[data-username]").first).to_be_visible(timeout=SLOW)
        page.evaluate("window.scrollTo(0, 0)")
        widths = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
        page.screenshot(path=str(screenshots / "privacy-1280.png"), full_page=True)
        requested = page.evaluate("performance.getEntriesByType('resource').map((r) => r.name)")
        sources = page.evaluate("[...document.querySelectorAll('script[src], link[href]')]"
                                ".map((n) => n.getAttribute('src') || n.getAttribute('href'))")
    assert widths[1] <= widths[0], widths  # nothing wider than the window
    assert any(url.endswith("/static/privacy.js") for url in requested)
    assert any(url.endswith("/static/privacy.css") for url in requested)
    assert all(url.startswith(origin + "/") for url in requested), requested  # no CDN
    assert sources and all(src.startswith("/static/") for src in sources), sources


def test_an_agent_is_told_the_page_is_for_admins(browser, stack):
    with privacy_page(browser, stack) as page:
        sign_in(page, *AGENT)
        expect(page.locator("#login-error")).to_contain_text("The privacy page is for admins only", timeout=SLOW)
        expect(page.locator("#login-error")).to_contain_text("Alex Rivera is an agent")
        expect(page.locator("#login-view")).to_be_visible()
        expect(page.locator("#privacy-main")).to_be_hidden()
        origin = page.evaluate("location.origin")
        denied = page.request.get(origin + "/api/admin/privacy/requests")  # signed in, but an agent
        assert denied.status == 403 and "cannot do this" in denied.json()["error"]
        assert page.request.get(origin + "/api/admin/privacy/customers/C1001").status == 403
    anonymous = httpx.Client(base_url=stack.desk_url, timeout=60)
    assert anonymous.get("/api/admin/privacy/customers/C1001").status_code == 401
    assert anonymous.get("/api/admin/privacy/access-log").status_code == 401
    assert anonymous.post("/api/admin/privacy/customers/C1001/erase", json={"confirm": "C1001"}).status_code == 401


def test_the_console_links_admins_to_the_privacy_page(browser, stack):
    with fresh_page(browser, stack.desk_url + "/console") as page:
        sign_in(page, *ADMIN)
        expect(page.locator("#whoami")).to_contain_text("(admin)", timeout=SLOW)
        link = page.locator("#privacy-link")
        expect(link).to_be_visible(timeout=SLOW)
        assert link.get_attribute("href") == "/console/privacy"
    with fresh_page(browser, stack.desk_url + "/console") as page:
        sign_in(page, *AGENT)
        expect(page.locator("#whoami")).to_contain_text("(agent)", timeout=SLOW)
        expect(page.locator("#privacy-link")).to_be_hidden()
