"""The Alembic migrations build exactly the schema the models declare, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store.database import Store
from engine.store.schema import metadata


def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
