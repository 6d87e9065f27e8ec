"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.channels import models as channel_models  # noqa: F401
from bot.db import Base, make_engine
from bot.desk import models  # noqa: F401
from bot.desk.migrate import upgrade_database
from bot.kb import feedback  # noqa: F401
from bot.profiles import models as profile_models  # noqa: F401
from bot.studio import audit, inbox, releases  # noqa: F401


def test_migrations_match_the_models(desk_db_url):
    upgrade_database(desk_db_url)
    engine = make_engine(desk_db_url)
    with engine.connect() as connection:
        assert {"conversations", "messages", "kb_questions", "customers", "addresses", "orders",
                "order_items", "order_status_events", "shipments", "refunds", "invoices",
                "payment_methods", "outbox_emails", "review_groups", "review_items",
                "studio_changes", "model_releases"} <= set(inspect(connection).get_table_names())
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrading_twice_is_harmless(desk_db_url):
    upgrade_database(desk_db_url)
    upgrade_database(desk_db_url)
