"""A migrated desk database per test, on SQLite and on PostgreSQL, with two agents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.console.accounts import Account, AccountStore
from bot.db import make_engine, make_session_factory
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore
from bot.desk.migrate import upgrade_database
from bot.desk.models import Role
from tests.postgres import create_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = (f"sqlite:///{tmp_path / 'desk.db'}" if request.param == "sqlite"
           else create_database(request.getfixturevalue("postgres_url")))
    upgrade_database(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def conversations(sessions: sessionmaker[Session]) -> ConversationStore:
    return ConversationStore(sessions)


@pytest.fixture
def handoffs(sessions: sessionmaker[Session]) -> HandoffStore:
    return HandoffStore(sessions, minutes_per_point=10)


@pytest.fixture
def agents(sessions: sessionmaker[Session]) -> tuple[Account, Account]:
    store = AccountStore(sessions)
    return (store.create("alex", "Alex Rivera", "correct horse battery", Role.agent),
            store.create("sam", "Sam Okafor", "correct horse battery", Role.agent))
