"""A throwaway Redis server on loopback for tests (bot.datastores, Debian's redis-server)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.datastores import RedisServer


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a server with nothing persisted; yield its URL."""
    server = RedisServer(Path(tempfile.mkdtemp(prefix="redistest-")))
    server.start(durable=False)
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
