"""Settings read from the environment (KEHOACH_*), with defaults for one machine."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.core.errors import KehoachError

ENV_PREFIX = "KEHOACH_"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# A date alone, as the app clock's start, means the end of that working day (Vietnam time).
END_OF_WORKDAY = dt.time(17, 0)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Values never echoed back in an error message.
SECRET_FIELDS = frozenset({"smtp_password"})


class ConfigError(KehoachError, ValueError):
    """A setting that cannot be used, or a database that cannot be reached or does not exist.

    The message names the setting (its environment variable) or the database URL, without
    any password, and the cause. `kehoach` exits with 4 on it (1 is for bad input).
    """

    exit_code = 4


class Settings(BaseSettings):
    """Where the state lives and how to reach the outside world.

    The default store is SQLite in `KEHOACH_HOME` (the working directory if unset);
    `KEHOACH_DATABASE_URL=postgresql+psycopg://...` selects PostgreSQL. A value that cannot
    be used raises ConfigError naming its environment variable.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

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

    # Webhook API (engine.api.app). public_url is what e-mails tell agencies to call.
    public_url: str = "http://127.0.0.1:8000"
    api_body_limit: int = 64 * 1024
    # The API's and the pages' clock starts here (engine.api.clock); None: the real clock.
    as_of: dt.datetime | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(describe_errors(exc)) from None

    @field_validator("database_url")
    @classmethod
    def _a_database_url(cls, value: str | None) -> str | None:
        if value:
            check_database_url(normalize_database_url(value))
        return value

    @field_validator("as_of", mode="before")
    @classmethod
    def _a_moment(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_as_of(value) if value.strip() else None
        return value

    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or the SQLite file in `home`."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{(self.home / 'kehoach.db').resolve()}"

    def message_domain(self) -> str:
        """The right-hand side of queued mails' Message-IDs: the domain of `mail_from`."""
        return self.mail_from.rpartition("@")[2] or "kehoach.invalid"

    def database_label(self) -> str:
        """The database for messages: the SQLite file, or the URL without its password."""
        return database_label(self.resolved_database_url())


def parse_as_of(text: str) -> dt.datetime:
    """The moment `text` names: YYYY-MM-DD (17:00 that day, Vietnam time) or an ISO 8601
    time (Vietnam time if it has no offset); ValueError naming the expected forms if neither.
    """
    value = text.strip()
    moment = None
    try:
        if _DATE.fullmatch(value):
            return dt.datetime.combine(dt.date.fromisoformat(value), END_OF_WORKDAY, LOCAL)
        if value[:4].isdigit():
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        pass
    if moment is None:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time "
                         "(YYYY-MM-DDTHH:MM[:SS][+07:00])")
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def normalize_database_url(url: str) -> str:
    # "postgresql://" alone would make SQLAlchemy look for psycopg2; we ship psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def check_database_url(url: str) -> None:
    """Refuse a URL that names no database kehoach can use (ValueError, password hidden)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(f"{hide_password(url)!r} is not a database URL (expected e.g. "
                         "postgresql://USER@HOST/DB or sqlite:////PATH/kehoach.db)") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite" and driver == "pysqlite":
        return
    if backend == "postgresql" and driver == "psycopg":
        return
    raise ValueError(f"{parsed.render_as_string(hide_password=True)!r}: kehoach stores its "
                     "state in SQLite (sqlite:///PATH) or PostgreSQL through psycopg 3 "
                     "(postgresql://... or postgresql+psycopg://...)")


def database_label(url: str) -> str:
    """`url` fit to print: the file of an SQLite URL; any other without its password."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparseable URL: hide what looks like a password
        return hide_password(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def hide_password(text: str) -> str:
    """`scheme://user:secret@host` -> `scheme://user:***@host`."""
    return re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", text)


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad setting by its environment variable, its value and why."""
    problems = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = f"{ENV_PREFIX}{field.upper()}" if field else "a setting"
        value = error.get("input")
        shown = ("" if field in SECRET_FIELDS or field == "database_url"
                 or isinstance(value, dict) else f"={value!r}")
        reason = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{name}{shown}: {reason}")
    return "; ".join(problems)
