"""Alembic environment: migrations run on the connection engine.store hands over."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context

import engine
from engine.tables import Base

# Every engine.tables* module declares models on the same Base: load them all so
# target_metadata is the whole schema.
for module in pkgutil.iter_modules(engine.__path__):
    if module.name.startswith("tables"):
        importlib.import_module(f"engine.{module.name}")

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through engine.store.upgrade(), which passes a connection")
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
