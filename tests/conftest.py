"""Fixtures shared by the suites. `stack` starts the three real processes once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory
from bot.launcher import Stack
from tests.databases import Prepare, Templates
from tests.postgres import postgres_server
from tests.profile import make_stack
from tests.redis_server import redis_server


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa server, action server and desk on free loopback ports, with throwaway databases
    (in the production profile: several of each, on PostgreSQL and Redis)."""
    running = make_stack(tmp_path_factory.mktemp("stack"))
    running.start()
    try:
        running.wait_healthy(timeout_s=240)
        yield running
    finally:
        running.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """A failed test that ran against a stack shows what its processes logged last (a CI run
    keeps no stack folder to look in afterwards)."""
    report = yield
    if report.failed and call.when == "call":
        for value in getattr(item, "funcargs", {}).values():
            running = value if isinstance(value, Stack) else getattr(value, "stack", None)
            if isinstance(running, Stack):
                report.sections.append(("stack logs", running.log_tails()))
    return report


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (URL prefix without a database name)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway Redis server for the session."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def prepare_database() -> Prepare | None:
    """What a test's database holds besides the schema (a conftest or module overrides it)."""
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates,
                 prepare_database: Prepare | None) -> str:
    """A migrated database per test, on SQLite (the default) and on PostgreSQL (production)."""
    if request.param == "sqlite":
        return templates.sqlite(tmp_path / "desk.db", prepare_database)
    return templates.postgresql(request.getfixturevalue("postgres_url"), prepare_database)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def desk_db_url(tmp_path: Path, templates: Templates, prepare_database: Prepare | None) -> str:
    """A migrated SQLite database for a desk app under test."""
    return templates.sqlite(tmp_path / "desk.db", prepare_database)
