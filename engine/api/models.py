"""Pydantic shapes of the webhook API: one per use (XCreate in, XPublic out)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from engine.api.auth import SIGNATURE_HEADER
from engine.core.spec import SLUG_PATTERN
from engine.store.events import MAX_PROGRESS_COUNT

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _local_if_naive(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=LOCAL)


# A time without an offset is Vietnam time, as agencies write it.
Moment = Annotated[dt.datetime, AfterValidator(_local_if_naive)]
# No NUL characters (PostgreSQL's text columns cannot hold them).
HttpUrlText = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#\x00]+[^\s\x00]*$",
                                               max_length=2000)]
Note = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=2000)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
PeriodLabel = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{1,16}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CompletionCreate(_Body):
    """Body of POST .../complete: when the work was done and the evidence."""

    completed_at: Moment | None = Field(
        default=None, description="ISO 8601; default now; without an offset: Vietnam time")
    evidence_url: HttpUrlText | None = None
    note: Note | None = None


class ProgressCreate(CompletionCreate):
    """Body of POST .../progress: an amount of progress toward the instance's target (only
    an instance with a target takes progress)."""

    count: Annotated[int, Field(gt=0, le=MAX_PROGRESS_COUNT, examples=[3])]


class KeyedCompletionCreate(CompletionCreate):
    """Body of POST /plans/{plan}/tasks/{task}/complete: the lead agency and the period."""

    agency: Slug = Field(examples=["so-y-te"])
    period: PeriodLabel = Field(examples=["2024"])


class InstancePublic(BaseModel):
    """An instance after a change: its status now, in Vietnamese and as a code."""

    id: str
    plan: str
    task: str
    agency: str
    period: str
    due: dt.datetime | None
    status: str
    status_label: str
    completed_at: dt.datetime | None
    progress: int
    target: int | None
    message: str


class InstanceStatusPublic(BaseModel):
    """One line of an agency's instance list."""

    id: str
    plan: str
    task: str
    period: str
    due: dt.datetime | None
    status: str
    status_label: str
    completed_at: dt.datetime | None
    days_late: int | None
    progress: float | None
    blocked: bool


class InstanceListPublic(BaseModel):
    agency: str
    as_of: dt.datetime
    count: int
    instances: list[InstanceStatusPublic]


class MetricsPublic(BaseModel):
    plan: str
    period: str
    by: str
    rows: list[dict[str, Any]]


class HealthPublic(BaseModel):
    status: Literal["ok"]
    database: str


class NoopPublic(BaseModel):
    ok: bool
    actor: str


IDEMPOTENCY_HEADER = "Idempotency-Key"
# A delivery's optional headers and their checks (engine.api.routes.delivery_headers).
DELIVERY_HEADER_TYPES: dict[str, TypeAdapter[str | None]] = {
    IDEMPOTENCY_HEADER: TypeAdapter(Annotated[str | None, Field(min_length=1, max_length=255)]),
    SIGNATURE_HEADER: TypeAdapter(Annotated[str | None, Field(max_length=1000)])}
DELIVERY_HEADERS = [{"name": name, "in": "header", "required": False,
                     "schema": {**adapter.json_schema(), "title": name}}
                    for name, adapter in DELIVERY_HEADER_TYPES.items()]


def request_schema(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI `requestBody` for a body the route reads raw (to check its signature first),
    and the headers engine.api.routes.delivery reads itself, after the path's parameters."""
    return {"requestBody": {"required": required, "content": {
        "application/json": {"schema": model.model_json_schema()}}},
            "parameters": DELIVERY_HEADERS}
