"""Settings read from the environment (KEHOACH_*), with defaults for one machine."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the state lives and how to reach the outside world.

    The default store is SQLite in `KEHOACH_HOME` (the working directory if unset);
    `KEHOACH_DATABASE_URL=postgresql+psycopg://...` selects PostgreSQL.
    """

    model_config = SettingsConfigDict(env_prefix="KEHOACH_", extra="ignore")

    home: Path = Field(default_factory=Path.cwd)
    database_url: str | None = None

    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or the SQLite file in `home`."""
        if self.database_url:
            url = self.database_url
            # "postgresql://" alone would make SQLAlchemy look for psycopg2; we ship psycopg 3.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.home / 'kehoach.db').resolve()}"
