"""Routes and dependencies of the webhook API (/api/v1), over engine.api.service.

The deliveries (POST .../complete, .../progress, /noop) are declared here and answered by
engine.api.delivery; the other routes are ordinary FastAPI routes.

Handlers are `async` but call the database synchronously: each request's transaction is
short, and on SQLite running them one after another on the event loop serialises writers
without the busy-wait sleeps that competing threads would cause.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.api import service as service
from engine.api.auth import SIGNATURE_HEADER, Caller, authenticate, authenticate_fast
from engine.api.calendar_feed import agency_deadlines, agency_name, render_calendar
from engine.api.delivery import IDEMPOTENCY_HEADER, ROUTE_KINDS, answer
from engine.api.errors import UnavailableError
from engine.api.models import (
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
from engine.store.database import Store, utc_now


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


async def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.kehoach
    return state


StateDep = Annotated[ApiState, Depends(get_state)]
bearer = HTTPBearer(auto_error=False, description="Token do `kehoach token create` cấp")


async def authenticated(request: Request, state: StateDep, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller named by the bearer token (401 if none, unknown or revoked)."""
    caller = authenticate_fast(state.store.connections, credentials.credentials if credentials
                               else None)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(authenticated)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
IdempotencyKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, min_length=1,
                                              max_length=255)]
Signature = Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=1000)]


class DeliveryRoute(APIRoute):
    """A delivery route: FastAPI documents its declared parameters but never solves them.

    The endpoint's signature is the OpenAPI description of the operation; requests are
    answered by `engine.api.delivery.answer` (the checks in FastAPI's old order, one piece of
    code), which `DeliveryRoutes` normally calls before the request reaches the router.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        kind = ROUTE_KINDS[self.path_format]

        async def handler(request: Request) -> Response:
            reply = await answer(request.app.state.kehoach, request.scope, request.receive,
                                 kind, request.path_params)
            return Response(reply.body, reply.status, headers=dict(reply.headers),
                            media_type=reply.media_type)
        return handler


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": text_, "content": {"application/problem+json": {}}}
    for code, text_ in ((401, "Thiếu, sai hoặc đã thu hồi token"),
                        (403, "Không chủ trì; chữ ký thiếu, sai, quá hạn hoặc dùng lại"),
                        (404, "Không tìm thấy"),
                        (409, "Đã miễn/hủy, đã hoàn thành, hoặc Idempotency-Key dùng lại"),
                        (413, "Nội dung quá lớn"), (415, "Không phải JSON"),
                        (422, "Dữ liệu không hợp lệ"))}
router = APIRouter(prefix="/api/v1", responses=PROBLEMS)
deliveries = APIRouter(prefix="/api/v1", responses=PROBLEMS, route_class=DeliveryRoute)
InstanceId = Annotated[str, Path(
    description="plan:task:agency:period",
    examples=["hn-2024-tt-cchc:ban-hanh-ke-hoach:so-y-te:2024"])]
PlanId = Annotated[Slug, Path(examples=["hn-2024-tt-cchc"])]
TaskId = Annotated[Slug, Path(examples=["ban-hanh-ke-hoach"])]
AgencyId = Annotated[Slug, Path(examples=["so-y-te"])]


DECLARED = "declared for OpenAPI; DeliveryRoute answers it"


@deliveries.post("/instances/{instance_id}/complete", response_model=InstancePublic,
                 summary="Báo hoàn thành một đầu việc",
                 openapi_extra=request_schema(CompletionCreate, required=False))
async def complete_instance(instance_id: InstanceId, credentials: BearerDep,
                            idempotency_key: IdempotencyKey = None,
                            signature: Signature = None) -> Response:
    raise NotImplementedError(DECLARED)


@deliveries.post("/instances/{instance_id}/progress", response_model=InstancePublic,
                 summary="Báo tiến độ (số lượng) của một đầu việc có chỉ tiêu",
                 openapi_extra=request_schema(ProgressCreate))
async def report_progress(instance_id: InstanceId, credentials: BearerDep,
                          idempotency_key: IdempotencyKey = None,
                          signature: Signature = None) -> Response:
    raise NotImplementedError(DECLARED)


@deliveries.post("/plans/{plan}/tasks/{task}/complete", response_model=InstancePublic,
                 summary="Báo hoàn thành theo kế hoạch, nhiệm vụ, cơ quan và kỳ",
                 openapi_extra=request_schema(KeyedCompletionCreate))
async def complete_by_key(plan: PlanId, task: TaskId, credentials: BearerDep,
                          idempotency_key: IdempotencyKey = None,
                          signature: Signature = None) -> Response:
    raise NotImplementedError(DECLARED)


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
    now = utc_now()
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
    now = utc_now()
    with state.store.transaction() as session:
        caller = authenticate(session, token or (credentials.credentials if credentials
                                                 else None), calendar=True)
        request.state.caller = caller
        plans = service.calendar_plans(session, caller, state.directories, agency=agency)
        deadlines = agency_deadlines(session, plans=plans, agency=agency, now=now)
        name = agency_name(session, plans=plans, agency=agency)
    return Response(render_calendar(deadlines, agency=name, now=now),
                    media_type="text/calendar; charset=utf-8")


@deliveries.post("/noop", response_model=NoopPublic, include_in_schema=True,
                 summary="Không làm gì: cùng xác thực, cùng đọc nội dung (để đo hiệu năng)",
                 openapi_extra=request_schema(CompletionCreate, required=False))
async def noop(credentials: BearerDep, idempotency_key: IdempotencyKey = None,
               signature: Signature = None) -> Response:
    raise NotImplementedError(DECLARED)


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
