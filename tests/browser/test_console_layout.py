"""The agent console's layout holds at desktop widths (1024 to 1920 pixels) even when a
customer pastes a long unbroken string (a URL, markup): long tokens wrap, nothing is cut
off or pushed out of its column (issue 15, item 5). A screenshot per width is saved under
$ASSISTANT_SCREENSHOTS, or the test's tmp dir, for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_page
from tests.integration.test_conversations import Customer

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SIZES = [(1024, 768), (1280, 800), (1400, 900), (1920, 1080)]
LONG_URL = "https://tracking.example.com/parcel?" + "&".join(f"ref{i:02d}=ABCDEFGH{i:02d}" for i in range(24))
MARKUP = "<div class=\"order-status-widget-container-with-a-very-long-class-name\">" + "&nbsp;" * 30 + "</div>"
# Whole words around the tokens, so the summary picks it as the customer's issue.
PASTED = f"my tracking link is broken, it says {LONG_URL} and the page shows {MARKUP}"

# Every visible element of each region, checked against the viewport and its region's box;
# the main containers must not scroll sideways. Returns a list of problems (empty: fine).
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const describe = (node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") +
    (node.className && typeof node.className === "string" ? "." + node.className.trim().split(/\\s+/).join(".") : "") +
    " \\"" + (node.textContent || "").trim().slice(0, 30) + "\\"";
  const visible = (node) => {
    const box = node.getBoundingClientRect();
    return (box.width > 0 || box.height > 0) && !node.closest(".sr-only") && getComputedStyle(node).visibility !== "hidden";
  };
  const root = document.documentElement;
  if (root.scrollWidth > vw + 1) problems.push("page scrolls sideways: " + root.scrollWidth + " > " + vw);
  // The console is one screen high: only its columns scroll, the page itself never does.
  if (root.scrollHeight > root.clientHeight + 1) problems.push("page scrolls down: " + root.scrollHeight + " > " + root.clientHeight);
  if (window.scrollX || window.scrollY) problems.push("page is scrolled by " + window.scrollX + "," + window.scrollY + " (top bar pushed out)");
  const containers = ["#console-main", ".queue-pane", "#queue", "#conversation", "#conversation-view", ".conv-grid",
                      ".conv-main", ".conv-side", "#summary", "#transcript", "#profile", ".queue-item", ".card", ".msg"];
  for (const selector of containers) {
    for (const node of document.querySelectorAll(selector)) {
      if (!visible(node)) continue;
      if (node.scrollWidth > node.clientWidth + 1) problems.push(describe(node) + " overflows: scrollWidth " + node.scrollWidth + " > clientWidth " + node.clientWidth);
      if (node.scrollLeft !== 0) problems.push(describe(node) + " is scrolled sideways by " + node.scrollLeft);
    }
  }
  const within = (region, selector) => {
    const outer = region.getBoundingClientRect();
    for (const node of region.querySelectorAll(selector)) {
      if (!visible(node)) continue;
      const box = node.getBoundingClientRect();
      if (box.left < -0.5 || box.right > vw + 0.5) problems.push(describe(node) + " outside the viewport: " + Math.round(box.left) + ".." + Math.round(box.right) + " of " + vw);
      if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5)
        problems.push(describe(node) + " outside " + describe(region).split(" ")[0] + ": " + Math.round(box.left) + ".." + Math.round(box.right) + " not in " + Math.round(outer.left) + ".." + Math.round(outer.right));
    }
  };
  for (const region of document.querySelectorAll(".topbar, .queue-pane, #conversation, .queue-item, .card, #transcript")) {
    if (visible(region)) within(region, "*");
  }
  // The queue's heading and each card's badge are whole and readable, not clipped.
  for (const node of document.querySelectorAll("#queue-title, .queue-item .badge, .queue-item .wait")) {
    const box = node.getBoundingClientRect();
    const pane = document.querySelector(".queue-pane").getBoundingClientRect();
    if (box.left < Math.max(0, pane.left) - 0.5 || box.right > Math.min(vw, pane.right) + 0.5) problems.push(describe(node) + " is cut off");
    if (node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).display !== "inline") problems.push(describe(node) + " text is clipped");
  }
  return problems;
}"""


def screenshots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ASSISTANT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_long_unbroken_message_wraps_and_the_console_fits_1024_to_1920(browser, stack, tmp_path):
    customer = Customer(stack.desk_url)
    customer.say(PASTED)
    customer.say(f"I want to talk to a human, see {LONG_URL}")

    with fresh_page(browser, stack.desk_url + "/console", 1400, 900) as console:
        console.locator("#username").fill("alex")
        console.locator("#password").fill("harbor-agent-1")
        console.locator("#login-form button[type=submit]").click()
        expect(console.locator("#whoami")).to_contain_text("Alex Rivera", timeout=15_000)
        card = console.locator(f'#queue .queue-item[data-conversation-id="{customer.id}"]')
        expect(card).to_be_visible(timeout=15_000)
        expect(card.locator(".open")).to_contain_text(LONG_URL[:40])  # the long token is on the card

        card.locator(".open").click()  # as an agent would; Playwright scrolls it into view first
        expect(console.locator("#conversation-title")).to_contain_text(customer.id, timeout=15_000)
        expect(console.locator("#transcript .msg[data-sender=customer]").first).to_contain_text(LONG_URL)
        expect(console.locator("#summary")).to_contain_text(LONG_URL[:40])

        folder = screenshots_dir(tmp_path)
        failures = {}
        for width, height in SIZES:
            console.set_viewport_size({"width": width, "height": height})
            console.evaluate("document.getElementById('conversation').scrollTop = 0")
            console.wait_for_timeout(150)  # one layout pass after the resize
            for view in ("top", "transcript"):
                if view == "transcript":  # scrollIntoView also scrolls sideways when anything is too wide
                    console.evaluate("document.querySelector('#transcript .msg[data-sender=customer]').scrollIntoView({block: 'center', inline: 'center'})")
                console.screenshot(path=str(folder / f"console-layout-{width}x{height}-{view}.png"))
                problems = console.evaluate(LAYOUT_PROBLEMS)
                if problems:
                    failures[f"{width}x{height} {view}"] = problems[:12] + ([f"... {len(problems) - 12} more"] if len(problems) > 12 else [])
        assert not failures, f"layout problems (screenshots in {folder}): {failures}"
