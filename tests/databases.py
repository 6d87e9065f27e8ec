"""Test databases copied from templates made once per session.

Alembic's migrations, the demo store's seed and the Argon2 hashes of the demo accounts cost
each test about a second and a half when done from scratch; a template built once and
copied per test (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL) gives
every test the same fresh database in a few milliseconds.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.console.accounts import AccountStore, seed_demo_accounts
from bot.db import ensure_postgres_database, make_engine, make_session_factory
from bot.desk.migrate import upgrade_database

Prepare = Callable[[sessionmaker[Session]], object]


def demo_accounts(sessions: sessionmaker[Session]) -> None:
    """The console's demo accounts (six Argon2 hashes: most of a console test's setup)."""
    seed_demo_accounts(AccountStore(sessions))


class Templates:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._made: dict[tuple[str, str], str] = {}

    def sqlite(self, target: Path, prepare: Prepare | None = None) -> str:
        """A migrated (and prepared) SQLite database at `target`; its URL."""
        template = self._template("sqlite", prepare, lambda name: f"sqlite:///{self._folder / name}.db")
        shutil.copyfile(make_url(template).database, target)
        return f"sqlite:///{target}"

    def postgresql(self, server_url: str, prepare: Prepare | None = None) -> str:
        """A new migrated (and prepared) database on the server; its URL."""
        template = self._template(f"postgresql {server_url}", prepare,
                                  lambda name: ensure_postgres_database(server_url + "postgres", name))
        name = f"test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(server_url + "postgres", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"'))
        finally:
            engine.dispose()
        return make_url(template).set(database=name).render_as_string(hide_password=False)

    def _template(self, kind: str, prepare: Prepare | None, create: Callable[[str], str]) -> str:
        key = (kind, f"{prepare.__module__}.{prepare.__qualname__}" if prepare else "")
        if key not in self._made:
            url = create(f"template_{len(self._made)}")
            upgrade_database(url)
            if prepare is not None:
                engine = make_engine(url)
                prepare(make_session_factory(engine))
                engine.dispose()  # a template database must have no connections left
            if make_url(url).get_backend_name() == "sqlite":
                with sqlite3.connect(make_url(url).database) as connection:  # all in the file, none in its WAL
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._made[key] = url
        return self._made[key]
