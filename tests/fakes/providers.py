"""The four fake providers at once, the desk environment that turns every channel on against
them, and new customers on any channel (the integration tests and `bench/channel_latency.py`)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tests.fakes.customers import (
    ChannelCustomer,
    MessengerCustomer,
    Secrets,
    SlackCustomer,
    TelegramCustomer,
    TwilioCustomer,
    WhatsAppCloudCustomer,
)
from tests.fakes.meta import FakeMeta
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

CHANNELS = ["telegram", "slack", "sms", "whatsapp", "messenger", "whatsapp_cloud"]
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
_users = itertools.count(7_000_001)


@dataclass
class FakeProviders:
    telegram: FakeTelegram
    slack: FakeSlack
    twilio: FakeTwilio
    meta: FakeMeta

    @classmethod
    def start(cls) -> FakeProviders:
        return cls(FakeTelegram(TELEGRAM_TOKEN).start(), FakeSlack(SLACK_TOKEN).start(),
                   FakeTwilio(TWILIO_SID, TWILIO_TOKEN).start(),
                   FakeMeta(META_PAGE_TOKEN, META_WHATSAPP_TOKEN).start())

    def env(self) -> dict[str, str]:
        """The desk's environment with every channel on, each against its fake."""
        return {
            "ASSISTANT_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ASSISTANT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "ASSISTANT_TELEGRAM_API_URL": self.telegram.url,
            "ASSISTANT_SLACK_BOT_TOKEN": SLACK_TOKEN, "ASSISTANT_SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "ASSISTANT_SLACK_API_URL": self.slack.url,
            "ASSISTANT_TWILIO_ACCOUNT_SID": TWILIO_SID, "ASSISTANT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "ASSISTANT_TWILIO_API_URL": self.twilio.url, "ASSISTANT_PUBLIC_URL": PUBLIC_URL,
            "ASSISTANT_META_APP_SECRET": META_APP_SECRET, "ASSISTANT_META_VERIFY_TOKEN": META_VERIFY_TOKEN,
            "ASSISTANT_META_PAGE_TOKEN": META_PAGE_TOKEN, "ASSISTANT_META_WHATSAPP_TOKEN": META_WHATSAPP_TOKEN,
            "ASSISTANT_META_API_URL": self.meta.url}

    def customer(self, desk_url: str, channel: str) -> ChannelCustomer:
        """A new customer on `channel` (one of CHANNELS), with a user id no one else has."""
        n = next(_users)
        made: dict[str, Callable[[], ChannelCustomer]] = {
            "telegram": lambda: TelegramCustomer(desk_url, self.telegram, SECRETS, str(n)),
            "slack": lambda: SlackCustomer(desk_url, self.slack, SECRETS, f"D{n}"),
            "sms": lambda: TwilioCustomer(desk_url, self.twilio, SECRETS, f"+1415{n}"),
            "whatsapp": lambda: TwilioCustomer(desk_url, self.twilio, SECRETS, f"whatsapp:+4477{n}"),
            "messenger": lambda: MessengerCustomer(desk_url, self.meta, SECRETS, f"PSID{n}"),
            "whatsapp_cloud": lambda: WhatsAppCloudCustomer(desk_url, self.meta, SECRETS, f"4479{n}"),
        }
        return made[channel]()

    def stop(self) -> None:
        for fake in (self.telegram, self.slack, self.twilio, self.meta):
            fake.stop()
