"""Completion review and deadline extensions on the pages (engine.store.review).

The lead asks for more time from an instance's page; the review queue lists what awaits
a decision: completions to accept or return, extension requests to approve or refuse.
Operators see every plan's queue; an agency signed in by its link sees what its plans
name it reviewer or approver of, in its own directory.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.api.auth import Role
from engine.core.review import ReviewError
from engine.store.events import NotFoundError
from engine.store.review import (
    accept_completion,
    decide_extension,
    get_extension,
    request_extension,
    return_completion,
)
from engine.store.review_queue import (
    COMPLETIONS,
    EXTENSIONS,
    QueueFilter,
    count_queue,
    lead_queue,
    queue_agencies,
    queue_scope,
    read_queue,
    report_details,
)
from engine.store.tables import AgencyRow, PlanRow, TaskRow
from engine.web.actions import review_text
from engine.web.agency_pages import authorize as authorize_instance
from engine.web.agency_pages import form_of, instance_page, text_of
from engine.web.common import PageError, Viewer, ViewerDep, check_csrf, now_of, page, state_of
from engine.web.paging import PAGE, PAGE_SIZE, choice, pager
from engine.web.work import plan_label

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
QUEUE = "/xem-xet"
# The queue's GET filters: ?loai=gia-han|hoan-thanh, ?ke-hoach=PLAN, ?co-quan=AGENCY, ?trang=N.
KINDS = {"gia-han": EXTENSIONS, "hoan-thanh": COMPLETIONS}
FILTERS = ("loai", "ke-hoach", "co-quan")


def _day(text: str, problems: dict[str, str], field: str, *, required: bool) -> dt.date | None:
    text = text.strip()
    if not text:
        if required:
            problems[field] = "Chọn ngày."
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[field] = "Ngày không đúng dạng."
        return None


def _field(exc: ReviewError) -> str:
    return exc.field if exc.field in ("due", "reason") else "form"


def _message(exc: ReviewError) -> str:
    log.info("review step refused: %s (%s)", exc.kind, exc)
    return review_text(exc)


@router.post("/don-vi/viec/{instance_id}/gia-han")
async def ask_extension(request: Request, instance_id: str, viewer: ViewerDep) -> Response:
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    values = {"due": text_of(form, "due"), "reason": text_of(form, "reason")}
    problems: dict[str, str] = {}
    due = _day(values["due"], problems, "due", required=True)
    state, now = state_of(request), now_of(request)
    with state.store.transaction() as session:
        authorize_instance(session, request, viewer, instance_id)
    if due is not None and not problems:
        try:
            with state.store.transaction() as session:
                request_extension(session, instance_id=instance_id, due=due,
                                  reason=values["reason"], actor=viewer.caller.actor,
                                  agency=None if viewer.operator else viewer.caller.agency_id,
                                  now=now, source="web")
        except ReviewError as exc:
            problems[_field(exc)] = _message(exc)
    if problems:
        return instance_page(request, viewer, instance_id, status=422,
                             errors={f"ext_{k}": v for k, v in problems.items()},
                             values={f"ext_{k}": v for k, v in values.items()})
    prefix = "/theo-doi/viec/" if viewer.operator else "/don-vi/viec/"
    return RedirectResponse(f"{prefix}{instance_id}?gia_han=1", status_code=303)


def _scope(session: Session, request: Request, viewer: Viewer) -> tuple[str | None, set[str]]:
    """(the deciding agency, None for an operator; the plans it may decide for)."""
    caller = viewer.caller
    if viewer.operator:
        return None, set()
    if caller.role is not Role.AGENCY or not caller.directory_id:
        raise PageError(403, "Không có quyền xem trang này", "Trang xem xét dành cho đơn vị "
                        "theo dõi và cơ quan được giao xem xét, quyết định gia hạn.")
    plans = set(state_of(request).directories.plans_in(session, caller.directory_id))
    return caller.agency_id, plans


def _queue(request: Request, viewer: Viewer, *, errors: dict[str, dict[str, str]] | None = None,
           notice: str | None = None, status: int = 200) -> Response:
    query = request.query_params
    with state_of(request).store.transaction() as session:
        agency, plans = _scope(session, request, viewer)
        scope = queue_scope(session, decider=agency, plans=None if agency is None else plans)
        plan_names = {p.id: plan_label(p.number, p.title) for p in session.scalars(
            select(PlanRow).where(PlanRow.id.in_(scope.plans)).order_by(PlanRow.id))}
        agencies = queue_agencies(session, scope)
        kind = choice(query, "loai", KINDS, "Chọn «gia-han» (đề nghị gia hạn) hoặc "
                      "«hoan-thanh» (báo cáo hoàn thành).")
        filters = QueueFilter(
            KINDS.get(kind or ""), choice(query, "ke-hoach", plan_names,
                                          "Chọn một kế hoạch trong danh sách lọc."),
            choice(query, "co-quan", agencies, "Chọn một cơ quan trong danh sách lọc."))
        counts = count_queue(session, scope, filters=filters)
        pg = pager(query, path=QUEUE, total=counts.total(filters.kind), clamp=notice is not None,
                   kept={"loai": kind, "ke-hoach": filters.plan, "co-quan": filters.agency})
        shown = read_queue(session, scope, filters=filters, counts=counts, offset=pg.offset,
                           limit=PAGE_SIZE)
        own = None if agency is None else lead_queue(session, agency=agency, plans=plans)
        reports = [*shown.reviews, *(own.reviews if own else [])]
        details = report_details(session, reports)
        titles, names = _labels(session, {r.plan for r in reports} | {
            r.plan for r in [*shown.extensions, *(own.extensions if own else [])]})
    return page("review.html.j2", {
        "own": own, "details": details, "decides": bool(scope.plans),
        "reviews": shown.reviews, "extensions": shown.extensions, "counts": counts,
        "kind": filters.kind, "filters": filters, "plans": plan_names, "agencies": agencies,
        "pg": pg, "titles": titles, "names": names, "errors": errors or {},
        "notice": notice}, viewer=viewer, status=status)


def _back(request: Request) -> str:
    """The queue's address with the filters and page the decision was made from."""
    kept = [(k, v) for k, v in request.query_params.items() if k in (*FILTERS, PAGE) and v]
    return f"{QUEUE}?{urlencode([*kept, ('xong', '1')])}"


def _labels(session: Session, plans: set[str]) -> tuple[dict[tuple[str, str], str],
                                                         dict[tuple[str, str], str]]:
    titles = {(p, t): title for p, t, title in session.execute(
        select(TaskRow.plan_id, TaskRow.id, TaskRow.title).where(TaskRow.plan_id.in_(plans)))}
    names = {(p, a): short or name for p, a, short, name in session.execute(
        select(AgencyRow.plan_id, AgencyRow.id, AgencyRow.short, AgencyRow.name)
        .where(AgencyRow.plan_id.in_(plans)))}
    return titles, names


@router.get(QUEUE)
async def review_queue(request: Request, viewer: ViewerDep, xong: str | None = None,
                       ) -> Response:
    return _queue(request, viewer, notice="Đã ghi nhận quyết định." if xong else None)


def _decide(request: Request, viewer: Viewer, key: str, step: Any) -> Response:
    """Run one decision in its own transaction; a refusal brings the queue back with the
    message at that row, nothing written."""
    try:
        with state_of(request).store.transaction() as session:
            agency, plans = _scope(session, request, viewer)
            step(session, agency, plans)
    except ReviewError as exc:
        return _queue(request, viewer, errors={key: {_field(exc): _message(exc)}},
                      status=409 if exc.conflict else 403 if exc.forbidden else 422)
    except NotFoundError:
        raise PageError(404, "Không tìm thấy", "Việc cần xem xét này không có.") from None
    return RedirectResponse(_back(request), status_code=303)


def _own_plan(plan: str, agency: str | None, plans: set[str]) -> None:
    if agency is not None and plan not in plans:
        raise PageError(403, "Không có quyền", "Kế hoạch này không thuộc danh mục cơ quan "
                        "của phiên đăng nhập.")


@router.post(QUEUE + "/hoan-thanh/{instance_id}/{verdict}")
async def review_completion(request: Request, instance_id: str, verdict: str,
                            viewer: ViewerDep) -> Response:
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    if verdict not in ("chap-nhan", "tra-lai"):
        raise PageError(404, "Không có thao tác này", "Chấp nhận hoặc trả lại báo cáo.")
    reason, now = text_of(form, "reason"), now_of(request)

    def step(session: Session, agency: str | None, plans: set[str]) -> None:
        _own_plan(instance_id.split(":", 1)[0], agency, plans)
        if verdict == "chap-nhan":
            accept_completion(session, instance_id=instance_id, actor=viewer.caller.actor,
                              agency=agency, now=now, source="web", note=reason or None)
        else:
            return_completion(session, instance_id=instance_id, actor=viewer.caller.actor,
                              agency=agency, now=now, source="web", reason=reason)
    return _decide(request, viewer, instance_id, step)


@router.post(QUEUE + "/gia-han/{request_id}/{verdict}")
async def decide_request(request: Request, request_id: int, verdict: str,
                         viewer: ViewerDep) -> Response:
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    if verdict not in ("chap-thuan", "tu-choi"):
        raise PageError(404, "Không có thao tác này", "Chấp thuận hoặc không chấp thuận.")
    problems: dict[str, str] = {}
    due = _day(text_of(form, "due"), problems, "due", required=False)
    if problems:
        return _queue(request, viewer, errors={str(request_id): problems}, status=422)
    reason, now = text_of(form, "reason"), now_of(request)

    def step(session: Session, agency: str | None, plans: set[str]) -> None:
        _own_plan(get_extension(session, request_id).plan, agency, plans)
        decide_extension(session, request_id=request_id, approve=verdict == "chap-thuan",
                         actor=viewer.caller.actor, agency=agency, now=now, source="web",
                         due=due, reason=reason or None)
    return _decide(request, viewer, str(request_id), step)
