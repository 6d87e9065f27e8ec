"""Multi-turn conversations through the desk, with the real Rasa server and action server."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.integration


class Customer:
    """A customer talking to the desk's REST API."""

    def __init__(self, desk_url: str, identity: dict | None = None) -> None:
        self.http = httpx.Client(base_url=desk_url, timeout=60)
        created = self.http.post("/api/conversations", json={"identity": identity} if identity else None)
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


def test_tracking_an_order_verifies_survives_a_question_and_answers(customer):
    assert "Harbor & Pine assistant" in customer.says("hi there")
    assert "e-mail address on your account" in customer.says("where is my parcel?? been waiting all week")
    interrupted = customer.says("oh wait, do you take paypal?")
    assert "PayPal" in interrupted and "e-mail address on your account" in interrupted
    assert "number of one of your orders" in customer.says("maya.chen@example.com")
    assert "doesn't look like an order number" in customer.says("not sure, maybe 12")
    answer = customer.says("it's #10482")
    assert "#10482" in answer and "shipped" in answer

    messages = customer.transcript()
    customer_texts = [m["text"] for m in messages if m["sender"] == "customer"]
    assert customer_texts == ["hi there", "where is my parcel?? been waiting all week",
                              "oh wait, do you take paypal?", "maya.chen@example.com",
                              "not sure, maybe 12", "it's #10482"]
    assert all(m["status"] == "answered" for m in messages if m["sender"] == "customer")
    assert messages[-1]["sender"] == "bot" and "#10482" in messages[-1]["text"]


def test_the_order_number_is_remembered_for_a_follow_up(customer):
    customer.says("can you check the status of order 10482")
    customer.says("maya.chen@example.com")
    assert "can't be cancelled" in customer.says("actually I want to cancel it")


def test_password_reset_asks_for_an_email_and_rejects_a_bad_one(customer):
    assert "e-mail address" in customer.says("forgot my password, can't log in")
    assert "doesn't look like an e-mail" in customer.says("jane at example dot com")
    assert "If jane.doe@example.com belongs to an account" in customer.says("jane.doe@example.com")


def test_stopping_a_form_midway(customer):
    assert "e-mail address on your account" in customer.says("I want a refund for the lamp")
    assert "stopped" in customer.says("no never mind")
    assert "PayPal" in customer.says("which payment methods do you accept")


def test_asking_for_a_person_produces_a_handoff_directive(customer):
    replies = customer.say("let me talk to a real person please")
    assert any("member of our team" in r["text"] for r in replies)
    handoff = next(r["custom"]["handoff"] for r in replies if r["custom"])
    assert handoff == {"reason": "customer_request", "customer_id": None, "priority": "normal"}


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
    first.says("track order 10482")
    first.says("maya.chen@example.com")
    reply = second.says("where is my order")
    assert "e-mail address on your account" in reply
    assert "10482" not in json.dumps(second.transcript())


def test_widget_websocket_conversation(stack, customer):
    url = stack.desk_url.replace("http", "ws") + f"/ws/conversations/{customer.id}?token={customer.token}"

    def exchange(ws, text: str) -> str:
        ws.send(json.dumps({"text": text}))
        ack = json.loads(ws.recv(timeout=60))
        assert ack["type"] == "ack" and ack["message"]["text"] == text
        return json.loads(ws.recv(timeout=60))["message"]["text"]

    with connect(url, open_timeout=10) as ws:
        assert "Harbor & Pine" in exchange(ws, "hello")
        assert "e-mail address" in exchange(ws, "wheres my order")
        assert "number of one of your orders" in exchange(ws, "priya.nair@example.com")
        ws.send(json.dumps({"text": "31022"}))
        assert json.loads(ws.recv(timeout=60))["type"] == "ack"
        frames = [json.loads(ws.recv(timeout=60)) for _ in range(3)]  # verified, link, order
        assert any("#31022" in (f["message"]["text"] or "") for f in frames)

        ws.send(json.dumps({"text": "z" * 4001}))
        assert "longer than 4000" in json.loads(ws.recv(timeout=10))["error"]
    assert len([m for m in customer.transcript() if m["sender"] == "customer"]) == 4


def test_rasa_scores_each_message_as_the_desks_own_sentiment_model_would(stack):
    """Rasa attaches the sentiment (components/sentiment_annotator.py, from the vector it
    computed anyway); the escalation policy must read the same score as before."""
    from sqlalchemy import select

    from bot.db import make_engine, make_session_factory
    from bot.desk.models import Message, Sender
    from bot.escalation.sentiment import default_sentiment_model
    from bot.settings import Settings

    customer = Customer(stack.desk_url)
    texts = ["hi there", "this is the WORST service, my parcel is two weeks late!!!", "thanks, that helps :)"]
    for text in texts:
        customer.say(text)
    engine = make_engine(stack.database_url)
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(Message).where(Message.conversation_id == customer.id,
                                                       Message.sender == Sender.customer)
                                 .order_by(Message.id)).all()
        analyses = [m.analysis["sentiment"] for m in stored]
    engine.dispose()
    expected = default_sentiment_model(Settings()).score_many(texts)
    for analysis, score in zip(analyses, expected, strict=True):
        assert analysis["label"] == score.label
        for field in ("negative", "neutral", "positive", "anger"):
            assert abs(analysis[field] - getattr(score, field)) < 1e-3, (analysis, score)
    assert analyses[1]["label"] == "negative" and analyses[2]["label"] == "positive"
