"""Slack through the real stack and a fake Web API on loopback: signed requests only,
acknowledged at once, button clicks, retries and replays that produce no second reply."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.providers import SLACK_SIGNING_SECRET

pytestmark = pytest.mark.integration
events = itertools.count(1)


def signed(body: bytes, timestamp: int | None = None, secret: str = SLACK_SIGNING_SECRET) -> dict:
    """Headers as Slack signs them: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def message_event(channel: str, text: str, event_id: str | None = None) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id or f"Ev{next(events):08d}",
                       "team_id": "T1", "event": {"type": "message", "channel": channel, "user": "U42",
                                                  "text": text, "ts": f"{time.time():.6f}",
                                                  "channel_type": "im"}}).encode()


def post_event(stack, body: bytes, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{stack.desk_url}/webhooks/slack/events", content=body, timeout=30,
                      headers={"Content-Type": "application/json", **(signed(body) if headers is None else headers)})


def wait_for(fake, channel: str, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while len(fake.posted(channel)) < count:
        assert time.monotonic() < deadline, f"only {fake.posted(channel)} arrived"
        time.sleep(0.1)
    return fake.posted(channel)


def test_the_url_verification_handshake(channels):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}).encode()
    response = post_event(channels.stack, body)
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_a_message_is_acknowledged_at_once_and_answered_with_buttons(channels):
    stack, fake = channels.stack, channels.slack
    started = time.perf_counter()
    response = post_event(stack, message_event("D100", "which payment methods do you accept"))
    assert response.status_code == 200 and time.perf_counter() - started < 3
    posted = wait_for(fake, "D100", 2)
    assert "PayPal" in posted[0]["text"]
    actions = posted[1]["blocks"][-1]
    assert actions["type"] == "actions"
    assert [e["value"] for e in actions["elements"]] == ["/affirm", "/deny"]

    click = {"type": "block_actions", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
             "user": {"id": "U42"}, "channel": {"id": "D100"},
             "actions": [{"action_id": "choice-0", "value": "/affirm", "type": "button",
                          "action_ts": f"{time.time():.6f}"}]}
    body = urlencode({"payload": json.dumps(click)}).encode()
    response = httpx.post(f"{stack.desk_url}/webhooks/slack/interactivity", content=body, timeout=30,
                          headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})
    assert response.status_code == 200
    assert "glad that helped" in wait_for(fake, "D100", 3)[2]["text"]


def test_forged_expired_and_replayed_requests_are_refused(channels):
    stack, fake = channels.stack, channels.slack
    body = message_event("D101", "hi")
    assert post_event(stack, body, signed(body, secret="not-the-secret")).status_code == 401
    assert post_event(stack, body, {}).status_code == 401
    six_minutes_ago = int(time.time()) - 360
    assert post_event(stack, body, signed(body, timestamp=six_minutes_ago)).status_code == 401
    time.sleep(1)
    assert fake.posted("D101") == []


def test_slacks_retries_of_one_event_get_one_reply(channels):
    stack, fake = channels.stack, channels.slack
    body = message_event("D102", "hi", event_id="Ev-retried")
    for retry in range(3):
        headers = {**signed(body), **({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                                      if retry else {})}
        assert post_event(stack, body, headers).status_code == 200
    wait_for(fake, "D102", 1)
    time.sleep(1.5)
    assert len(fake.posted("D102")) == 1


def test_the_bots_own_messages_are_ignored(channels):
    stack, fake = channels.stack, channels.slack
    body = json.dumps({"type": "event_callback", "event_id": "Ev-bot", "event": {
        "type": "message", "channel": "D103", "bot_id": "B1", "text": "I'm the bot"}}).encode()
    assert post_event(stack, body).status_code == 200
    time.sleep(1)
    assert fake.posted("D103") == []


def test_the_message_is_stored_before_slack_gets_its_answer(channels):
    from sqlalchemy import select

    from bot.db import make_engine, make_session_factory
    from bot.desk.models import Message

    text = f"is my blender coming {time.time()}"
    assert post_event(channels.stack, message_event("D104", text)).status_code == 200
    engine = make_engine(channels.stack.database_url)
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(Message).where(Message.text == text)).all()
    engine.dispose()
    assert len(stored) == 1 and stored[0].sender.value == "customer"
