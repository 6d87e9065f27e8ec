"""A second stack with the messaging channels on, talking to fake providers on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.launcher import Stack
from bot.training import ensure_model
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram

TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = secrets.token_urlsafe(24)
SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = secrets.token_hex(16)


@dataclass
class Channels:
    stack: Stack
    telegram: FakeTelegram
    slack: FakeSlack


@pytest.fixture(scope="session")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    telegram, slack = FakeTelegram(TELEGRAM_TOKEN).start(), FakeSlack(SLACK_TOKEN).start()
    stack = Stack.isolated(ensure_model(), tmp_path_factory.mktemp("channels-stack"), env={
        "ASSISTANT_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ASSISTANT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "ASSISTANT_TELEGRAM_API_URL": telegram.url,
        "ASSISTANT_SLACK_BOT_TOKEN": SLACK_TOKEN, "ASSISTANT_SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "ASSISTANT_SLACK_API_URL": slack.url})
    stack.start()
    try:
        stack.wait_healthy(timeout_s=240)
        yield Channels(stack, telegram, slack)
    finally:
        stack.stop()
        telegram.stop()
        slack.stop()
