"""The whole schema: every table module loaded, so `Base.metadata` holds every table."""

from __future__ import annotations

from engine.store import tables_api, tables_escalation, tables_review, tables_web
from engine.store.tables import Base

TABLE_MODULES = (tables_api, tables_escalation, tables_review,  # beside engine.store.tables
                 tables_web)
metadata = Base.metadata
