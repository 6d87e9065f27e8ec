"""Handoff to a person through the real stack: queueing in the same turn, nobody online,
the double-claim race, and the whole round trip back to the bot."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from websockets.sync.client import connect

from tests.integration.test_conversations import Customer

pytestmark = pytest.mark.integration


class Agent:
    """An agent using the console's API with a session cookie and its CSRF token."""

    def __init__(self, desk_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=desk_url, timeout=60)
        response = self.http.post("/api/console/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.headers = {"X-CSRF-Token": response.json()["csrf_token"]}

    def queue(self) -> list[dict]:
        return self.http.get("/api/console/queue").json()["items"]

    def entry(self, conversation_id: str) -> dict:
        return next(item for item in self.queue() if item["conversation_id"] == conversation_id)

    def view(self, conversation_id: str) -> dict:
        response = self.http.get(f"/api/console/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers)


def next_frame(widget, kind: str = "message") -> dict:
    """The widget's next frame of this kind (queue updates may come in between)."""
    while True:
        frame = json.loads(widget.recv(timeout=10))
        if frame["type"] == kind:
            return frame


def widget_url(stack, customer: Customer) -> str:
    return stack.desk_url.replace("http://", "ws://") + f"/ws/conversations/{customer.id}?token={customer.token}"


def rasa_user_texts(stack, conversation_id: str) -> list[str]:
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
                        params={"token": stack.rasa_token}).json()
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_rasas_http_api_needs_the_desks_token(stack):
    assert httpx.get(f"{stack.rasa_url}/conversations/someone/tracker").status_code == 401


def test_asking_for_a_person_queues_the_conversation_in_the_same_turn(stack):
    customer = Customer(stack.desk_url)
    customer.say("where is my order 10482")
    replies = customer.say("I want to talk to a human")
    notices = [r["text"] for r in replies]
    assert any("bring in a member of our team" in text for text in notices)
    agent = Agent(stack.desk_url, "alex", "harbor-agent-1")
    entry = agent.entry(customer.id)
    assert entry["status"] == "queued"
    assert entry["reasons"][0]["code"] == "customer_request"
    view = agent.view(customer.id)
    summary = view["summary"]
    assert summary["issue"] == "where is my order 10482"
    # "I want to talk to a human" matches no article; the articles stand in.
    assert view["suggestions"] and "order" in " ".join(s["title"] + s["text"] for s in view["suggestions"]).lower()
    assert summary["escalation"]["reasons"][0]["code"] == "customer_request"
    assert summary["wants"]["entities"].get("order_id") == ["10482"]


def test_a_customer_writing_while_nobody_is_online_is_told_when_and_loses_nothing(stack):
    customer = Customer(stack.desk_url)
    replies = customer.say("let me speak to a real person")
    assert "No one from our team is online right now" in replies[-1]["text"]
    assert "Monday to Friday" in replies[-1]["text"] and "e-mail address" in replies[-1]["text"]
    assert customer.say("Are you there? My parcel arrived broken.") == []
    assert customer.says("you can reach me at maya@example.com") == (
        "Thanks, we'll write to maya@example.com if we can't answer you here first.")
    texts = [m["text"] for m in customer.transcript() if m["sender"] == "customer"]
    assert texts[-2:] == ["Are you there? My parcel arrived broken.", "you can reach me at maya@example.com"]
    # In human mode nothing goes to the bot.
    assert "Are you there? My parcel arrived broken." not in rasa_user_texts(stack, customer.id)
    view = Agent(stack.desk_url, "sam", "harbor-agent-2").view(customer.id)
    assert view["contact_email"] == "maya@example.com"
    assert [m["text"] for m in view["transcript"]][-2] == "you can reach me at maya@example.com"


def test_a_very_angry_customer_reaches_a_person_without_asking(stack):
    customer = Customer(stack.desk_url)
    replies = customer.say("This is absolutely ridiculous, worst service ever, I am so angry!!!")
    assert any("bringing in a member of our team" in r["text"] for r in replies)
    entry = Agent(stack.desk_url, "alex", "harbor-agent-1").entry(customer.id)
    assert entry["priority"] == "high" and entry["reasons"][0]["code"] == "very_angry"


def test_two_agents_claiming_at_once_never_both_own_it(stack):
    customer = Customer(stack.desk_url)
    customer.say("I need a human")
    alex = Agent(stack.desk_url, "alex", "harbor-agent-1")
    sam = Agent(stack.desk_url, "sam", "harbor-agent-2")
    handoff_id = alex.entry(customer.id)["handoff_id"]

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def claim(agent: Agent) -> None:
        barrier.wait()
        statuses.append(agent.post(f"/api/console/handoffs/{handoff_id}/claim").status_code)

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in (alex, sam)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    owner = alex.entry(customer.id)["claimed_by"]
    assert owner in ("Alex Rivera", "Sam Okafor")
    loser = sam if owner == "Alex Rivera" else alex
    assert loser.post(f"/api/console/conversations/{customer.id}/messages", {"text": "hi"}).status_code == 409


def test_an_agent_answers_live_resolves_and_the_bot_takes_over_after_the_rating(stack):
    customer = Customer(stack.desk_url)
    customer.say("I'd like to talk to an agent")
    agent = Agent(stack.desk_url, "alex", "harbor-agent-1")
    with connect(widget_url(stack, customer)) as widget:
        assert agent.post(f"/api/console/handoffs/{agent.entry(customer.id)['handoff_id']}/claim").status_code == 200
        assert next_frame(widget)["message"]["text"] == "Alex Rivera from our team has joined the conversation."
        assert agent.post(f"/api/console/conversations/{customer.id}/notes", {"text": "Wants a callback"}).status_code == 201
        assert agent.post(f"/api/console/conversations/{customer.id}/messages",
                          {"text": "Hi, I'm Alex. How can I help?"}).status_code == 201
        pushed = next_frame(widget)["message"]
        assert (pushed["sender"], pushed["text"], pushed["author"]) == ("agent", "Hi, I'm Alex. How can I help?", "Alex Rivera")
        # With an agent on it, an e-mail address is just part of the chat.
        assert customer.say("sure, it's pat@example.com") == []
        assert agent.post(f"/api/console/conversations/{customer.id}/resolve").status_code == 200
        rating = next_frame(widget)["message"]
        assert "rate" in rating["text"] and [b["payload"] for b in rating["buttons"]] == ["1", "2", "3", "4", "5"]
    assert customer.says("5") == "Thank you for rating us 5/5. I'm the assistant again; ask me anything."
    assert "return" in customer.says("how do I return an item?").lower()
    view = agent.view(customer.id)
    assert view["handoff"]["status"] == "resolved" and view["mode"] == "bot"
    assert [n["text"] for n in view["notes"]] == ["Wants a callback"]
    assert customer.id not in [item["conversation_id"] for item in agent.queue()]


def test_an_agent_can_hand_back_to_the_bot_without_resolving(stack):
    customer = Customer(stack.desk_url)
    customer.say("can I speak to a person")
    agent = Agent(stack.desk_url, "sam", "harbor-agent-2")
    agent.post(f"/api/console/handoffs/{agent.entry(customer.id)['handoff_id']}/claim")
    assert agent.post(f"/api/console/conversations/{customer.id}/hand-back").status_code == 200
    assert "passed you back to the assistant" in customer.transcript()[-1]["text"]
    assert "return" in customer.says("how do I return an item?").lower()
    payload = agent.http.get(f"/api/console/conversations/{customer.id}/handoff").json()
    assert payload["status"] == "returned" and payload["channel"] == "web"
    assert {"conversation_id", "customer_id", "transcript", "slots", "intents", "language"} <= payload.keys()
    assert payload["intents"][0]["intent"]["confidence"] > 0


def test_a_waiting_customer_hears_their_place_in_the_queue_move(stack):
    waiting = Customer(stack.desk_url)
    waiting.say("I want to talk to a person")
    agent = Agent(stack.desk_url, "alex", "harbor-agent-1")
    stored = len(waiting.transcript())
    with connect(widget_url(stack, waiting)) as widget:
        place = next_frame(widget, "queue")["position"]
        angry = Customer(stack.desk_url)
        angry.say("This is absolutely ridiculous, worst service ever, I am so angry!!!")
        assert next_frame(widget, "queue")["position"] == place + 1  # the angry customer goes first
        agent.post(f"/api/console/handoffs/{agent.entry(angry.id)['handoff_id']}/claim")
        assert next_frame(widget, "queue")["position"] == place
    assert len(waiting.transcript()) == stored  # positions are frames, not stored messages
