"""A throwaway PostgreSQL server on loopback for tests (bot.datastores, Debian's postgresql)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.datastores import PostgresServer
from bot.db import ensure_postgres_database


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a URL prefix ('postgresql+psycopg://postgres@127.0.0.1:PORT/')."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="pgtest-")))
    server.start(durable=False)
    try:
        yield server.server_url
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def create_database(server_url: str) -> str:
    """A new empty database on the server; its SQLAlchemy URL."""
    return ensure_postgres_database(server_url + "postgres", f"test_{uuid.uuid4().hex[:12]}")
