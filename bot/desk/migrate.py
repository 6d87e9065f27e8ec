"""Bring the desk's database schema up to date with Alembic (run at desk start, and by
`assistant migrate` before several workers start at once)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def upgrade_database(database_url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def create_tracker_database(database_url: str) -> None:
    """Rasa's tracker store database next to the desk's (bot.deployment.rasa_store_env names
    it), made once here so several Rasa servers starting together do not race to create it."""
    from sqlalchemy import create_engine, text

    from bot.deployment import tracker_database_name

    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        return
    name = tracker_database_name(database_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": name}).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
