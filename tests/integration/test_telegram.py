"""Telegram through the real stack (Rasa, action server, desk) and a fake Bot API on loopback:
verified webhooks, stored first, answered through the outbox with inline buttons, agents'
replies delivered, redeliveries and provider errors costing no reply and no duplicate."""

from __future__ import annotations

import itertools
import time

import httpx
import pytest

from bot.launcher import Stack
from tests.fakes.providers import TELEGRAM_SECRET
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.integration
updates = itertools.count(1000)


@pytest.fixture
def telegram(channels) -> tuple[Stack, FakeTelegram]:
    return channels.stack, channels.telegram


def text_update(chat_id: int, text: str, update_id: int | None = None) -> dict:
    return {"update_id": update_id or next(updates), "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "is_bot": False, "first_name": "Maya"}}}


def post(stack: Stack, update: dict, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(f"{stack.desk_url}/webhooks/telegram", json=update, headers=headers, timeout=60)


def wait_for(fake: FakeTelegram, chat_id: int, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while len(fake.sent(chat_id)) < count:
        assert time.monotonic() < deadline, f"only {fake.sent(chat_id)} arrived"
        time.sleep(0.1)
    return fake.sent(chat_id)



def test_a_button_press_is_answered_and_stops_spinning(telegram):
    stack, fake = telegram
    chat = 5002
    post(stack, text_update(chat, "which payment methods do you accept"))
    sent = wait_for(fake, chat, 2)
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["/affirm", "/deny"]
    press = {"update_id": next(updates), "callback_query": {
        "id": "cb-1", "from": {"id": chat, "first_name": "Maya"}, "data": "/affirm",
        "message": {"message_id": 9, "chat": {"id": chat, "type": "private"}}}}
    assert post(stack, press).status_code == 200
    assert "glad that helped" in wait_for(fake, chat, 3)[2]["text"]
    assert {"callback_query_id": "cb-1"} in fake.method_calls("answerCallbackQuery")


def test_a_forged_or_missing_secret_is_refused_and_stores_nothing(telegram):
    stack, fake = telegram
    chat = 5003
    assert post(stack, text_update(chat, "hello"), secret="wrong").status_code == 401
    assert post(stack, text_update(chat, "hello"), secret=None).status_code == 401
    time.sleep(1)
    assert fake.sent(chat) == []




def test_photos_get_a_polite_answer(telegram):
    stack, fake = telegram
    chat = 5006
    update = text_update(chat, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "abc", "width": 90, "height": 90}]
    assert post(stack, update).status_code == 200
    assert "only read text" in wait_for(fake, chat, 1)[0]["text"]



def test_a_reply_the_provider_refuses_for_good_is_shown_to_the_agent(telegram):
    stack, fake = telegram
    chat = 5008
    fake.failures.append((403, {"ok": False, "error_code": 403,
                                "description": "Forbidden: bot was blocked by the user"}))
    post(stack, text_update(chat, "I want to talk to a person"))
    agent = httpx.Client(base_url=stack.desk_url, timeout=30)
    agent.post("/api/console/login", json={"username": "sam", "password": "harbor-agent-2"}).raise_for_status()
    deadline = time.monotonic() + 30
    while True:
        items = [i for i in agent.get("/api/console/queue").json()["items"] if i["status"] == "queued"]
        views = [agent.get(f"/api/console/conversations/{i['conversation_id']}").json() for i in items]
        mine = [v for v in views if (v.get("messaging") or {}).get("undelivered")]
        if mine:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "blocked by the user" in mine[0]["messaging"]["undelivered"][0]["error"]


def test_one_customer_on_the_widget_and_on_telegram_is_one_customer(telegram):
    from bot.identity import sign

    stack, fake = telegram
    chat = 5009
    post(stack, text_update(chat, "where is my order?"))
    wait_for(fake, chat, 1)
    post(stack, text_update(chat, "maya.chen@example.com"))
    wait_for(fake, chat, 2)
    post(stack, text_update(chat, "10482"))
    wait_for(fake, chat, 3)
    identity = sign("C1001", stack.env["ASSISTANT_IDENTITY_SECRET"]).model_dump()
    widget = httpx.Client(base_url=stack.desk_url, timeout=60)
    created = widget.post("/api/conversations", json={"identity": identity}).json()
    widget.post(f"/api/conversations/{created['id']}/messages", json={"text": "I want to talk to a person"},
                headers={"X-Conversation-Token": created["token"]}).raise_for_status()
    agent = httpx.Client(base_url=stack.desk_url, timeout=30)
    agent.post("/api/console/login", json={"username": "alex", "password": "harbor-agent-1"}).raise_for_status()
    view = agent.get(f"/api/console/conversations/{created['id']}").json()
    assert view["profile"]["id"] == "C1001"
    assert "telegram" in [o["channel"] for o in view["other_conversations"]]
