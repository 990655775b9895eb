"""Webhook API routes of completion review and deadline extensions (engine.store.review).

- POST /api/v1/instances/{id}/extension-requests      the lead asks for more time
- POST /api/v1/extension-requests/{rid}/approve        an approver grants it (maybe another date)
- POST /api/v1/extension-requests/{rid}/refuse         an approver refuses it, with a reason
- GET  /api/v1/extension-requests                      requests (pending by default)
- POST /api/v1/instances/{id}/review/accept            the reviewer accepts a completion
- POST /api/v1/instances/{id}/review/return            the reviewer returns it, with a reason
- GET  /api/v1/reviews                                 completions awaiting review

The POSTs are deliveries as the completions are (engine.api.routes): body size and type,
signature and replay, Idempotency-Key. Tokens are scoped as for them: an agency token acts
for its agency in the plans of its directory (the store checks that it is the lead, the
reviewer or an approver); an operator token acts for anyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from engine.api.auth import Caller, Role
from engine.api.errors import ForbiddenError, InvalidInputError
from engine.api.models import LOCAL, Moment, Note, Slug, request_schema
from engine.api.routes import (
    PROBLEMS,
    CallerDep,
    Delivery,
    DeliveryDep,
    InstanceId,
    StateDep,
    apply_change,
    parse_body,
)
from engine.api.service import authorize_instance, require_role
from engine.core.review import REQUEST_STATES
from engine.store.events import CLOCK_SKEW, NotFoundError, local_text
from engine.store.review import (
    ExtensionRequest,
    PendingReview,
    accept_completion,
    decide_extension,
    extension_requests,
    get_extension,
    pending_reviews,
    request_extension,
    return_completion,
    review_policy,
)

review_router = APIRouter(prefix="/api/v1", responses=PROBLEMS, tags=["review"])
# Within both stores' 64-bit integers: a larger id names nothing (404, not an overflow).
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1, examples=[1])]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    at: Moment | None = Field(default=None, description="when it was asked or decided "
                              "(ISO 8601; default now; not in the future)")


class ExtensionCreate(_Body):
    """Body of POST .../extension-requests: the date proposed and why."""

    due: dt.date = Field(examples=["2024-03-05"], description="the due date proposed")
    reason: Reason


class ApprovalCreate(_Body):
    """Body of POST .../approve: the date granted (default: the date asked)."""

    due: dt.date | None = None
    reason: Note | None = None


class RefusalCreate(_Body):
    """Body of POST .../refuse and .../review/return: why."""

    reason: Reason


class AcceptanceCreate(_Body):
    note: Note | None = None


class ExtensionPublic(BaseModel):
    id: int
    plan: str
    instance_id: str
    agency: str
    state: Literal["requested", "approved", "refused"]
    requested_at: dt.datetime
    requested_by: str
    reason: str
    previous_due: dt.date
    requested_due: dt.date
    decided_at: dt.datetime | None
    decided_by: str | None
    granted_due: dt.date | None
    decision_reason: str | None
    message: str = ""


class ExtensionListPublic(BaseModel):
    count: int
    requests: list[ExtensionPublic]


class ReviewPublic(BaseModel):
    instance_id: str
    review: str | None
    completed_at: dt.datetime | None
    due: dt.datetime | None
    message: str


class PendingReviewPublic(BaseModel):
    instance_id: str
    plan: str
    task: str
    agency: str
    period: str
    due_date: dt.date | None
    completed_at: dt.datetime
    reviewer: str
    evidence_url: str | None
    review: str


class PendingReviewListPublic(BaseModel):
    count: int
    reviews: list[PendingReviewPublic]


_MESSAGES = {"requested": "Đã ghi nhận đề nghị gia hạn số {id} đến ngày {due}; chờ quyết định.",
             "approved": "Đã chấp thuận gia hạn (đề nghị số {id}): thời hạn mới {due}.",
             "refused": "Đã ghi nhận không chấp thuận đề nghị gia hạn số {id}."}


def _public(request: ExtensionRequest) -> ExtensionPublic:
    due = request.granted_due or request.requested_due
    message = _MESSAGES[request.state].format(id=request.id, due=f"{due:%d/%m/%Y}")
    return ExtensionPublic(**request.to_json(), message=message)


def _moment(body: _Body | None, now: dt.datetime) -> dt.datetime:
    """The moment of the step: the body's `at` (not in the future), else now."""
    at = body.at if body is not None and body.at is not None else now
    if at > now + CLOCK_SKEW:
        raise InvalidInputError("at-in-future", f"Thời điểm {local_text(at, LOCAL)} ở "
                                "tương lai; gửi thời điểm đã đề nghị hoặc quyết định.",
                                errors=[{"field": "at", "message": "không được ở tương lai"}])
    return at


def _agency_of(caller: Caller, state: Any, session: Any, plan: str) -> str | None:
    """The caller's agency (None: an operator), refused outside its own directory."""
    require_role(caller, Role.AGENCY, Role.OPERATOR)
    if caller.role is Role.OPERATOR:
        return None
    directory = state.directories.of(session, plan)
    if directory != caller.directory_id:
        raise ForbiddenError("not-in-directory", f"Kế hoạch '{plan}' thuộc danh mục cơ quan "
                             f"'{directory}', còn token này cấp cho '{caller.agency_id}' của "
                             f"danh mục '{caller.directory_id}'.")
    return caller.agency_id


@review_router.post("/instances/{instance_id}/extension-requests",
                    response_model=ExtensionPublic, summary="Đề nghị gia hạn một đầu việc",
                    openapi_extra=request_schema(ExtensionCreate))
async def ask_extension(instance_id: InstanceId, d: DeliveryDep) -> Response:
    body = parse_body(ExtensionCreate, d.body)
    at = _moment(body, d.now)

    def ask(session: Session) -> ExtensionPublic:
        authorize_instance(session, d.caller, d.state.directories, instance_id)
        agency = None if d.caller.role is Role.OPERATOR else d.caller.agency_id
        return _public(request_extension(session, instance_id=instance_id, due=body.due,
                                         reason=body.reason, actor=d.caller.actor,
                                         agency=agency, now=at, source="webhook"))
    return apply_change(d, ask)


def _decide(d: Delivery, request_id: int, body: ApprovalCreate | RefusalCreate) -> Response:
    at = _moment(body, d.now)
    approve = isinstance(body, ApprovalCreate)

    def decide(session: Session) -> ExtensionPublic:
        asked = get_extension(session, request_id)
        agency = _agency_of(d.caller, d.state, session, asked.plan)
        return _public(decide_extension(
            session, request_id=request_id, approve=approve, actor=d.caller.actor,
            agency=agency, now=at, source="webhook",
            due=body.due if isinstance(body, ApprovalCreate) else None, reason=body.reason))
    return apply_change(d, decide)


@review_router.post("/extension-requests/{request_id}/approve", response_model=ExtensionPublic,
                    summary="Chấp thuận đề nghị gia hạn (có thể với thời hạn khác)",
                    openapi_extra=request_schema(ApprovalCreate, required=False))
async def approve_extension(request_id: RequestId, d: DeliveryDep) -> Response:
    return _decide(d, request_id, parse_body(ApprovalCreate, d.body))


@review_router.post("/extension-requests/{request_id}/refuse", response_model=ExtensionPublic,
                    summary="Không chấp thuận đề nghị gia hạn (kèm lý do)",
                    openapi_extra=request_schema(RefusalCreate))
async def refuse_extension(request_id: RequestId, d: DeliveryDep) -> Response:
    return _decide(d, request_id, parse_body(RefusalCreate, d.body))


@review_router.get("/extension-requests", response_model=ExtensionListPublic,
                   summary="Các đề nghị gia hạn (mặc định: đang chờ duyệt)")
async def list_extensions(caller: CallerDep, state: StateDep,
                          plan: Annotated[Slug | None, Query()] = None,
                          status: Annotated[Literal["requested", "approved", "refused", "all"],
                                            Query()] = "requested") -> ExtensionListPublic:
    chosen = None if status == "all" else status
    assert chosen is None or chosen in REQUEST_STATES
    with state.store.transaction() as session:
        found = extension_requests(session, plan=plan, state=chosen)
        if caller.role is not Role.OPERATOR:
            found = [r for r in found if _visible(session, caller, state, r)]
    return ExtensionListPublic(count=len(found), requests=[_public(r) for r in found])


def _visible(session: Any, caller: Caller, state: Any, request: ExtensionRequest) -> bool:
    """An agency sees its own requests and those of its directory's plans it may decide."""
    require_role(caller, Role.AGENCY)
    if state.directories.of(session, request.plan) != caller.directory_id:
        return False
    return caller.agency_id == request.agency or \
        caller.agency_id in review_policy(session, request.plan).approvers


@review_router.post("/instances/{instance_id}/review/accept", response_model=ReviewPublic,
                    summary="Chấp nhận báo cáo hoàn thành",
                    openapi_extra=request_schema(AcceptanceCreate, required=False))
async def accept(instance_id: InstanceId, d: DeliveryDep) -> Response:
    body = parse_body(AcceptanceCreate, d.body)
    at = _moment(body, d.now)

    def accept_it(session: Session) -> ReviewPublic:
        agency = _agency_of(d.caller, d.state, session, _plan_of(instance_id))
        view = accept_completion(session, instance_id=instance_id, actor=d.caller.actor,
                                 agency=agency, now=at, source="webhook", note=body.note)
        return _review_public(view, "Đã chấp nhận báo cáo hoàn thành {id}.")
    return apply_change(d, accept_it)


@review_router.post("/instances/{instance_id}/review/return", response_model=ReviewPublic,
                    summary="Trả lại báo cáo hoàn thành (kèm lý do)",
                    openapi_extra=request_schema(RefusalCreate))
async def give_back(instance_id: InstanceId, d: DeliveryDep) -> Response:
    body = parse_body(RefusalCreate, d.body)
    at = _moment(body, d.now)

    def give_it_back(session: Session) -> ReviewPublic:
        agency = _agency_of(d.caller, d.state, session, _plan_of(instance_id))
        view = return_completion(session, instance_id=instance_id, actor=d.caller.actor,
                                 agency=agency, now=at, source="webhook", reason=body.reason)
        return _review_public(view, "Đã trả lại báo cáo hoàn thành {id}; đầu việc được tính "
                              "là chưa hoàn thành, thời hạn giữ nguyên.")
    return apply_change(d, give_it_back)


@review_router.get("/reviews", response_model=PendingReviewListPublic,
                   summary="Các báo cáo hoàn thành đang chờ xem xét")
async def list_reviews(caller: CallerDep, state: StateDep,
                       plan: Annotated[Slug | None, Query()] = None) -> PendingReviewListPublic:
    require_role(caller, Role.AGENCY, Role.OPERATOR)
    with state.store.transaction() as session:
        found: list[PendingReview] = pending_reviews(
            session, plan=plan,
            reviewer=None if caller.role is Role.OPERATOR else caller.agency_id)
        if caller.role is Role.AGENCY:
            found = [r for r in found
                     if state.directories.of(session, r.plan) == caller.directory_id]
    return PendingReviewListPublic(count=len(found), reviews=[
        PendingReviewPublic(**r.to_json()) for r in found])


def _plan_of(instance_id: str) -> str:
    parts = instance_id.split(":")
    if len(parts) != 4:
        raise NotFoundError("instance", instance_id)
    return parts[0]


def _review_public(view: Any, message: str) -> ReviewPublic:
    state = view.state
    return ReviewPublic(instance_id=view.id, review=state.review,
                        completed_at=state.completed_at, due=view.due_at,
                        message=message.format(id=view.id))

