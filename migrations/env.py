"""Alembic environment: migrates the database named by bot.settings (or the caller's URL)."""

from __future__ import annotations

from alembic import context

from bot.db import Base, make_engine
from bot.desk import models  # noqa: F401  (registers the tables on Base.metadata)
from bot.kb import feedback  # noqa: F401
from bot.profiles import models as profile_models  # noqa: F401
from bot.studio import audit, inbox, releases  # noqa: F401
from bot.channels import models as channel_models  # noqa: F401
from bot.analytics import facts  # noqa: F401
from bot.privacy import models as privacy_models  # noqa: F401
from bot.settings import get_settings

config = context.config
url = config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
