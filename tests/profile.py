"""Which profile the integration suites run against: the embedded default (SQLite, one desk,
one Rasa server), or with ASSISTANT_TEST_PROFILE=production the production profile
(PostgreSQL + Redis + 2 desk workers + 2 Rasa servers + 2 action workers); `make test` runs
the suites on both."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.deployment import ACTION_WORKERS, DESK_WORKERS, RASA_SERVERS
from bot.launcher import Ports, Stack
from bot.training import ensure_model

PRODUCTION = os.environ.get("ASSISTANT_TEST_PROFILE", "embedded") == "production"


def make_stack(workdir: Path, env: dict[str, str] | None = None) -> Stack:
    ports = Ports.free(RASA_SERVERS, DESK_WORKERS) if PRODUCTION else None
    return Stack.isolated(ensure_model(), workdir, env, production=ports, action_workers=ACTION_WORKERS)


embedded_only = pytest.mark.skipif(PRODUCTION, reason="runs once, on the embedded profile")
