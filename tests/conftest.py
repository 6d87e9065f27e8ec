"""Fixtures shared by the suites. `stack` starts the three real processes once per session."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.launcher import ROOT, Ports, Stack
from bot.training import ensure_model


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa server, action server and desk on free loopback ports, with throwaway databases."""
    workdir = tmp_path_factory.mktemp("stack")
    ports = Ports(rasa=free_port(), actions=free_port(), desk=free_port())
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{ports.actions}/webhook"
    endpoints["tracker_store"]["db"] = str(workdir / "tracker.db")
    endpoints_path = workdir / "endpoints.yml"
    endpoints_path.write_text(yaml.safe_dump(endpoints))
    running = Stack(ensure_model(), ports, endpoints_path, workdir / "logs",
                    desk_env={"ASSISTANT_DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}"})
    running.start()
    try:
        running.wait_healthy(timeout_s=240)
        yield running
    finally:
        running.stop()


@pytest.fixture
def desk_db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'desk.db'}"
