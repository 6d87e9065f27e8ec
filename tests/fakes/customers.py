"""One customer on one messaging channel, as the provider would bring them to the desk: each
message posted to the desk's webhook in the provider's wire format, signed with its documented
algorithm, and what the customer received read back from the fake provider's records.

The same journey then reads the same on every channel (`say`, `press`, `received`), which is
what the cross-channel tests and `bench/channel_latency.py` rely on."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from bot.channels.twilio import PATH as TWILIO_PATH
from bot.channels.twilio import signature as twilio_signature
from tests.fakes.base import FakeProvider
from tests.fakes.meta import FakeMeta
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

_ids = itertools.count(int(time.time() * 1000) % 10**9)
OPTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Secrets:
    telegram: str
    slack: str
    twilio: str
    meta: str
    public_url: str  # what Twilio signs


@dataclass(frozen=True)
class Received:
    text: str
    options: list[str] = field(default_factory=list)  # the buttons' titles, as the customer sees them


class ChannelCustomer:
    channel: str

    def __init__(self, desk_url: str, fake: FakeProvider, secrets: Secrets, user: str) -> None:
        self.desk = httpx.Client(base_url=desk_url, timeout=60)
        self.fake = fake
        self.secrets = secrets
        self.user = user

    def say(self, text: str) -> httpx.Response:
        raise NotImplementedError

    def press(self, title: str) -> httpx.Response:
        """Press the button (or answer with the option's number) offered last with this title."""
        raise NotImplementedError

    def received(self) -> list[Received]:
        raise NotImplementedError

    def event(self, text: str) -> tuple[str, bytes, dict[str, str]]:
        """One signed webhook call (path, body, headers), to post as often as a test likes."""
        raise NotImplementedError

    def post(self, call: tuple[str, bytes, dict[str, str]]) -> httpx.Response:
        path, body, headers = call
        return self.desk.post(path, content=body, headers=headers)

    def wait(self, count: int, timeout_s: float = 40) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(got := self.received()) < count:
            assert time.monotonic() < deadline, f"{self.channel}: only {got} arrived"
            time.sleep(0.05)
        return got

    def wait_for(self, fragment: str, after: int = 0, timeout_s: float = 40) -> list[Received]:
        """Wait until a message received after the first `after` contains `fragment`."""
        deadline = time.monotonic() + timeout_s
        while True:
            got = self.received()
            if any(fragment in r.text for r in got[after:]):
                return got
            assert time.monotonic() < deadline, f"{self.channel}: no {fragment!r} in {got[after:]}"
            time.sleep(0.05)

    def _option(self, title: str) -> Received:
        for message in reversed(self.received()):
            if title in message.options:
                return message
        raise AssertionError(f"{self.channel}: no option {title!r} in {self.received()}")


class TelegramCustomer(ChannelCustomer):
    channel = "telegram"
    fake: FakeTelegram

    def event(self, text: str, callback: str | None = None) -> tuple[str, bytes, dict[str, str]]:
        person = {"id": int(self.user), "is_bot": False, "first_name": "Maya"}
        chat = {"id": int(self.user), "type": "private"}
        if callback is None:
            update = {"update_id": next(_ids), "message": {"message_id": next(_ids), "date": int(time.time()),
                                                           "text": text, "chat": chat, "from": person}}
        else:
            update = {"update_id": next(_ids), "callback_query": {
                "id": str(next(_ids)), "from": person, "data": callback,
                "message": {"message_id": next(_ids), "chat": chat}}}
        return "/webhooks/telegram", json.dumps(update).encode(), {
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secrets.telegram}

    def say(self, text: str) -> httpx.Response:
        return self.post(self.event(text))

    def press(self, title: str) -> httpx.Response:
        self._option(title)
        for body in reversed(self.fake.sent(self.user)):
            for row in (body.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title:
                        return self.post(self.event("", callback=button["callback_data"]))
        raise AssertionError(title)

    def received(self) -> list[Received]:
        return [Received(b["text"], [k["text"] for row in (b.get("reply_markup") or {}).get("inline_keyboard", [])
                                     for k in row]) for b in self.fake.sent(self.user)]


class SlackCustomer(ChannelCustomer):
    channel = "slack"
    fake: FakeSlack

    def _signed(self, body: bytes, content_type: str) -> dict[str, str]:
        timestamp = str(int(time.time()))
        digest = hmac.new(self.secrets.slack.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": f"v0={digest.hexdigest()}"}

    def event(self, text: str) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps({"type": "event_callback", "event_id": f"Ev{next(_ids)}", "team_id": "T1",
                           "event": {"type": "message", "channel": self.user, "user": "U" + self.user,
                                     "text": text, "ts": f"{time.time():.6f}", "channel_type": "im"}}).encode()
        return "/webhooks/slack/events", body, self._signed(body, "application/json")

    def say(self, text: str) -> httpx.Response:
        return self.post(self.event(text))

    def press(self, title: str) -> httpx.Response:
        self._option(title)
        value = next(e["value"] for b in reversed(self.fake.posted(self.user)) for block in b["blocks"]
                     if block["type"] == "actions" for e in block["elements"] if e["text"]["text"] == title)
        click = {"type": "block_actions", "trigger_id": f"{next(_ids)}.1.abc", "user": {"id": "U" + self.user},
                 "channel": {"id": self.user}, "actions": [{"action_id": "choice", "value": value,
                                                            "type": "button", "action_ts": f"{time.time():.6f}"}]}
        body = urlencode({"payload": json.dumps(click)}).encode()
        return self.post(("/webhooks/slack/interactivity", body,
                          self._signed(body, "application/x-www-form-urlencoded")))

    def received(self) -> list[Received]:
        return [Received(b["text"], [e["text"]["text"] for block in b["blocks"] if block["type"] == "actions"
                                     for e in block["elements"]]) for b in self.fake.posted(self.user)]


class TwilioCustomer(ChannelCustomer):
    """SMS, or WhatsApp through Twilio when the user is `whatsapp:+...`; options come numbered."""

    fake: FakeTwilio
    ours = "+15005550006"

    @property
    def channel(self) -> str:  # type: ignore[override]
        return "whatsapp" if self.user.startswith("whatsapp:") else "sms"

    def event(self, text: str) -> tuple[str, bytes, dict[str, str]]:
        to = f"whatsapp:{self.ours}" if self.channel == "whatsapp" else self.ours
        form = {"AccountSid": self.fake.sid, "MessageSid": f"SM{next(_ids):032d}", "From": self.user, "To": to,
                "Body": text, "NumMedia": "0", "ProfileName": "Priya"}
        signature = twilio_signature(self.secrets.twilio, self.secrets.public_url.rstrip("/") + TWILIO_PATH, form)
        return TWILIO_PATH, urlencode(form).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}

    def say(self, text: str) -> httpx.Response:
        return self.post(self.event(text))

    def press(self, title: str) -> httpx.Response:
        message = self._option(title)
        return self.say(str(message.options.index(title) + 1))

    def received(self) -> list[Received]:
        out = []
        for body in (m["Body"] for m in self.fake.sent_to(self.user)):
            options = [m.group(2) for m in OPTION.finditer(body)]
            out.append(Received(body, options))
        return out


class MetaCustomer(ChannelCustomer):
    fake: FakeMeta

    def _signed(self, envelope: dict) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps(envelope).encode()
        digest = hmac.new(self.secrets.meta.encode(), body, hashlib.sha256).hexdigest()
        return "/webhooks/meta", body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


class MessengerCustomer(MetaCustomer):
    channel = "messenger"

    def event(self, text: str, quick_reply: str | None = None) -> tuple[str, bytes, dict[str, str]]:
        message: dict = {"mid": f"m_{next(_ids)}", "text": text}
        if quick_reply:
            message["quick_reply"] = {"payload": quick_reply}
        now = int(time.time() * 1000)
        return self._signed({"object": "page", "entry": [{"id": "PAGE", "time": now, "messaging": [
            {"sender": {"id": self.user}, "recipient": {"id": "PAGE"}, "timestamp": now, "message": message}]}]})

    def say(self, text: str) -> httpx.Response:
        return self.post(self.event(text))

    def press(self, title: str) -> httpx.Response:
        self._option(title)
        reply = next(q for m in reversed(self.fake.messenger_to(self.user))
                     for q in m.get("quick_replies", []) if q["title"] == title)
        return self.post(self.event(title, quick_reply=reply["payload"]))

    def received(self) -> list[Received]:
        return [Received(m["text"], [q["title"] for q in m.get("quick_replies", [])])
                for m in self.fake.messenger_to(self.user)]


class WhatsAppCloudCustomer(MetaCustomer):
    channel = "whatsapp_cloud"
    phone_number_id = "106540352242922"

    def event(self, text: str, button: dict | None = None) -> tuple[str, bytes, dict[str, str]]:
        message = ({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": button}}
                   if button else {"type": "text", "text": {"body": text}})
        return self._signed({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111", "phone_number_id": self.phone_number_id},
                "contacts": [{"profile": {"name": "Priya"}, "wa_id": self.user}],
                "messages": [{"from": self.user, "id": f"wamid.{next(_ids)}", "timestamp": str(int(time.time())),
                              **message}]}}]}]})

    def say(self, text: str) -> httpx.Response:
        return self.post(self.event(text))

    def press(self, title: str) -> httpx.Response:
        message = self._option(title)
        for _, body in reversed(self.fake.whatsapp_to(self.user)):
            for button in ((body.get("interactive") or {}).get("action") or {}).get("buttons", []):
                if button["reply"]["title"] == title:
                    return self.post(self.event("", button=button["reply"]))
        return self.say(str(message.options.index(title) + 1))  # more than three: numbered

    def received(self) -> list[Received]:
        out = []
        for _, body in self.fake.whatsapp_to(self.user):
            if body["type"] == "interactive":
                interactive = body["interactive"]
                out.append(Received(interactive["body"]["text"],
                                    [b["reply"]["title"] for b in interactive["action"]["buttons"]]))
            else:
                text = body["text"]["body"]
                out.append(Received(text, [m.group(2) for m in OPTION.finditer(text)]))
        return out
