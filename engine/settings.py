"""Settings read from the environment (KEHOACH_*), with defaults for one machine."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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

    # Outgoing mail (notifiers.smtp). security: "none", "starttls" or "ssl".
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "kehoach@example.org"
    # Where the directory notifier writes .eml files (default: HOME/outbox-mail).
    mail_folder: Path | None = None

    # Webhook API (engine.api). public_url is what e-mails tell agencies to call.
    public_url: str = "http://127.0.0.1:8000"
    api_body_limit: int = 64 * 1024

    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or the SQLite file in `home`."""
        if self.database_url:
            url = self.database_url
            # "postgresql://" alone would make SQLAlchemy look for psycopg2; we ship psycopg 3.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.home / 'kehoach.db').resolve()}"
