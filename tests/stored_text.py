"""Searching a whole database for text: how the privacy tests prove something is kept nowhere."""

from __future__ import annotations

import json

from sqlalchemy import JSON, MetaData, String, Text, create_engine, select


def tables_holding(url: str, *needles: str) -> set[str]:
    """The tables (every one in the database, found by reflection) with a text or JSON value
    that contains one of the needles, ignoring case."""
    engine = create_engine(url)
    metadata = MetaData()
    found: set[str] = set()
    try:
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
                for row in connection.execute(select(*columns)) if columns else ():
                    blob = json.dumps([v if isinstance(v, (str, dict, list)) else None for v in row]).lower()
                    found |= {table.name for needle in needles if needle.lower() in blob}
    finally:
        engine.dispose()
    return found
