"""Alembic environment: migrations run on the connection engine.store.database hands over."""

from __future__ import annotations

from alembic import context

from engine.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through engine.store.database.upgrade(), "
                       "which passes a connection")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
