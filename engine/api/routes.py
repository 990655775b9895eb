"""Routes and dependencies of the webhook API (/api/v1), over engine.api.service.

A delivery (POST .../complete, .../progress) is checked in the order FastAPI solves its
dependencies: the token (401); the headers (422); the body's size and type (413, 415) and
its signature (403); the path parameters (422); the body (422); then the change, in one
transaction, at most once per Idempotency-Key (403 not the lead, 404, 409).

Handlers are `async` but call the database synchronously: each request's transaction is
short, and on SQLite running them one after another on the event loop serialises writers
without the busy-wait sleeps that competing threads would cause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.api import service as service
from engine.api.auth import (
    Caller,
    DeliveryInFlight,
    StoredResponse,
    authenticate,
    claim_key,
    find_response,
    fingerprint,
    remember_signature,
    store_response,
    verify_signature,
)
from engine.api.calendar_feed import agency_deadlines, agency_name, render_calendar
from engine.api.clock import AppClock
from engine.api.errors import (
    ConflictError,
    InvalidInputError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaError,
    describe_errors,
)
from engine.api.models import (
    DELIVERY_HEADER_TYPES,
    CompletionCreate,
    HealthPublic,
    InstanceListPublic,
    InstancePublic,
    KeyedCompletionCreate,
    MetricsPublic,
    NoopPublic,
    PeriodLabel,
    ProgressCreate,
    Slug,
    request_schema,
)
from engine.core.status import Status
from engine.settings import Settings
from engine.store.database import Store

B = TypeVar("B", bound=BaseModel)
JSON = "application/json"


class ApiState:
    """What every request needs: settings, the store, the plan -> directory cache and the
    app's clock (engine.api.clock: the one "now" of the API and the pages)."""

    def __init__(self, settings: Settings, store: Store | None) -> None:
        self.settings = settings
        self.clock = AppClock(settings.as_of)
        self._store = store
        self.directories = service.PlanDirectories()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the API store is opened when the app starts")
        return self._store

    def store_or_none(self) -> Store | None:
        return self._store

    def attach(self, store: Store) -> None:
        self._store = store


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.kehoach
    return state


async def get_state(request: Request) -> ApiState:
    return state_of(request)


StateDep = Annotated[ApiState, Depends(get_state)]
bearer = HTTPBearer(auto_error=False, description="Token do `kehoach token create` cấp")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class BearerCaller(SecurityBase):
    """The caller named by the bearer token (401 if none, unknown or revoked).

    The same security scheme as `bearer` in the OpenAPI document, but one dependency where
    `bearer` and a dependency on it were two: FastAPI's solving of each costs a delivery
    about as much as one of its statements.
    """

    def __init__(self, scheme: HTTPBearer) -> None:
        self.model = scheme.model
        self.scheme_name = scheme.scheme_name

    async def __call__(self, request: Request) -> Caller:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        with state_of(request).store.engine.connect() as connection:
            caller = authenticate(connection, token if scheme.lower() == "bearer" else None)
        request.state.caller = caller  # for the security log, should the request be refused
        return caller


authenticated = BearerCaller(bearer)
CallerDep = Annotated[Caller, Depends(authenticated)]
def delivery_headers(request: Request) -> tuple[str | None, str | None]:
    """(Idempotency-Key, Kehoach-Signature); 422 if either is malformed, with any fault of
    the path's parameters too, as FastAPI reports its parameters' faults together.

    Read here rather than as Header parameters: FastAPI's extraction of the two cost a
    delivery ~80 us of CPU, a tenth of it. engine.api.models.request_schema declares them
    in the OpenAPI document as FastAPI did.
    """
    values: list[str | None] = []
    errors: list[Any] = []
    for name, adapter in DELIVERY_HEADER_TYPES.items():
        try:
            values.append(adapter.validate_python(request.headers.get(name)))
        except ValidationError as exc:
            errors += [{**e, "loc": ("header", name, *e["loc"])}
                       for e in exc.errors(include_url=False)]
    if errors:
        route = request.scope.get("route")
        if isinstance(route, APIRoute):
            errors += request_params_to_args(route.dependant.path_params,
                                             request.path_params)[1]
        raise RequestValidationError(errors)
    return values[0], values[1]


@dataclass(frozen=True, slots=True)
class Delivery:
    """An authenticated request that carries a body: checked for size, type and signature."""

    state: ApiState
    caller: Caller
    body: bytes
    signature: str | None
    idempotency_key: str | None
    fingerprint: str
    now: dt.datetime  # the app's clock
    real_now: dt.datetime  # the machine's: signatures are judged and remembered by it


async def delivery(request: Request, caller: CallerDep) -> Delivery:
    """Check the headers (422), read the raw body (413, 415) and check its signature (403)
    before it is parsed."""
    idempotency_key, signature = delivery_headers(request)
    state = state_of(request)
    body = await read_body(request, limit=state.settings.api_body_limit)
    now, real_now = state.clock.now(), state.clock.real_now()
    # The signature's timestamp is the sender's real clock, so it is checked against ours.
    checked = verify_signature(caller, signature, body, now=real_now)
    return Delivery(state, caller, body, checked, idempotency_key,
                    fingerprint(request.method, request.url.path, body), now, real_now)


DeliveryDep = Annotated[Delivery, Depends(delivery)]


async def read_body(request: Request, *, limit: int) -> bytes:
    """The body, refused when over `limit` bytes (declared or streamed) or not JSON."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and not (media == JSON or (media.startswith("application/") and
                                       media.endswith("+json"))):
        raise UnsupportedMediaError("not-json", f"Nội dung phải là JSON với header "
                                    f"'Content-Type: {JSON}' (nhận được "
                                    f"'{media or 'không có'}').")
    return body


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError("body-too-large", f"Nội dung yêu cầu vượt quá giới hạn {limit} "
                                "byte. Rút gọn ghi chú; đính kèm minh chứng bằng đường dẫn "
                                "(evidence_url) thay vì nội dung.")


def parse_body(model: type[B], body: bytes) -> B:
    """The body as `model`; an empty body means `{}` (422 if that is not enough)."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise InvalidInputError("invalid-body", "Nội dung JSON không hợp lệ; xem danh sách "
                                "'errors' để biết trường nào sai.",
                                errors=describe_errors(exc.errors())) from None


def apply_change(d: Delivery, action: Callable[[Session], BaseModel]) -> Response:
    """Run `action` in one transaction, exactly once per Idempotency-Key."""
    key, state = d.idempotency_key, d.state
    try:
        with state.store.transaction() as session:
            if key is not None:
                stored = find_response(session, d.caller, key, d.fingerprint)
                if stored is not None:
                    return _replay(stored)
                claim_key(session, d.caller, key, d.fingerprint, now=d.now)
            if d.signature is not None:
                remember_signature(session, d.caller, d.signature, now=d.real_now)
            answer = action(session).model_dump_json()
            if key is not None:
                store_response(session, d.caller, key, status=200, body=answer)
        return Response(answer, media_type=JSON)
    except DeliveryInFlight:
        assert key is not None
        with state.store.transaction() as session:
            stored = find_response(session, d.caller, key, d.fingerprint)
        if stored is None:  # the other delivery failed and changed nothing: let the client retry
            raise ConflictError("idempotency-in-flight", "Một yêu cầu khác với cùng "
                                "Idempotency-Key đang được xử lý; gửi lại sau giây lát.") from None
        return _replay(stored)


def _replay(stored: StoredResponse) -> Response:
    return Response(stored.body, status_code=stored.status, media_type=JSON,
                    headers={"Idempotent-Replayed": "true"})


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": text_, "content": {"application/problem+json": {}}}
    for code, text_ in ((401, "Thiếu, sai hoặc đã thu hồi token"),
                        (403, "Không chủ trì; chữ ký thiếu, sai, quá hạn hoặc dùng lại"),
                        (404, "Không tìm thấy"),
                        (409, "Đã miễn/hủy, đã hoàn thành, hoặc Idempotency-Key dùng lại"),
                        (413, "Nội dung quá lớn"), (415, "Không phải JSON"),
                        (422, "Dữ liệu không hợp lệ"))}
router = APIRouter(prefix="/api/v1", responses=PROBLEMS)
InstanceId = Annotated[str, Path(
    description="plan:task:agency:period",
    examples=["hn-2024-tt-cchc:ban-hanh-ke-hoach:so-y-te:2024"])]
PlanId = Annotated[Slug, Path(examples=["hn-2024-tt-cchc"])]
TaskId = Annotated[Slug, Path(examples=["ban-hanh-ke-hoach"])]
AgencyId = Annotated[Slug, Path(examples=["so-y-te"])]


@router.post("/instances/{instance_id}/complete", response_model=InstancePublic,
             summary="Báo hoàn thành một đầu việc",
             openapi_extra=request_schema(CompletionCreate, required=False))
async def complete_instance(instance_id: InstanceId, d: DeliveryDep) -> Response:
    body = parse_body(CompletionCreate, d.body)
    return apply_change(d, lambda session: _work(session, d, instance_id, body))


@router.post("/instances/{instance_id}/progress", response_model=InstancePublic,
             summary="Báo tiến độ (số lượng) của một đầu việc có chỉ tiêu",
             openapi_extra=request_schema(ProgressCreate))
async def report_progress(instance_id: InstanceId, d: DeliveryDep) -> Response:
    body = parse_body(ProgressCreate, d.body)
    return apply_change(d, lambda session: _work(session, d, instance_id, body))


def _work(session: Session, d: Delivery, instance_id: str,
          body: CompletionCreate) -> InstancePublic:
    service.authorize_instance(session, d.caller, d.state.directories, instance_id)
    return service.record_work(session, d.caller, instance_id, body, now=d.now)


@router.post("/plans/{plan}/tasks/{task}/complete", response_model=InstancePublic,
             summary="Báo hoàn thành theo kế hoạch, nhiệm vụ, cơ quan và kỳ",
             openapi_extra=request_schema(KeyedCompletionCreate))
async def complete_by_key(plan: PlanId, task: TaskId, d: DeliveryDep) -> Response:
    body = parse_body(KeyedCompletionCreate, d.body)
    return apply_change(d, lambda session: service.complete_by_key(
        session, d.caller, d.state.directories, plan=plan, task=task, body=body, now=d.now))


@router.get("/agencies/{agency}/instances", response_model=InstanceListPublic,
            summary="Các đầu việc do một cơ quan chủ trì")
async def agency_instances(agency: AgencyId, caller: CallerDep, state: StateDep,
                           plan: Annotated[Slug | None, Query()] = None,
                           status: Annotated[Status | None, Query()] = None,
                           period: Annotated[PeriodLabel | None, Query(
                               description="Nhãn kỳ của đầu việc (2024, 2024-Q1, 2024-03, "
                               "2024-W07...), khớp đúng nhãn. Số liệu theo kỳ báo cáo (cộng "
                               "dồn từ 1/1): /plans/{plan}/metrics.")] = None,
                           ) -> InstanceListPublic:
    now = state.clock.now()
    with state.store.transaction() as session:
        plans = service.readable_plans(session, caller, state.directories, agency=agency,
                                       plan=plan)
        if period is not None:
            service.require_period(period)  # a 422 as /metrics answers, not an empty list
        return service.list_instances(session, plans, agency=agency, status=status,
                                      period=period, now=now)


@router.get("/plans/{plan}/metrics", response_model=MetricsPublic,
            summary="Chỉ số hoàn thành của kế hoạch trong một kỳ báo cáo")
async def plan_metrics(plan: PlanId, caller: CallerDep, state: StateDep,
                       period: Annotated[str, Query(max_length=16, examples=["2024-Q1"])],
                       by: Literal["plan", "agency", "task", "period"] = "agency",
                       ) -> MetricsPublic:
    with state.store.transaction() as session:
        return service.plan_metrics(session, caller, state.directories, plan=plan,
                                    period=period, by=by)


@router.get("/agencies/{agency}/calendar.ics", response_class=Response,
            summary="Lịch hạn nhiệm vụ của cơ quan (iCalendar, đăng ký trong ứng dụng lịch)",
            responses={200: {"content": {"text/calendar": {}}}})
async def agency_calendar(request: Request, agency: AgencyId, state: StateDep,
                          credentials: BearerDep,
                          token: Annotated[str | None, Query(
                              max_length=200, description="Token lịch (ứng dụng lịch không "
                              "gửi header); hoặc gửi header Authorization: Bearer")] = None,
                          ) -> Response:
    now = state.clock.now()
    with state.store.transaction() as session:
        caller = authenticate(session, token or (credentials.credentials if credentials
                                                 else None), calendar=True)
        request.state.caller = caller
        plans = service.calendar_plans(session, caller, state.directories, agency=agency)
        deadlines = agency_deadlines(session, plans=plans, agency=agency, now=now)
        name = agency_name(session, plans=plans, agency=agency)
    return Response(render_calendar(deadlines, agency=name, now=now),
                    media_type="text/calendar; charset=utf-8")


@router.post("/noop", response_model=NoopPublic, include_in_schema=False)
async def noop(d: DeliveryDep) -> Response:
    """Does nothing after the same token lookup and body read and parse: bench/webhook.py's
    baseline, kept out of the published OpenAPI."""
    parse_body(CompletionCreate, d.body)
    return Response(NoopPublic(ok=True, actor=d.caller.actor).model_dump_json(), media_type=JSON)


health_router = APIRouter()


@health_router.get("/health", response_model=HealthPublic, summary="Tình trạng dịch vụ")
async def health(state: StateDep) -> HealthPublic:
    try:
        with state.store.transaction() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise UnavailableError("database-unavailable", "Không kết nối được cơ sở dữ liệu; "
                               "thử lại sau ít phút.") from None
    return HealthPublic(status="ok", database=state.store.dialect)
