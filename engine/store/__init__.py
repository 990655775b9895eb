"""The database: tables, migrations, events, registration, rollups (SQLite or PostgreSQL)."""
