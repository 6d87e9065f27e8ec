"""A second stack with the messaging channels on, talking to fake providers on loopback."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bot.launcher import Stack
from bot.training import ensure_model
from tests.fakes.customers import (ChannelCustomer, MessengerCustomer, Secrets, SlackCustomer, TelegramCustomer,
                                   TwilioCustomer, WhatsAppCloudCustomer)
from tests.fakes.meta import FakeMeta
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = secrets.token_urlsafe(24)
SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = secrets.token_hex(16)
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = secrets.token_hex(16)
META_APP_SECRET = secrets.token_hex(16)
META_VERIFY_TOKEN = secrets.token_urlsafe(16)
META_PAGE_TOKEN, META_WHATSAPP_TOKEN = "EAAG-page", "EAAG-whatsapp"
PUBLIC_URL = "https://support.example.com"  # what Twilio signs; the desk sits behind a proxy
SECRETS = Secrets(TELEGRAM_SECRET, SLACK_SIGNING_SECRET, TWILIO_TOKEN, META_APP_SECRET, PUBLIC_URL)
CHANNELS = ["telegram", "slack", "sms", "whatsapp", "messenger", "whatsapp_cloud"]
_users = itertools.count(7_000_001)


@dataclass
class Channels:
    stack: Stack
    telegram: FakeTelegram
    slack: FakeSlack
    twilio: FakeTwilio
    meta: FakeMeta

    def customer(self, channel: str) -> ChannelCustomer:
        """A new customer on `channel` (one of CHANNELS), with a user id no other test uses."""
        n = next(_users)
        made: dict[str, Callable[[], ChannelCustomer]] = {
            "telegram": lambda: TelegramCustomer(self.stack.desk_url, self.telegram, SECRETS, str(n)),
            "slack": lambda: SlackCustomer(self.stack.desk_url, self.slack, SECRETS, f"D{n}"),
            "sms": lambda: TwilioCustomer(self.stack.desk_url, self.twilio, SECRETS, f"+1415{n}"),
            "whatsapp": lambda: TwilioCustomer(self.stack.desk_url, self.twilio, SECRETS, f"whatsapp:+4477{n}"),
            "messenger": lambda: MessengerCustomer(self.stack.desk_url, self.meta, SECRETS, f"PSID{n}"),
            "whatsapp_cloud": lambda: WhatsAppCloudCustomer(self.stack.desk_url, self.meta, SECRETS, f"4479{n}"),
        }
        return made[channel]()


@pytest.fixture(scope="session")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    telegram, slack = FakeTelegram(TELEGRAM_TOKEN).start(), FakeSlack(SLACK_TOKEN).start()
    twilio = FakeTwilio(TWILIO_SID, TWILIO_TOKEN).start()
    meta = FakeMeta(META_PAGE_TOKEN, META_WHATSAPP_TOKEN).start()
    stack = Stack.isolated(ensure_model(), tmp_path_factory.mktemp("channels-stack"), env={
        "ASSISTANT_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ASSISTANT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "ASSISTANT_TELEGRAM_API_URL": telegram.url,
        "ASSISTANT_SLACK_BOT_TOKEN": SLACK_TOKEN, "ASSISTANT_SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "ASSISTANT_SLACK_API_URL": slack.url,
        "ASSISTANT_TWILIO_ACCOUNT_SID": TWILIO_SID, "ASSISTANT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "ASSISTANT_TWILIO_API_URL": twilio.url, "ASSISTANT_PUBLIC_URL": PUBLIC_URL,
        "ASSISTANT_META_APP_SECRET": META_APP_SECRET, "ASSISTANT_META_VERIFY_TOKEN": META_VERIFY_TOKEN,
        "ASSISTANT_META_PAGE_TOKEN": META_PAGE_TOKEN, "ASSISTANT_META_WHATSAPP_TOKEN": META_WHATSAPP_TOKEN,
        "ASSISTANT_META_API_URL": meta.url})
    stack.start()
    try:
        stack.wait_healthy(timeout_s=240)
        yield Channels(stack, telegram, slack, twilio, meta)
    finally:
        stack.stop()
        telegram.stop()
        slack.stop()
        twilio.stop()
        meta.stop()
