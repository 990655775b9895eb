"""The Alembic migrations build exactly the schema the models declare, on both stores."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import engine
from engine.store import Store
from engine.tables import Base


def test_migrated_schema_matches_the_models(store: Store) -> None:
    for module in pkgutil.iter_modules(engine.__path__):
        if module.name.startswith("tables"):
            importlib.import_module(f"engine.{module.name}")
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
