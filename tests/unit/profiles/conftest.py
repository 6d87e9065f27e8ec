"""The demo store seeded into each test's database (`sessions`: SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.profiles.seed import seed
from bot.profiles.store import ProfileStore

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> ProfileStore:
    """The demo data as of TODAY, and a store whose clock stands at NOW (noon that day)."""
    seed(sessions, today=TODAY)
    return ProfileStore(sessions, now=lambda: NOW)
