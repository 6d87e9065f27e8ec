"""Rasa's tracker store, as retention and erasure see it: the `events` table of Rasa's
SQLTrackerStore, where each event row names its conversation (`sender_id`) and holds the
customer's text, entities and slots as JSON.

Deleting rows is safe while Rasa runs: the cached tracker store checks the database's event
count before it reuses a tracker (components/tracker_store.py), so a conversation whose
events are gone starts afresh."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import yaml
from sqlalchemy import Engine, MetaData, Table, create_engine, delete, inspect
from sqlalchemy.engine import make_url

from bot.settings import Settings

BATCH = 500


def tracker_url(settings: Settings) -> str | None:
    """The tracker store's URL: the setting, else what Rasa's endpoints file names (a SQLite
    file, or PostgreSQL beside the desk's database as the production profile puts it)."""
    if settings.tracker_database_url:
        return settings.tracker_database_url
    try:
        store = (yaml.safe_load(Path(settings.rasa_endpoints).read_text()) or {}).get("tracker_store") or {}
    except (OSError, yaml.YAMLError):
        return None
    dialect = store.get("dialect", "sqlite")
    if dialect == "sqlite":
        return f"sqlite:///{os.path.expandvars(str(store.get('db', 'rasa.db')))}"
    if dialect.startswith("postgresql"):
        from bot.deployment import tracker_database_name

        desk = make_url(settings.database_url)
        name = os.path.expandvars(str(store.get("db", "")))
        return desk.set(database=name if name and "${" not in name
                        else tracker_database_name(settings.database_url)).render_as_string(hide_password=False)
    return None


class TrackerEvents:
    """Deletes a conversation's events; a store that does not exist yet holds none."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._engine: Engine | None = None

    def _table(self) -> Table | None:
        if self.url is None:
            return None
        if self._engine is None:
            if self.url.startswith("sqlite:///") and not Path(self.url.removeprefix("sqlite:///")).exists():
                return None
            self._engine = create_engine(self.url)
        if not inspect(self._engine).has_table("events"):
            return None
        return Table("events", MetaData(), autoload_with=self._engine)

    def delete(self, conversation_ids: Iterable[str]) -> int:
        table = self._table()
        if table is None:
            return 0
        ids, removed = list(conversation_ids), 0
        with self._engine.begin() as connection:  # type: ignore[union-attr]
            for start in range(0, len(ids), BATCH):
                result = connection.execute(delete(table).where(table.c.sender_id.in_(ids[start:start + BATCH])))
                removed += result.rowcount or 0
        return removed

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
