"""Bring the desk's database schema up to date with Alembic (run at desk start, and by
`assistant migrate` before several workers start at once)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from bot.db import ensure_postgres_database

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def upgrade_database(database_url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def create_tracker_database(database_url: str) -> None:
    """Rasa's tracker store database next to the desk's (bot.deployment.rasa_store_env names
    it), made once here so several Rasa servers starting together do not race to create it."""
    from bot.deployment import tracker_database_name

    if make_url(database_url).drivername.startswith("postgresql"):
        ensure_postgres_database(database_url, tracker_database_name(database_url))
