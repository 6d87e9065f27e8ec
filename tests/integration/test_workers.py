"""Several desk workers and Rasa servers behaving as one desk (the production profile):
an agent on one worker reaches a widget connected to another, every console sees the same
queue, a conversation goes on when its worker or its Rasa server goes away, and the studio
says why it does not publish to several servers. On the embedded profile the first test
runs with one worker on both ends."""

from __future__ import annotations

import time
import uuid
import zlib

import httpx
import pytest
from websockets.sync.client import connect

from tests.integration.test_conversations import Customer
from tests.integration.test_handoff import Agent, next_frame
from tests.profile import PRODUCTION

pytestmark = pytest.mark.integration
production_only = pytest.mark.skipif(not PRODUCTION, reason="needs several desk workers and Rasa servers")


def ws(desk_url: str) -> str:
    return desk_url.replace("http://", "ws://")


def test_an_agent_on_one_worker_reaches_a_widget_connected_to_another(stack):
    first, other = stack.desk_urls[0], stack.desk_urls[-1]
    customer = Customer(other)
    agent = Agent(first, "alex", "harbor-agent-1")
    cookie = "; ".join(f"{name}={value}" for name, value in agent.http.cookies.items())
    with connect(f"{ws(first)}/ws/console", additional_headers={"Cookie": cookie}) as console, \
            connect(f"{ws(other)}/ws/conversations/{customer.id}?token={customer.token}") as widget:
        assert next_frame(console, "queue")  # the console's first snapshot
        customer.say("I want to talk to a real person")
        # The escalation happened on the other worker; this worker's console hears of it.
        while not any(item["conversation_id"] == customer.id
                      for item in next_frame(console, "queue")["queue"]["items"]):
            pass
        assert next_frame(widget, "queue")["agents_online"] >= 1  # counted across workers
        handoff = agent.entry(customer.id)["handoff_id"]
        assert agent.post(f"/api/console/handoffs/{handoff}/claim").status_code == 200
        assert next_frame(widget)["message"]["text"] == "Alex Rivera from our team has joined the conversation."
        assert agent.post(f"/api/console/conversations/{customer.id}/messages",
                          {"text": "Hello from the other worker"}).status_code == 201
        pushed = next_frame(widget)["message"]
        assert (pushed["sender"], pushed["text"]) == ("agent", "Hello from the other worker")
        customer.say("thanks, my parcel is late")
        changed = next_frame(console, "conversation")
        assert changed["conversation_id"] == customer.id
    assert [m["text"] for m in customer.transcript()][-2:] == ["Hello from the other worker",
                                                               "thanks, my parcel is late"]


@production_only
def test_a_conversation_goes_on_when_its_rasa_server_goes_away(stack):
    customer = Customer(stack.desk_urls[0])
    assert "e-mail address on your account" in customer.says("where is my parcel?")
    # The desk sends each conversation to one server (crc32 of its id); stop that one.
    own = ["rasa", "rasa-2"][zlib.crc32(customer.id.encode()) % 2]
    stack.kill(own)
    try:
        # The other server reads the same tracker (PostgreSQL): the form goes on where it was.
        assert "number of one of your orders" in customer.says("maya.chen@example.com")
    finally:
        stack.restart(own)
    # Back on its own server, restarted: it reads the tracker from PostgreSQL.
    answer = customer.says("it's #10482")
    assert "#10482" in answer and "shipped" in answer


@production_only
def test_rasa_servers_taking_turns_never_answer_from_a_stale_tracker(stack):
    """Each server keeps the trackers it saved in memory (components/tracker_store.py); one
    that missed a turn must see it in the database and not answer from its memory."""
    first, second = (f"http://127.0.0.1:{port}" for port in stack.ports.all_rasa)
    sender = f"taking-turns-{uuid.uuid4().hex}"

    def say(server: str, text: str) -> dict:
        response = httpx.post(f"{server}/webhooks/desk/webhook", json={"sender": sender, "message": text},
                              timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def texts(turn: dict) -> str:
        return " ".join(m.get("text") or "" for m in turn["messages"])

    opened = say(first, "where is my parcel?")
    assert "e-mail address on your account" in texts(opened)
    assert opened["reading"]["latest_message"]["intent"]["name"] == "track_order"
    assert opened["reading"]["active_loop"]["name"] and opened["reading"]["slots"]["requested_slot"]
    assert "number of one of your orders" in texts(say(second, "maya.chen@example.com"))
    answer = texts(say(first, "it's #10482"))  # the first server's memory is a turn behind
    assert "#10482" in answer and "shipped" in answer


@production_only
def test_a_customer_goes_on_with_another_worker_when_theirs_stops(stack):
    customer = Customer(stack.desk_urls[1])
    assert customer.says("hi")
    stack.kill("desk-2")
    try:
        customer.http.base_url = stack.desk_urls[0]  # what the load balancer does next
        assert "return" in customer.says("how do I return an item?").lower()
    finally:
        stack.restart("desk-2")
    assert [m["sender"] for m in customer.transcript()].count("customer") == 2


@production_only
def test_the_studio_says_why_it_does_not_publish_to_several_rasa_servers(stack):
    editor = Agent(stack.desk_urls[0], "erin", "harbor-editor-1")
    response = editor.post("/api/studio/train")
    assert response.status_code == 409
    assert "answers from 2" in response.json()["error"] and "docs/deployment.md" in response.json()["error"]


@production_only
def test_with_redis_down_a_message_is_kept_and_answered_once_it_is_back(stack):
    """Redis holds the conversation locks, the live hub and the rate limits: while it is away a
    customer's message is still stored and the customer told; recovery answers it, once."""
    customer = Customer(stack.desk_urls[0])
    assert customer.says("hi")
    stack.datastores.redis.stop()
    try:
        waiting = customer.http.post(f"/api/conversations/{customer.id}/messages",
                                     json={"text": "how do I return an item?"}, headers=customer.headers)
        assert waiting.status_code == 503 and waiting.json()["code"] == "bot_unavailable"
        assert customer.transcript()[-1]["text"] == "how do I return an item?"
    finally:
        stack.datastores.redis.start(durable=False)
    deadline = time.monotonic() + 90
    while customer.transcript()[-1]["sender"] != "bot":
        assert time.monotonic() < deadline, customer.transcript()
        time.sleep(0.5)
    transcript = customer.transcript()
    asked = [m for m in transcript if m["sender"] == "customer"]
    assert [m["text"] for m in asked] == ["hi", "how do I return an item?"]
    answer = " ".join(m["text"] for m in transcript[transcript.index(asked[-1]) + 1:])
    assert asked[-1]["status"] == "answered" and "return" in answer.lower()
    assert Customer(stack.desk_urls[1]).says("hi")  # and the desk works as before
