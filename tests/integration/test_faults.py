"""Parts failing under a live conversation, on a stack of its own that is supervised as
`assistant run` supervises it: Rasa killed and restarted, the action server killed, the desk
killed with a message in flight. After each, every customer message is stored once and
answered once, in order, and no reply is sent twice."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.launcher import Stack
from bot.training import ensure_model
from tests.profile import embedded_only

# Its own supervised embedded stack; the production profile's failures (a Rasa server or a
# desk worker down) are in test_workers.py.
pytestmark = [pytest.mark.integration, embedded_only]


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack.isolated(ensure_model(), tmp_path_factory.mktemp("fault-stack"),
                           env={"ASSISTANT_RASA_TIMEOUT_S": "5"})
    stack.start()
    stop = threading.Event()
    supervisor = threading.Thread(target=stack.supervise, kwargs={"stop": stop, "interval_s": 0.5}, daemon=True)
    try:
        stack.wait_healthy(timeout_s=240)
        supervisor.start()
        yield stack
    finally:
        stop.set()
        supervisor.join(10)
        stack.stop()


class Customer:
    def __init__(self, stack: Stack) -> None:
        self.client = httpx.Client(base_url=stack.desk_url, timeout=60)
        created = self.client.post("/api/conversations").json()
        self.path = f"/api/conversations/{created['id']}/messages"
        self.headers = {"X-Conversation-Token": created["token"]}

    def say(self, text: str) -> httpx.Response:
        return self.client.post(self.path, json={"text": text}, headers=self.headers)

    def transcript(self) -> list[dict]:
        return self.client.get(self.path, headers=self.headers).json()["messages"]

    def wait_answered(self, texts: list[str], timeout_s: float = 150) -> list[dict]:
        """Until each of `texts` is stored once and followed by the bot's reply."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                messages = self.transcript()
            except httpx.HTTPError:  # the desk is restarting
                messages = [{"sender": "customer", "text": None, "status": None}]
            mine = [m for m in messages if m["sender"] == "customer"]
            if [m["text"] for m in mine] == texts and all(m["status"] == "answered" for m in mine) \
                    and messages[-1]["sender"] == "bot":
                return messages
            assert time.monotonic() < deadline, messages
            time.sleep(0.5)


def turns(messages: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
    """Each customer message with the bot replies that follow it."""
    out: list[tuple[str, list[str]]] = []
    for m in messages:
        if m["sender"] == "customer":
            out.append((m["text"], []))
        elif out:
            out[-1][1].append(m["text"])
    return [(text, tuple(replies)) for text, replies in out]


def wait_until(check, timeout_s: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def rasa_up(stack: Stack) -> bool:
    try:
        return httpx.get(stack.rasa_url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_rasa_killed_mid_conversation_answers_everything_once_when_it_is_back(supervised):
    customer = Customer(supervised)
    assert customer.say("hi").status_code == 200
    supervised.kill("rasa")
    wait_until(lambda: not rasa_up(supervised), 30)
    first = customer.say("can I pay with paypal?")
    assert first.status_code == 503 and first.json()["code"] == "bot_unavailable"
    assert "your message was saved" in first.json()["error"]
    assert customer.say("and do you ship to canada").status_code == 503
    messages = customer.wait_answered(["hi", "can I pay with paypal?", "and do you ship to canada"])
    later = [m["text"] for m in messages[[m["text"] for m in messages].index("and do you ship to canada") + 1:]]
    paypal = [i for i, text in enumerate(later) if "PayPal" in text]
    canada = [i for i, text in enumerate(later) if "outside the US" in text]
    assert len(paypal) == 1 and len(canada) == 1 and paypal[0] < canada[0], " || ".join(later)  # once each, in order


def test_the_action_server_killed_mid_conversation(supervised):
    customer = Customer(supervised)
    assert customer.say("hi").status_code == 200
    supervised.kill("actions")
    response = customer.say("where is my order?")
    assert response.status_code == 503 and response.json()["code"] == "bot_unavailable", response.text
    messages = customer.wait_answered(["hi", "where is my order?"])
    assert "e-mail" in " ".join(turns(messages)[1][1])


def test_the_desk_killed_with_a_message_in_flight_answers_it_after_the_restart(supervised):
    customer = Customer(supervised)
    assert customer.say("hi").status_code == 200
    supervised.kill("rasa", signal.SIGSTOP)  # Rasa hangs: the turn is in flight
    try:
        in_flight = threading.Thread(target=lambda: _quietly(customer.say, "how long do I have to return something?"))
        in_flight.start()
        wait_until(lambda: [m["text"] for m in customer.transcript()][-1:] == ["how long do I have to return something?"], 30)
        supervised.kill("desk")  # crashes; the supervisor starts it again
    finally:
        supervised.kill("rasa", signal.SIGCONT)
    in_flight.join(60)
    messages = customer.wait_answered(["hi", "how long do I have to return something?"])
    assert "30 days" in " ".join(turns(messages)[1][1])
    time.sleep(3)  # a second sweep must not answer it again
    assert customer.transcript() == messages


def _quietly(call, *args) -> None:  # noqa: ANN001
    try:
        call(*args)
    except httpx.HTTPError:
        pass  # the desk died under the request
