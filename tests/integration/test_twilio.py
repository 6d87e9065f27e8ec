"""SMS and WhatsApp through Twilio, with the real stack and a fake Messages API: signed posts
only (the signature over the public URL, as behind a proxy), numbered options, one reply per
MessageSid, and WhatsApp's 24-hour window told to the agent."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from bot.channels.models import ChannelContact
from bot.channels.twilio import PATH, signature
from bot.db import make_engine, utcnow
from tests.fakes.providers import PUBLIC_URL, TWILIO_SID, TWILIO_TOKEN

pytestmark = pytest.mark.integration
OURS = "+15005550006"
sids = itertools.count(1)


def inbound(stack, sender: str, body: str, sid: str | None = None, token: str = TWILIO_TOKEN,
            **extra: str) -> httpx.Response:
    to = f"whatsapp:{OURS}" if sender.startswith("whatsapp:") else OURS
    form = {"AccountSid": TWILIO_SID, "MessageSid": sid or f"SM{next(sids):032d}", "From": sender, "To": to,
            "Body": body, "NumMedia": "0", **extra}
    headers = {"X-Twilio-Signature": signature(token, PUBLIC_URL + PATH, form)}
    return httpx.post(stack.desk_url + PATH, data=form, headers=headers, timeout=60)


def wait_for(fake, number: str, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while len(fake.sent_to(number)) < count:
        assert time.monotonic() < deadline, f"only {fake.sent_to(number)} arrived"
        time.sleep(0.1)
    return fake.sent_to(number)


def test_an_sms_customer_gets_numbered_options_and_answers_with_a_number(channels):
    stack, fake, number = channels.stack, channels.twilio, "+14155550101"
    response = inbound(stack, number, "which payment methods do you accept")
    assert response.status_code == 200 and "<Response>" in response.text
    sent = wait_for(fake, number, 2)
    assert "PayPal" in sent[0]["Body"] and sent[0]["From"] == OURS
    assert "1. Yes" in sent[1]["Body"] and "(Reply 1, 2)" in sent[1]["Body"]
    inbound(stack, number, "1")
    assert "glad that helped" in wait_for(fake, number, 3)[2]["Body"]


def test_a_forged_signature_is_refused_and_a_repeated_message_sid_answered_once(channels):
    stack, fake, number = channels.stack, channels.twilio, "+14155550102"
    assert inbound(stack, number, "hi", token="not-the-token").status_code == 403
    assert inbound(stack, number, "hi", sid="SM" + "9" * 32).status_code == 200
    assert inbound(stack, number, "hi", sid="SM" + "9" * 32).status_code == 200
    wait_for(fake, number, 1)
    time.sleep(1.5)
    assert len(fake.sent_to(number)) == 1


def test_whatsapp_media_gets_a_polite_answer(channels):
    stack, fake, number = channels.stack, channels.twilio, "whatsapp:+14155550103"
    assert inbound(stack, number, "", NumMedia="1", MediaUrl0="https://api.twilio.com/x.jpg").status_code == 200
    sent = wait_for(fake, number, 1)
    assert "only read text" in sent[0]["Body"] and sent[0]["From"] == f"whatsapp:{OURS}"


def test_an_agent_is_told_when_whatsapps_24_hour_window_has_closed(channels):
    stack, fake, number = channels.stack, channels.twilio, "whatsapp:+14155550104"
    inbound(stack, number, "I want to talk to a person")
    wait_for(fake, number, 1)
    agent = httpx.Client(base_url=stack.desk_url, timeout=30)
    headers = {"X-CSRF-Token": agent.post("/api/console/login", json={
        "username": "alex", "password": "harbor-agent-1"}).json()["csrf_token"]}
    item = next(i for i in agent.get("/api/console/queue").json()["items"]
                if (agent.get(f"/api/console/conversations/{i['conversation_id']}").json().get("messaging") or {})
                .get("channel") == "whatsapp" and i["status"] == "queued")
    agent.post(f"/api/console/handoffs/{item['handoff_id']}/claim", headers=headers).raise_for_status()
    url = f"/api/console/conversations/{item['conversation_id']}/messages"
    assert agent.post(url, headers=headers, json={"text": "Hi, Alex here"}).status_code == 201
    deadline = time.monotonic() + 30
    while "Hi, Alex here" not in [m["Body"] for m in fake.sent_to(number)]:
        assert time.monotonic() < deadline, fake.sent_to(number)
        time.sleep(0.1)

    engine = make_engine(stack.database_url)  # the customer last wrote 25 hours ago
    with engine.begin() as connection:
        connection.execute(update(ChannelContact).where(ChannelContact.external_id == number)
                           .values(last_inbound_at=utcnow() - timedelta(hours=25)))
    engine.dispose()
    refused = agent.post(url, headers=headers, json={"text": "Are you still there?"})
    assert refused.status_code == 409 and "24 hours" in refused.json()["error"]
    time.sleep(1)
    assert "Are you still there?" not in [m["Body"] for m in fake.sent_to(number)]
