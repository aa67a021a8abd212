"""Alembic environment: runs on the connection handed over by forecasthub.store.db.upgrade."""

from alembic import context

from forecasthub.store.orm import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: FORECASTHUB_* settings give the URL
    from forecasthub.settings import get_settings
    from forecasthub.store.db import make_engine

    connection = make_engine(get_settings().database_url).connect()

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
