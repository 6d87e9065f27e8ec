"""Fixtures shared by the suites. `stack` starts the three real processes once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.launcher import Stack
from bot.training import ensure_model
from tests.postgres import postgres_server


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa server, action server and desk on free loopback ports, with throwaway databases."""
    running = Stack.isolated(ensure_model(), tmp_path_factory.mktemp("stack"))
    running.start()
    try:
        running.wait_healthy(timeout_s=240)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (URL prefix without a database name)."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def desk_db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'desk.db'}"
