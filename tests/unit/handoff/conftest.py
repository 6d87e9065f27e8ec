"""Stores over each test's database (`sessions`: SQLite and PostgreSQL), with two agents."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.console.accounts import Account, AccountStore
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore
from bot.desk.models import Role
from tests.databases import Prepare


@pytest.fixture
def conversations(sessions: sessionmaker[Session]) -> ConversationStore:
    return ConversationStore(sessions)


@pytest.fixture
def handoffs(sessions: sessionmaker[Session]) -> HandoffStore:
    return HandoffStore(sessions, minutes_per_point=10)


def two_agents(sessions: sessionmaker[Session]) -> None:
    store = AccountStore(sessions)
    store.create("alex", "Alex Rivera", "correct horse battery", Role.agent)
    store.create("sam", "Sam Okafor", "correct horse battery", Role.agent)


@pytest.fixture
def prepare_database(request: pytest.FixtureRequest) -> Prepare | None:
    return two_agents if "agents" in request.fixturenames else None


@pytest.fixture
def agents(sessions: sessionmaker[Session]) -> tuple[Account, Account]:
    accounts = {account.username: account for account in AccountStore(sessions).all()}
    return accounts["alex"], accounts["sam"]
