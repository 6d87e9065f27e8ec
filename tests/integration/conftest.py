"""A second stack with the messaging channels on, talking to fake providers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.launcher import Stack
from tests.fakes.customers import ChannelCustomer
from tests.fakes.meta import FakeMeta
from tests.fakes.providers import FakeProviders
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.profile import make_stack


@dataclass
class Channels:
    stack: Stack
    providers: FakeProviders
    telegram: FakeTelegram
    slack: FakeSlack
    twilio: FakeTwilio
    meta: FakeMeta

    def customer(self, channel: str) -> ChannelCustomer:
        return self.providers.customer(self.stack.desk_url, channel)


@pytest.fixture(scope="session")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    providers = FakeProviders.start()
    stack = make_stack(tmp_path_factory.mktemp("channels-stack"), env=providers.env())
    stack.start()
    try:
        stack.wait_healthy(timeout_s=240)
        yield Channels(stack, providers, providers.telegram, providers.slack, providers.twilio,
                       providers.meta)
    finally:
        stack.stop()
        providers.stop()
