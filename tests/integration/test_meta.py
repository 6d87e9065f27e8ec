"""Messenger and the WhatsApp Cloud API through the real stack and a fake Graph API: the
subscription handshake, signed posts only, quick replies and reply buttons, one reply per
message id."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

import httpx
import pytest

from tests.fakes.providers import META_APP_SECRET, META_VERIFY_TOKEN

pytestmark = pytest.mark.integration
ids = itertools.count(1)
PHONE_NUMBER_ID = "106540352242922"


def post(stack, envelope: dict, secret: str = META_APP_SECRET) -> httpx.Response:
    body = json.dumps(envelope).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{stack.desk_url}/webhooks/meta", content=body, timeout=60,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def messenger(psid: str, text: str | None = None, quick_reply: str | None = None, mid: str | None = None) -> dict:
    message = {"mid": mid or f"m_{next(ids)}", "text": text or ""}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return {"object": "page", "entry": [{"id": "PAGE", "time": int(time.time() * 1000), "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": int(time.time() * 1000),
         "message": message}]}]}


def whatsapp(number: str, message: dict) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Priya"}, "wa_id": number}],
        "messages": [{"from": number, "id": f"wamid.{next(ids)}", "timestamp": str(int(time.time())), **message}]}}]}]}


def until(check, timeout_s: float = 30):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return found


def test_the_subscription_handshake(channels):
    url = f"{channels.stack.desk_url}/webhooks/meta"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}).status_code == 403


def test_messenger_quick_replies_round_trip_and_forgeries_are_refused(channels):
    stack, fake, psid = channels.stack, channels.meta, "PSID-1"
    assert post(stack, messenger(psid, "which payment methods do you accept"), secret="forged").status_code == 401
    assert post(stack, messenger(psid, "which payment methods do you accept")).status_code == 200
    sent = until(lambda: len(fake.messenger_to(psid)) >= 2 and fake.messenger_to(psid))
    assert "PayPal" in sent[0]["text"]
    assert [q["payload"] for q in sent[1]["quick_replies"]] == ["/affirm", "/deny"]
    post(stack, messenger(psid, "Yes", quick_reply="/affirm"))
    assert "glad that helped" in until(lambda: len(fake.messenger_to(psid)) >= 3 and fake.messenger_to(psid))[2]["text"]



def test_whatsapp_cloud_reply_buttons_and_media(channels):
    stack, fake, number = channels.stack, channels.meta, "4915112345678"
    post(stack, whatsapp(number, {"type": "text", "text": {"body": "which payment methods do you accept"}}))
    sent = until(lambda: len(fake.whatsapp_to(number)) >= 2 and fake.whatsapp_to(number))
    path, buttons = sent[1]
    assert path.endswith(f"/{PHONE_NUMBER_ID}/messages") and buttons["type"] == "interactive"
    assert [b["reply"]["id"] for b in buttons["interactive"]["action"]["buttons"]] == ["/affirm", "/deny"]
    post(stack, whatsapp(number, {"type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": "/affirm", "title": "Yes"}}}))
    assert "glad that helped" in until(lambda: len(fake.whatsapp_to(number)) >= 3 and fake.whatsapp_to(number))[2][1]["text"]["body"]
    post(stack, whatsapp(number, {"type": "image", "image": {"id": "img1", "mime_type": "image/jpeg"}}))
    assert "only read text" in until(lambda: len(fake.whatsapp_to(number)) >= 4 and fake.whatsapp_to(number))[3][1]["text"]["body"]
