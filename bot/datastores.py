"""PostgreSQL and Redis from Debian's packages, started on loopback: by the production
profile when no URL is configured (data kept in a folder), and by the tests (throwaway)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bot.db import ensure_postgres_database
from bot.serving import LOOPBACK, free_port


class DatastoreMissing(RuntimeError):
    """The Debian package is not installed; the message says which make target installs it."""


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A server whose data lives in `folder` (made on first start), trusting loopback only."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        binaries = pg_bin()
        if binaries is None:
            raise DatastoreMissing("PostgreSQL is not installed: run `make postgres` (Debian's postgresql)")
        self._bin = binaries
        self.folder = folder
        self.port = port or free_port()
        # PostgreSQL refuses to run as root, so root runs it as the package's `postgres` user.
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._started = False

    @property
    def server_url(self) -> str:
        """SQLAlchemy URL prefix; add a database name."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/"

    def start(self, durable: bool = True) -> None:
        data, sockets = self.folder / "data", self.folder / "sockets"
        sockets.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.folder, "postgres")
            shutil.chown(sockets, "postgres")
        if not (data / "PG_VERSION").exists():
            self._run(self._bin / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
                      *([] if durable else ["--no-sync"]))
        options = f"-p {self.port} -h {LOOPBACK} -k {sockets}" + ("" if durable else " -F")
        self._run(self._bin / "pg_ctl", "-D", data, "-w", "-l", self.folder / "server.log", "start",
                  "-o", options)
        self._started = True

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while the server runs (its backends are its children)."""
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self._started:
            self._run(self._bin / "pg_ctl", "-D", self.folder / "data", "-m", "fast", "stop")
            self._started = False

    def _run(self, *args: object) -> None:
        done = subprocess.run([*self._as_user, *map(str, args)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(str(args[0])).name} failed ({done.returncode}): {done.stderr.strip()}")


class RedisServer:
    """redis-server on loopback; with `durable`, an append-only file in `folder`."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self._binary = shutil.which("redis-server")
        if self._binary is None:
            raise DatastoreMissing("Redis is not installed: run `make redis` (Debian's redis-server)")
        self.folder = folder
        self.port = port or free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self, durable: bool = True) -> None:
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes"] if durable else ["--save", "", "--appendonly", "no"]
        with (self.folder / "server.log").open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, "--port", str(self.port), "--bind", LOOPBACK, "--dir", str(self.folder),
                 "--protected-mode", "yes", *persistence], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        client = redis.Redis(host=LOOPBACK, port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start (log: {self.folder / 'server.log'})") from None
                time.sleep(0.05)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)


class LocalDatastores:
    """The production profile's PostgreSQL and Redis on loopback, their data in `folder`;
    not `durable` (tests, benchmarks): in a throwaway folder, removed on stop."""

    def __init__(self, folder: Path, durable: bool = True) -> None:
        self._durable = durable
        # PostgreSQL runs as its own user when we are root, and must reach its folder.
        self._folder = folder if durable else Path(tempfile.mkdtemp(prefix="harbor-datastores-"))
        self._folder.chmod(0o755)
        self.postgres = PostgresServer(self._folder / "postgres")
        self.redis = RedisServer(self._folder / "redis")

    @property
    def database_url(self) -> str:
        return self.postgres.server_url + "harbor"

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def start(self) -> None:
        self.postgres.start(self._durable)
        ensure_postgres_database(self.postgres.server_url + "postgres", "harbor")
        self.redis.start(self._durable)

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()
        if not self._durable:
            shutil.rmtree(self._folder, ignore_errors=True)
