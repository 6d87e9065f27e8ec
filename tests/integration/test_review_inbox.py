"""The review inbox fills from real conversations: what NLU could not place, what no article
answered, and answers the customer said did not help."""

from __future__ import annotations

import time

import httpx
import pytest

from .test_conversations import Customer

pytestmark = pytest.mark.integration


def inbox_items(stack, conversation_id: str, expected: int) -> dict[str, list[str]]:
    editor = httpx.Client(base_url=stack.desk_url, timeout=30)
    editor.post("/api/console/login", json={"username": "erin", "password": "harbor-editor-1"}).raise_for_status()
    deadline = time.monotonic() + 10
    while True:  # the desk writes the inbox right after the reply
        items = {item["text"]: item["reasons"]
                 for group in editor.get("/api/studio/inbox?limit=200").json()["groups"]
                 for item in group["examples"] if item["conversation_id"] == conversation_id}
        if len(items) >= expected or time.monotonic() > deadline:
            return items
        time.sleep(0.3)


def test_messages_the_bot_could_not_place_reach_the_inbox_and_the_escalation_marks_them(stack):
    customer = Customer(stack.desk_url)
    customer.says("is the merch en route")
    assert "not sure I have a good answer" in customer.says("do you engrave initials on the cutting boards")
    items = inbox_items(stack, customer.id, 2)
    assert {"fallback", "kb_declined"} <= set(items["do you engrave initials on the cutting boards"])
    assert "fallback" in items["is the merch en route"]
    # Two misunderstood messages in a row hand the conversation to a person: "not understood".
    deadline = time.monotonic() + 10
    while "not_understood" not in inbox_items(stack, customer.id, 2)["is the merch en route"]:
        assert time.monotonic() < deadline
        time.sleep(0.3)


def test_an_answer_that_did_not_help_sends_its_question_to_the_inbox(stack):
    customer = Customer(stack.desk_url)
    assert "Did that answer your question?" in customer.says("which payment methods do you accept")
    customer.says("/deny")
    items = inbox_items(stack, customer.id, 1)
    assert items == {"which payment methods do you accept": ["not_helpful"]}
    # The desk's own markers are not stored as empty messages for the customer.
    assert all(m["text"] for m in customer.transcript())
