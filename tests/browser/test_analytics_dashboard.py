"""The analytics dashboard (/console/analytics) in Chromium: its figures match the API's, the
drill-down reaches a transcript, only admins and leads get in, the layout fits from 1024 to
1920 px, and the vendored Chart.js draws every chart."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_page
from tests.integration.test_conversations import Customer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SLOW = 30_000
LEAD = ("lee", "harbor-lead-1")
AGENT = ("alex", "harbor-agent-1")
# analytics.js HEADLINE: the cards' keys and how each is shown.
UNITS = {
    "conversations": "count", "customer_messages": "count", "containment": "share",
    "escalation_rate": "share", "fallback_rate": "share", "kb_answer_rate": "share", "csat": "share",
    "mean_rating": "rating", "rating_response_rate": "share", "solved_rate": "share",
    "survey_response_rate": "share", "median_first_response_s": "seconds", "abandonment_rate": "share",
}
LAID_OUT = ".card, .charts figure, .charts canvas, .tables > div, .tables table, #drill, .filters, .topbar"


def to_fixed(value: float, digits: int) -> str:
    """JavaScript's Number.prototype.toFixed: the exact binary value, ties away from zero."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def shown(value: float | int | None, unit: str) -> str:
    """analytics.js `shown()`, in Python."""
    if value is None:
        return "n/a"
    if unit == "share":
        return to_fixed(value * 100, 1) + "%"
    if unit == "seconds":
        return to_fixed(value / 60, 1) + " min" if value >= 60 else f"{math.floor(value + 0.5)} s"
    if unit == "rating":
        return to_fixed(value, 2) + " / 5"
    return f"{value:,}"


def test_shown_formats_like_the_page():
    assert [shown(None, "share"), shown(0.5, "share"), shown(2 / 3, "share"), shown(1, "share")] == \
        ["n/a", "50.0%", "66.7%", "100.0%"]
    assert [shown(12345, "count"), shown(0, "count"), shown(999, "count")] == ["12,345", "0", "999"]
    assert [shown(42.5, "seconds"), shown(59.4, "seconds"), shown(60, "seconds"), shown(135, "seconds")] == \
        ["43 s", "59 s", "1.0 min", "2.3 min"]
    assert shown(4.125, "rating") == "4.13 / 5"  # toFixed rounds an exact tie up


@dataclass
class Conversations:
    contained: Customer
    escalated: Customer


@pytest.fixture(scope="module")
def conversations(stack) -> Conversations:
    """Real conversations through the desk, before any dashboard is opened."""
    contained = Customer(stack.desk_url)
    assert "PayPal" in contained.says("can I pay with paypal?")
    assert "did I solve your problem?" in contained.say("thanks!")[-1]["text"]
    assert contained.says("Yes") == "Glad to hear it. Thanks for letting me know!"
    escalated = Customer(stack.desk_url)
    assert "member of our team" in escalated.says("I want to talk to a human")
    return Conversations(contained, escalated)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ["ASSISTANT_SCREENSHOTS"]) if os.environ.get("ASSISTANT_SCREENSHOTS") \
        else tmp_path_factory.mktemp("analytics-screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


@contextmanager
def analytics_page(browser, stack, width: int = 1440, height: int = 900) -> Iterator[Page]:
    """/console/analytics in its own context; no uncaught script error may happen on it."""
    with fresh_page(browser, stack.desk_url + "/console/analytics", width, height) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        assert errors == []


@pytest.fixture
def dashboard(browser, stack, conversations) -> Iterator[Page]:
    """The dashboard with the lead signed in and the headline cards drawn."""
    with analytics_page(browser, stack) as page:
        sign_in(page, *LEAD)
        wait_for_dashboard(page)
        yield page


def sign_in(page: Page, username: str, password: str) -> None:
    expect(page.locator("#login-view")).to_be_visible(timeout=15_000)
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-form button[type=submit]").click()


def wait_for_dashboard(page: Page) -> None:
    expect(page.locator("#whoami")).to_contain_text("(lead)", timeout=15_000)
    expect(page.locator("#headline [data-figure]")).to_have_count(len(UNITS), timeout=SLOW)
    page.wait_for_function("() => [...document.querySelectorAll('.charts canvas')]"
                           ".every((c) => window.Chart && window.Chart.getChart(c))", timeout=SLOW)


def default_query(page: Page) -> dict[str, str]:
    """The page's filters, checked against the documented default: the last 30 UTC days, demo included."""
    today = datetime.now(timezone.utc).date()
    since, until = page.locator("#since").input_value(), page.locator("#until").input_value()
    assert until in {today.isoformat(), (today - timedelta(days=1)).isoformat()}  # a run across midnight
    assert since == (datetime.fromisoformat(until) - timedelta(days=29)).date().isoformat()
    expect(page.locator("#include-demo")).to_be_checked()
    assert page.locator("#channel").input_value() == ""
    return {"since": since, "until": until, "demo": "include"}


def test_the_cards_show_the_apis_figures(dashboard: Page, stack, conversations: Conversations):
    response = dashboard.request.get(stack.desk_url + "/api/analytics/report", params=default_query(dashboard))
    assert response.ok, response.text()
    headline = response.json()["headline"]
    assert headline["conversations"] >= 2 and headline["escalation_rate"] > 0
    assert headline["survey_answered"] >= 1 and headline["solved_rate"] > 0

    on_page = {figure.get_attribute("data-figure"): figure.inner_text().strip()
               for figure in dashboard.locator("#headline [data-figure]").all()}
    assert set(on_page) == set(UNITS) and set(UNITS) <= set(headline)
    assert on_page == {key: shown(headline[key], unit) for key, unit in UNITS.items()}


def test_the_escalation_card_drills_down_to_the_transcript(dashboard: Page, conversations: Conversations):
    drill = dashboard.locator("#drill")
    expect(drill).to_be_hidden()
    dashboard.locator("#headline button.figure", has=dashboard.locator("[data-figure=escalation_rate]")).click()
    expect(drill).to_be_visible(timeout=15_000)
    expect(dashboard.locator("#drill-title")).to_contain_text("Escalation rate")
    escalated = dashboard.locator(f'#drill-list button[data-conversation-id="{conversations.escalated.id}"]')
    expect(escalated).to_be_visible(timeout=15_000)
    expect(escalated).to_contain_text("handed to a person")
    expect(dashboard.locator(f'#drill-list button[data-conversation-id="{conversations.contained.id}"]')).to_have_count(0)
    escalated.click()
    expect(escalated).to_have_attribute("aria-current", "true")
    transcript = dashboard.locator("#drill-transcript")
    expect(transcript).to_contain_text("I want to talk to a human", timeout=15_000)
    expect(transcript).to_contain_text("member of our team")
    dashboard.locator("#drill-close").click()
    expect(drill).to_be_hidden()


def test_an_agent_is_turned_away_and_the_api_needs_a_login(browser, stack):
    with analytics_page(browser, stack) as page:
        sign_in(page, *AGENT)
        expect(page.locator("#login-error")).to_contain_text("The dashboard is for admins and team leads", timeout=15_000)
        expect(page.locator("#login-error")).to_contain_text("is an agent")
        expect(page.locator("#login-view")).to_be_visible()
        expect(page.locator("#analytics-main")).to_be_hidden()
        expect(page.locator("#headline [data-figure]")).to_have_count(0)
        assert page.request.get(stack.desk_url + "/api/analytics/report").status == 403  # signed in, but an agent
    anonymous = httpx.Client(base_url=stack.desk_url, timeout=60)
    assert anonymous.get("/api/analytics/report").status_code == 401
    assert anonymous.get("/api/analytics/conversations", params={"figure": "escalated"}).status_code == 401


@pytest.mark.parametrize("width", [1024, 1280, 1440, 1920])
def test_the_dashboard_fits_the_window(browser, stack, conversations: Conversations, screenshots: Path, width: int):
    with analytics_page(browser, stack, width) as page:
        sign_in(page, *LEAD)
        wait_for_dashboard(page)
        # With the drill panel open on a transcript, so that it is laid out too.
        page.locator("#headline button.figure", has=page.locator("[data-figure=escalation_rate]")).click()
        page.locator(f'#drill-list button[data-conversation-id="{conversations.escalated.id}"]').click(timeout=15_000)
        expect(page.locator("#drill-transcript")).to_contain_text("I want to talk to a human", timeout=15_000)
        page.evaluate("window.scrollTo(0, 0)")
        measured = page.evaluate("""(selector) => ({
            inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
            boxes: [...document.querySelectorAll(selector)].map((node) => {
                const box = node.getBoundingClientRect();
                return { what: node.id || node.className || node.tagName, left: box.left, right: box.right,
                         width: box.width, height: box.height };
            }),
            // A table wider than its box scrolls inside it: its columns are cut off at first sight.
            cut: [...document.querySelectorAll('.tables > div')].filter((box) => box.scrollWidth > box.clientWidth + 1)
                .map((box) => box.querySelector('h3').textContent + ': ' + box.scrollWidth + ' > ' + box.clientWidth),
            // A cell on more lines than it has words was broken inside a word ("c h a n n el").
            broken: [...document.querySelectorAll('.tables th, .tables td')].filter((cell) => {
                const words = cell.textContent.trim().split(/\\s+/).filter(Boolean).length;
                const lines = new Set();
                const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                while (texts.nextNode()) {
                    const range = document.createRange();
                    range.selectNodeContents(texts.currentNode);
                    for (const r of range.getClientRects()) if (r.width > 0) lines.add(Math.round(r.top));
                }
                return words > 0 && lines.size > words;
            }).map((cell) => cell.textContent),
        })""", LAID_OUT)
        page.screenshot(path=str(screenshots / f"analytics-{width}.png"), full_page=True)
    assert measured["inner"] == width
    assert measured["scroll"] <= measured["inner"], measured["scroll"]
    assert len(measured["boxes"]) >= len(UNITS) + 6 * 2 + 6 * 2 + 3
    outside = [box for box in measured["boxes"] if box["left"] < 0 or box["right"] > measured["inner"]]
    assert outside == []
    assert all(box["width"] > 0 and box["height"] > 0 for box in measured["boxes"])
    assert measured["cut"] == [] and measured["broken"] == []


def test_the_charts_draw_with_the_vendored_chart_js(browser, stack, conversations: Conversations):
    with analytics_page(browser, stack) as page:
        sign_in(page, *LEAD)
        wait_for_dashboard(page)
        assert page.evaluate("typeof window.Chart") == "function"
        scripts = page.evaluate("[...document.scripts].map((s) => s.getAttribute('src'))")
        assert "/static/vendor/chart-4.6.1.umd.min.js" in scripts
        assert all(src.startswith("/static/") for src in scripts)
        canvases = page.evaluate("""() => [...document.querySelectorAll('.charts canvas')].map((c) => {
            const box = c.getBoundingClientRect();
            return { id: c.id, width: box.width, height: box.height, pixels: c.width * c.height,
                     chart: !!window.Chart.getChart(c) };
        })""")
        expect(page.locator("#analytics-error")).to_have_text("")
        requested = page.evaluate("performance.getEntriesByType('resource').map((r) => r.name)")
        origin = page.evaluate("location.origin")  # on the production profile, one of several desk workers
    assert any(url.endswith("/static/vendor/chart-4.6.1.umd.min.js") for url in requested)
    assert len(canvases) == 6
    for canvas in canvases:
        assert canvas["width"] > 0 and canvas["height"] > 0 and canvas["pixels"] > 0 and canvas["chart"], canvas
    assert all(url.startswith(origin + "/") for url in requested), requested  # no CDN
