"""Routes and dependencies of the webhook API (/api/v1), over engine.api_service.

Handlers are `async` but call the database synchronously: each request's transaction is
short, and on SQLite running them one after another on the event loop serialises writers
without the busy-wait sleeps that competing threads would cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import api_service as service
from engine.api_calendar import agency_deadlines, render_calendar
from engine.api_errors import (
    ConflictError,
    InvalidInputError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaError,
    describe_errors,
)
from engine.api_models import (
    CompletionCreate,
    HealthPublic,
    InstanceListPublic,
    InstancePublic,
    KeyedCompletionCreate,
    MetricsPublic,
    NoopPublic,
    ProgressCreate,
    Slug,
    request_schema,
)
from engine.auth import (
    SIGNATURE_HEADER,
    Caller,
    DeliveryInFlight,
    StoredResponse,
    authenticate,
    claim_key,
    find_response,
    fingerprint,
    remember_signature,
    verify_signature,
)
from engine.settings import Settings
from engine.status import Status
from engine.store import Store, utc_now

B = TypeVar("B", bound=BaseModel)
JSON = "application/json"


class ApiState:
    """What every request needs: settings, the store, the plan -> directory cache."""

    def __init__(self, settings: Settings, store: Store | None) -> None:
        self.settings = settings
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


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.kehoach
    return state


StateDep = Annotated[ApiState, Depends(get_state)]
bearer = HTTPBearer(auto_error=False, description="Token do `kehoach token create` cấp")


async def authenticated(request: Request, state: StateDep, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller named by the bearer token (401 if none, unknown or revoked)."""
    with state.store.engine.connect() as connection:
        caller = authenticate(connection, credentials.credentials if credentials else None)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(authenticated)]


@dataclass(frozen=True, slots=True)
class Delivery:
    """An authenticated request that carries a body: checked for size, type and signature."""

    caller: Caller
    body: bytes
    signature: str | None
    idempotency_key: str | None
    fingerprint: str
    now: Any


async def delivery(request: Request, state: StateDep, caller: CallerDep,
                   idempotency_key: Annotated[str | None, Header(
                       alias="Idempotency-Key", min_length=1, max_length=255)] = None,
                   signature: Annotated[str | None, Header(
                       alias=SIGNATURE_HEADER, max_length=1000)] = None) -> Delivery:
    """Read the raw body (413, 415) and check its signature (403) before it is parsed."""
    body = await read_body(request, limit=state.settings.api_body_limit)
    now = utc_now()
    checked = verify_signature(caller, signature, body, now=now)
    return Delivery(caller, body, checked, idempotency_key,
                    fingerprint(request.method, request.url.path, body), now)


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


def apply_change(state: ApiState, d: Delivery, action: Callable[[Session], BaseModel]) -> Response:
    """Run `action` in one transaction, exactly once per Idempotency-Key."""
    if d.idempotency_key is None:
        with state.store.transaction() as session:
            _remember(session, d)
            text_ = action(session).model_dump_json()
        return Response(text_, media_type=JSON)
    try:
        with state.store.transaction() as session:
            stored = find_response(session, d.caller, d.idempotency_key, d.fingerprint)
            if stored is not None:
                return _replay(stored)
            row = claim_key(session, d.caller, d.idempotency_key, d.fingerprint, now=d.now)
            _remember(session, d)
            row.status, row.body = 200, action(session).model_dump_json()
        return Response(row.body, media_type=JSON)
    except DeliveryInFlight:
        with state.store.transaction() as session:
            stored = find_response(session, d.caller, d.idempotency_key, d.fingerprint)
        if stored is None:  # the other delivery failed and changed nothing: let the client retry
            raise ConflictError("idempotency-in-flight", "Một yêu cầu khác với cùng "
                                "Idempotency-Key đang được xử lý; gửi lại sau giây lát.") from None
        return _replay(stored)


def _remember(session: Session, d: Delivery) -> None:
    if d.signature is not None:
        remember_signature(session, d.caller, d.signature, now=d.now)


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
             summary="Báo hoàn thành một phiên bản nhiệm vụ",
             openapi_extra=request_schema(CompletionCreate, required=False))
async def complete_instance(instance_id: InstanceId, d: DeliveryDep,
                            state: StateDep) -> Response:
    body = parse_body(CompletionCreate, d.body)
    return apply_change(state, d, lambda s: _work(state, s, d, instance_id, body))


@router.post("/instances/{instance_id}/progress", response_model=InstancePublic,
             summary="Báo tiến độ (số lượng) của một phiên bản có chỉ tiêu",
             openapi_extra=request_schema(ProgressCreate))
async def report_progress(instance_id: InstanceId, d: DeliveryDep, state: StateDep) -> Response:
    body = parse_body(ProgressCreate, d.body)
    return apply_change(state, d, lambda s: _work(state, s, d, instance_id, body))


def _work(state: ApiState, session: Session, d: Delivery, instance_id: str,
          body: CompletionCreate) -> InstancePublic:
    service.authorize_instance(session, d.caller, state.directories, instance_id)
    return service.record_work(session, d.caller, instance_id, body, now=d.now)


@router.post("/plans/{plan}/tasks/{task}/complete", response_model=InstancePublic,
             summary="Báo hoàn thành theo kế hoạch, nhiệm vụ, cơ quan và kỳ",
             openapi_extra=request_schema(KeyedCompletionCreate))
async def complete_by_key(plan: PlanId, task: TaskId, d: DeliveryDep, state: StateDep) -> Response:
    body = parse_body(KeyedCompletionCreate, d.body)
    return apply_change(state, d, lambda s: service.complete_by_key(
        s, d.caller, state.directories, plan=plan, task=task, body=body, now=d.now))


@router.get("/agencies/{agency}/instances", response_model=InstanceListPublic,
            summary="Các phiên bản nhiệm vụ do một cơ quan chủ trì")
async def agency_instances(agency: AgencyId, caller: CallerDep, state: StateDep,
                           plan: Annotated[Slug | None, Query()] = None,
                           status: Annotated[Status | None, Query()] = None,
                           period: Annotated[str | None, Query(max_length=16)] = None,
                           ) -> InstanceListPublic:
    now = utc_now()
    with state.store.transaction() as session:
        plans = service.readable_plans(session, caller, state.directories, agency=agency,
                                       plan=plan)
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
                          token: Annotated[str | None, Query(max_length=200)] = None,
                          ) -> Response:
    now = utc_now()
    with state.store.transaction() as session:
        caller = authenticate(session, token)
        request.state.caller = caller
        plans = service.calendar_plans(session, caller, state.directories, agency=agency)
        deadlines = agency_deadlines(session, plans=plans, agency=agency, now=now)
    return Response(render_calendar(deadlines, agency=agency, now=now),
                    media_type="text/calendar; charset=utf-8")


@router.post("/noop", response_model=NoopPublic, include_in_schema=True,
             summary="Không làm gì: cùng xác thực, cùng đọc nội dung (để đo hiệu năng)",
             openapi_extra=request_schema(CompletionCreate, required=False))
async def noop(d: DeliveryDep) -> Response:
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
