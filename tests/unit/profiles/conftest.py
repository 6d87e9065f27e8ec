"""The demo store seeded into each test's database (`sessions`: SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.profiles.seed import seed
from bot.profiles.store import ProfileStore
from tests.databases import Prepare

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def demo_store(sessions: sessionmaker[Session]) -> None:
    seed(sessions, today=TODAY)


@pytest.fixture
def prepare_database(request: pytest.FixtureRequest) -> Prepare | None:
    """A test that asks for `seeded` starts from a copy of the demo store seeded once."""
    return demo_store if "seeded" in request.fixturenames else None


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> ProfileStore:
    """The demo data as of TODAY, and a store whose clock stands at NOW (noon that day)."""
    return ProfileStore(sessions, now=lambda: NOW)
