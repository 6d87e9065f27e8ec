"""A throwaway PostgreSQL server on loopback for tests (Debian's postgresql package)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.launcher import free_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a URL prefix ('postgresql+psycopg://postgres@127.0.0.1:PORT/')."""
    binaries = pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed: run `make postgres` (Debian's postgresql)")
    # PostgreSQL refuses to run as root, so root runs it as the package's `postgres` user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets = workdir / "data", workdir / "sockets"
    sockets.mkdir()
    if as_user:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()

    def run(*args: object) -> None:
        subprocess.run([*as_user, *map(str, args)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    run(binaries / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync")
    run(binaries / "pg_ctl", "-D", data, "-w", "-l", workdir / "server.log", "start",
        "-o", f"-p {port} -h 127.0.0.1 -k {sockets} -F")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        run(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)

def create_database(server_url: str) -> str:
    """A new empty database on the server; its SQLAlchemy URL."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    dsn = server_url.replace("postgresql+psycopg://", "postgresql://") + "postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url + name
