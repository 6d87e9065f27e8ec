"""Multi-turn conversations through the desk, with the real Rasa server and action server."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.integration


class Customer:
    """A customer talking to the desk's REST API."""

    def __init__(self, desk_url: str) -> None:
        self.http = httpx.Client(base_url=desk_url, timeout=60)
        created = self.http.post("/api/conversations")
        assert created.status_code == 201
        self.id = created.json()["id"]
        self.token = created.json()["token"]
        self.headers = {"X-Conversation-Token": self.token}

    def say(self, text: str) -> list[dict]:
        response = self.http.post(f"/api/conversations/{self.id}/messages", json={"text": text},
                                  headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["replies"]

    def says(self, text: str) -> str:
        """Send a message and return the bot's replies joined into one text."""
        return "\n".join(reply["text"] for reply in self.say(text))

    def transcript(self) -> list[dict]:
        response = self.http.get(f"/api/conversations/{self.id}/messages", headers=self.headers)
        assert response.status_code == 200
        return response.json()["messages"]


@pytest.fixture
def customer(stack) -> Customer:
    return Customer(stack.desk_url)


def test_tracking_an_order_asks_for_the_number_survives_a_question_and_answers(customer):
    assert "Harbor & Pine assistant" in customer.says("hi there")
    assert "order number" in customer.says("where is my parcel?? been waiting all week")
    interrupted = customer.says("oh wait, do you take paypal?")
    assert "PayPal" in interrupted and "order number" in interrupted
    assert "order number" in customer.says("not sure, maybe 12")  # not a valid number: asks again
    answer = customer.says("it's #10482")
    assert "#10482" in answer and "Account > Orders" in answer

    messages = customer.transcript()
    customer_texts = [m["text"] for m in messages if m["sender"] == "customer"]
    assert customer_texts == ["hi there", "where is my parcel?? been waiting all week",
                              "oh wait, do you take paypal?", "not sure, maybe 12", "it's #10482"]
    assert all(m["status"] == "answered" for m in messages if m["sender"] == "customer")
    assert messages[-1]["sender"] == "bot" and "#10482" in messages[-1]["text"]


def test_cancelling_needs_a_yes_and_offers_buttons(customer):
    [question] = customer.say("I need to cancel order 55821, ordered the wrong size")
    assert "#55821" in question["text"] and "$5" in question["text"]
    assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny"]
    assert "Cancellation requested for order #55821" in customer.says("/affirm")


def test_declining_a_cancellation_changes_nothing(customer):
    customer.says("cancel my order")
    assert "#30417" in customer.says("30417")
    assert "won't change #30417" in customer.says("no, leave it")


def test_the_order_number_is_remembered_for_a_follow_up(customer):
    assert "#77310" in customer.says("can you check the status of order 77310")
    assert "#77310" in customer.says("actually I want to cancel it")


def test_password_reset_asks_for_an_email_and_rejects_a_bad_one(customer):
    assert "e-mail address" in customer.says("forgot my password, can't log in")
    assert "doesn't look like an e-mail" in customer.says("jane at example dot com")
    assert "If jane.doe@example.com belongs to an account" in customer.says("jane.doe@example.com")


def test_stopping_a_form_midway(customer):
    assert "order number" in customer.says("I want a refund for the lamp")
    assert "stopped" in customer.says("no never mind")
    assert "PayPal" in customer.says("which payment methods do you accept")


def test_asking_for_a_person_produces_a_handoff_directive(customer):
    replies = customer.say("let me talk to a real person please")
    assert any("member of our team" in r["text"] for r in replies)
    assert any((r["custom"] or {}).get("handoff", {}).get("reason") == "customer_request"
               for r in replies)


def test_policy_answers_and_small_talk(customer):
    assert "$5 handling fee" in customer.says("is there a fee if i cancel?")
    assert "30 days" in customer.says("what is your return policy")
    assert "bot" in customer.says("am I talking to a robot")
    assert "only help with Harbor & Pine" in customer.says("who won the football last night")
    assert "delete" not in customer.says("thanks!").lower()


def test_deleting_an_account_needs_confirmation(customer):
    [question] = customer.say("please delete my account")
    assert "14-day grace period" in question["text"] and question["buttons"]
    assert "stays as it is" in customer.says("no keep it")


def test_two_conversations_do_not_share_state(stack):
    first, second = Customer(stack.desk_url), Customer(stack.desk_url)
    first.says("track order 44556")
    assert "order number" in second.says("where is my order")
    assert "44556" not in json.dumps(second.transcript())


def test_widget_websocket_conversation(stack, customer):
    url = stack.desk_url.replace("http", "ws") + f"/ws/conversations/{customer.id}?token={customer.token}"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"text": "hello"}))
        ack = json.loads(ws.recv(timeout=60))
        assert ack["type"] == "ack" and ack["message"]["text"] == "hello"
        greeting = json.loads(ws.recv(timeout=60))
        assert greeting["type"] == "message" and "Harbor & Pine" in greeting["message"]["text"]

        ws.send(json.dumps({"text": "wheres my order"}))
        assert json.loads(ws.recv(timeout=60))["type"] == "ack"
        assert "order number" in json.loads(ws.recv(timeout=60))["message"]["text"]
        ws.send(json.dumps({"text": "#20931"}))
        assert json.loads(ws.recv(timeout=60))["type"] == "ack"
        assert "#20931" in json.loads(ws.recv(timeout=60))["message"]["text"]

        ws.send(json.dumps({"text": "z" * 4001}))
        assert "longer than 4000" in json.loads(ws.recv(timeout=10))["error"]
    assert len(customer.transcript()) == 6  # three customer messages, three bot replies
