"""Privacy on the real stack (both profiles): a card number typed by a customer is never
kept anywhere, an erasure through the admins' API leaves nothing of the customer in the
desk's database or in Rasa's own tracker store outside the keep-list, and only admins can
export or erase."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.privacy.tracker import tracker_url
from bot.settings import Settings
from tests.integration.test_analytics import logged_in
from tests.integration.test_conversations import Customer
from tests.stored_text import tables_holding

pytestmark = pytest.mark.integration
CARD = "4242 4242 4242 4242"
# Sofia Ahmed of the demo store (bot/profiles/seed.py); no other test uses her.
SOFIA = {"id": "C1009", "email": "sofia.ahmed@example.com", "first": "Sofia", "last": "Ahmed",
         "phone": "+1 619 555-0122", "orders": ("10265", "10902")}
KEPT_TABLES = {"orders", "order_items", "order_status_events", "shipments", "invoices"}


def urls(stack) -> tuple[str, str]:
    """The desk's database and Rasa's tracker store, as the desk finds them."""
    return stack.database_url, tracker_url(Settings(database_url=stack.database_url,
                                                    rasa_endpoints=stack.endpoints))


def card_forms() -> tuple[str, ...]:
    digits = CARD.replace(" ", "")
    return CARD, digits, "4242-4242-4242-4242"


def test_a_card_number_typed_by_a_customer_is_kept_nowhere(stack):
    customer = Customer(stack.desk_url)
    first = customer.say(f"I was charged twice on my card {CARD}, the cvv is 123, can you refund it")
    assert "never share card numbers" in first[0]["text"]  # told once, kindly, before the answer
    assert len(first) > 1
    again = customer.say("it was 4242-4242-4242-4242 exactly")
    assert not any("never share card numbers" in r.get("text", "") for r in again)
    customer.say("I want to talk to a human")
    shown = [m["text"] for m in customer.transcript()]
    assert "[card number removed]" in shown[0] and "[security code removed]" in shown[0]

    agent = logged_in(stack, "alex", "harbor-agent-1")
    view = agent.get(f"/api/console/conversations/{customer.id}").json()
    seen = json.dumps(view)
    assert view["summary"] is not None  # the handoff's summary, which the agent reads first
    assert not any(form in seen for form in card_forms())
    assert "[card number removed]" in view["transcript"][0]["text"]

    desk, tracker = urls(stack)
    assert not tables_holding(desk, *card_forms())
    assert not tables_holding(tracker, *card_forms())
    logs = "\n".join(path.read_text(errors="replace") for path in stack.log_dir.glob("*.log"))
    assert not any(form in logs for form in card_forms())


def verified_sofia(stack) -> Customer:
    customer = Customer(stack.desk_url)
    assert "e-mail address on your account" in customer.says("where is my parcel?? been waiting all week")
    assert "number of one of your orders" in customer.says(SOFIA["email"])
    assert SOFIA["orders"][0] in customer.says(f"it's #{SOFIA['orders'][0]}")
    customer.say(f"thanks, this is {SOFIA['first']} {SOFIA['last']}, call me on {SOFIA['phone']} if needed")
    return customer


def test_erasure_leaves_nothing_of_the_customer_outside_the_keep_list(stack):
    chat = verified_sofia(stack)
    admin = logged_in(stack, "ada", "harbor-admin-1")
    csrf = admin.get("/api/console/me").json()["csrf_token"]
    agent = logged_in(stack, "alex", "harbor-agent-1")
    profile = agent.get(f"/api/console/conversations/{chat.id}").json()["profile"]
    assert profile["id"] == SOFIA["id"]
    assert profile["payment_methods"] and all(re.search(r"ending \d{4}|PayPal|Apple|Google|Klarna", m)
                                              for m in profile["payment_methods"])

    looked_up = admin.get(f"/api/admin/privacy/customers/{SOFIA['id']}").json()
    assert looked_up["email"] == SOFIA["email"] and looked_up["conversations"] >= 1
    exported = admin.get(f"/api/admin/privacy/customers/{SOFIA['id']}/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    assert document["customer"]["email"] == SOFIA["email"]
    assert chat.id in {c["id"] for c in document["conversations"]}
    assert sorted(str(o["id"]) for o in document["orders"]) == sorted(SOFIA["orders"])

    # Her full name: other demo customers are called Sofia, or Ahmed.
    needles = (SOFIA["email"], f"{SOFIA['first']} {SOFIA['last']}", SOFIA["phone"], *SOFIA["orders"])
    desk, tracker = urls(stack)
    assert {"messages", "customers"} <= tables_holding(desk, *needles)
    assert tables_holding(tracker, SOFIA["email"])  # Rasa's own events hold what she typed

    erased = admin.post(f"/api/admin/privacy/customers/{SOFIA['id']}/erase", json={"confirm": SOFIA["id"]},
                        headers={"X-CSRF-Token": csrf})
    assert erased.status_code == 200, erased.text
    assert erased.json()["kept"] == ["invoices", "orders"] and erased.json()["removed"]["tracker_events"] > 0

    assert tables_holding(desk, *needles) <= KEPT_TABLES
    # Rasa's events are JSON full of timestamps, where a bare order number turns up by chance
    # in a whole suite's events: there her conversation must have no events left, and her
    # e-mail, name and phone must be in none.
    assert not tables_holding(tracker, SOFIA["email"], f"{SOFIA['first']} {SOFIA['last']}", SOFIA["phone"])
    engine = create_engine(tracker)
    try:
        with engine.connect() as connection:
            left = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :c"), {"c": chat.id})
            assert left.scalar() == 0
    finally:
        engine.dispose()
    requests = admin.get("/api/admin/privacy/requests").json()["items"]
    assert [r["kind"] for r in requests[:2]] == ["erase", "export"]
    assert SOFIA["email"] not in json.dumps(requests)
    # The widget's old conversation is gone for good; the customer can start a new one.
    gone = chat.http.get(f"/api/conversations/{chat.id}/messages", headers=chat.headers)
    assert gone.status_code == 404
    access = admin.get("/api/admin/privacy/access-log", params={"subject": chat.id}).json()["items"]
    assert [(e["username"], e["what"], e["via"]) for e in access] == [("alex", "conversation", "console")]
    profile_views = admin.get("/api/admin/privacy/access-log", params={"subject": SOFIA["id"]}).json()["items"]
    assert [(e["username"], e["what"], e["via"]) for e in profile_views] == [
        ("ada", "profile", "privacy"), ("alex", "profile", "console")]  # newest first: the admin looked her up


def test_only_admins_export_or_erase(stack):
    anonymous = httpx.Client(base_url=stack.desk_url, timeout=60)
    assert anonymous.get("/api/admin/privacy/customers/C1002/export").status_code == 401
    for username, password in (("alex", "harbor-agent-1"), ("erin", "harbor-editor-1"), ("lee", "harbor-lead-1")):
        someone = logged_in(stack, username, password)
        csrf = someone.get("/api/console/me").json()["csrf_token"]
        assert someone.get("/api/admin/privacy/customers/C1002/export").status_code == 403
        assert someone.get("/api/admin/privacy/access-log").status_code == 403
        assert someone.post("/api/admin/privacy/customers/C1002/erase", json={"confirm": "C1002"},
                            headers={"X-CSRF-Token": csrf}).status_code == 403
    admin = logged_in(stack, "ada", "harbor-admin-1")
    csrf = admin.get("/api/console/me").json()["csrf_token"]
    no_token = admin.post("/api/admin/privacy/customers/C1002/erase", json={"confirm": "C1002"})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]
    mismatch = admin.post("/api/admin/privacy/customers/C1002/erase", json={"confirm": "C1003"},
                          headers={"X-CSRF-Token": csrf})
    assert mismatch.status_code == 422 and "send its id again" in mismatch.json()["error"]
    unknown = admin.get("/api/admin/privacy/customers/C9999/export")
    assert unknown.status_code == 404 and unknown.json()["error"] == "no customer C9999"
    assert admin.get("/api/admin/privacy/customers/C1002").json()["erased"] is False  # nothing happened
