"""A migrated profile database per test; override `profile_db_url` to run against PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory
from bot.desk.migrate import upgrade_database
from bot.profiles.seed import seed
from bot.profiles.store import ProfileStore
from tests.postgres import create_database

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def profile_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on SQLite (the default) and on PostgreSQL (production)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'profiles.db'}"
    return create_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def profile_sessions(profile_db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_database(profile_db_url)
    engine = make_engine(profile_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded(profile_sessions: sessionmaker[Session]) -> ProfileStore:
    """The demo data as of TODAY, and a store whose clock stands at NOW (noon that day)."""
    seed(profile_sessions, today=TODAY)
    return ProfileStore(profile_sessions, now=lambda: NOW)
