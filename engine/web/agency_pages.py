"""The agency's page "Việc của đơn vị", an instance's page, its forms and evidence files."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from engine.api import service
from engine.api.auth import Role, issue_token
from engine.api.errors import ForbiddenError
from engine.core.status import STATUS_LABELS_VI, TransitionError
from engine.store.events import EventValueError, NotFoundError, get_instance
from engine.store.review import extension_requests, review_policy
from engine.store.review_queue import QueueFilter, count_queue, extension_blockers, queue_scope
from engine.store.tables import PlanRow
from engine.store.tables_web import EvidenceFileRow
from engine.web.actions import (
    ALLOWED_TEXT,
    MAX_FILE_BYTES,
    FormProblems,
    Upload,
    check_completion,
    check_count,
    record_completion,
    record_progress,
    refusal_text,
    review_text,
)
from engine.web.common import (
    PageError,
    Viewer,
    ViewerDep,
    agency_names,
    check_csrf,
    now_of,
    page,
    state_of,
)
from engine.web.signin import instance_path
from engine.web.work import WorkItem, agency_work, files_of, history, plan_label

router = APIRouter(include_in_schema=False)
Errors = dict[str, dict[str, str]]


def _agency_of(viewer: Viewer) -> tuple[str, str]:
    caller = viewer.caller
    if caller.role is not Role.AGENCY or not caller.agency_id or not caller.directory_id:
        raise PageError(403, "Trang dành cho đơn vị chủ trì",
                        "Trang «Việc của đơn vị» mở bằng liên kết trong thư gửi đơn vị. Đơn vị "
                        "theo dõi xem việc của từng đơn vị ở trang Theo dõi kế hoạch.")
    return caller.directory_id, caller.agency_id


def _work_page(request: Request, viewer: Viewer, *, errors: Errors | None = None,
               values: dict[str, dict[str, str]] | None = None, changed: str | None = None,
               calendar_url: str | None = None, status: int = 200) -> Response:
    directory, agency = _agency_of(viewer)
    state = state_of(request)
    with state.store.transaction() as session:
        plans = state.directories.plans_in(session, directory)
        work = agency_work(session, plans=plans, agency=agency, now=now_of(request))
        to_decide, leads = _roles(session, plans, agency)
        blocked = _blocked(session, [i for _, _, items in work.groups for i in items if i.open],
                           now=now_of(request))
    item = work.find(changed) if changed else None
    notice = None if item is None else (
        f"Đã ghi nhận {'tiến độ' if item.open else 'hoàn thành'}: «{item.task_title}», kỳ "
        f"{item.line.period} ({STATUS_LABELS_VI[item.line.status].lower()}).")
    return page("agency.html.j2", {
        "work": work, "no_extension": blocked, "to_decide": to_decide, "leads": leads,
        "errors": errors or {},
        "values": values or {}, "notice": notice, "calendar_url": calendar_url,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024), "allowed": ALLOWED_TEXT,
        "path_of": instance_path}, viewer=viewer, status=status)


def _blocked(session: Session, items: list[WorkItem], *, now: dt.datetime) -> dict[str, str]:
    """Why no extension of each open item could be asked now, by instance id (absent: one
    could), in the page's words."""
    found: dict[str, str] = {}
    for plan in sorted({i.plan for i in items}):
        found.update((iid, review_text(exc)) for iid, exc in extension_blockers(
            session, plan=plan, instance_ids=[i.id for i in items if i.plan == plan],
            now=now).items())
    return found


def _roles(session: Session, plans: list[str], agency: str,
           ) -> tuple[int, list[tuple[str, str]]]:
    """What else the agency does in its plans: how many reviews and extension requests
    await its decision, and the plans it issued or monitors (leadership's dashboard)."""
    counts = count_queue(session, queue_scope(session, decider=agency, plans=plans),
                         filters=QueueFilter())
    waiting = counts.extensions + counts.reviews
    leads = [(p.id, plan_label(p.number, p.title)) for p in session.scalars(
        select(PlanRow).where(PlanRow.id.in_(plans),
                              or_(PlanRow.issuer == agency, PlanRow.monitor == agency))
        .order_by(PlanRow.id))]
    return waiting, leads


@router.get("/don-vi")
async def agency_page(request: Request, viewer: ViewerDep, xong: str | None = None,
                      ) -> Response:
    if viewer.operator:
        return RedirectResponse("/theo-doi", status_code=303)
    return _work_page(request, viewer, changed=xong)


def authorize(session: Session, request: Request, viewer: Viewer, instance_id: str) -> None:
    """The viewer may act on (and see) this instance: its lead agency, or an operator."""
    try:
        service.authorize_instance(session, viewer.caller, state_of(request).directories,
                                   instance_id)
        get_instance(session, instance_id)
    except ForbiddenError:
        raise PageError(403, "Không có quyền với đầu việc này",
                        "Đầu việc này không do đơn vị bạn chủ trì, nên không xem hay cập nhật "
                        "được từ phiên đăng nhập này.") from None
    except NotFoundError:
        raise PageError(404, "Không tìm thấy đầu việc",
                        f"Không có đầu việc mã «{instance_id}».") from None


async def form_of(request: Request) -> FormData:
    """The form of a POST, refused whole (nothing read) if larger than a file allows."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FILE_BYTES + 256 * 1024:
        raise PageError(413, "Tệp quá lớn",
                        f"Biểu mẫu gửi lên lớn hơn giới hạn {MAX_FILE_BYTES // (1024 * 1024)} "
                        "MB của tệp đính kèm; nén tệp lại hoặc gửi đường dẫn tới tệp. Không "
                        "có gì được ghi nhận.")
    try:
        return await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except MultiPartException as exc:
        raise PageError(400, "Biểu mẫu không đọc được",
                        f"Biểu mẫu gửi lên không đọc được ({exc.message}); tải lại trang và "
                        "gửi lại.") from None


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _upload(form: FormData) -> Upload | None:
    item = form.get("file")
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    content = await item.read(MAX_FILE_BYTES + 1)
    return Upload(item.filename, content)


@router.post("/don-vi/viec/{instance_id}/hoan-thanh")
async def complete(request: Request, instance_id: str, viewer: ViewerDep) -> Response:
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    state, now = state_of(request), now_of(request)
    with state.store.transaction() as session:
        authorize(session, request, viewer, instance_id)
    upload = await _upload(form)
    values = {k: text_of(form, k) for k in ("evidence_url", "note", "done_on")}
    checked, problems = check_completion(upload=upload, now=now, **values)
    if checked is not None:
        try:
            with state.store.transaction() as session:
                record_completion(session, viewer.caller, instance_id, checked,
                                  public_url=state.settings.public_url, now=now)
        except (EventValueError, TransitionError) as exc:
            problems.fields.update([_refused(request, instance_id, exc)])
    if problems:
        return _form_back(request, viewer, instance_id, problems, values,
                          back=text_of(form, "back"))
    return _done(viewer, instance_id, text_of(form, "back"))


@router.post("/don-vi/viec/{instance_id}/tien-do")
async def progress(request: Request, instance_id: str, viewer: ViewerDep) -> Response:
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    state, now = state_of(request), now_of(request)
    values = {k: text_of(form, k) for k in ("count", "progress_note")}
    problems = FormProblems()
    count = check_count(values["count"], problems)
    note = values["progress_note"].strip()[:2000] or None
    with state.store.transaction() as session:
        authorize(session, request, viewer, instance_id)
    if not problems:
        try:
            with state.store.transaction() as session:
                record_progress(session, viewer.caller, instance_id, count=count, note=note,
                                now=now)
        except (EventValueError, TransitionError) as exc:
            problems.fields.update([_refused(request, instance_id, exc)])
    if problems:
        return _form_back(request, viewer, instance_id, problems, values,
                          back=text_of(form, "back"))
    return _done(viewer, instance_id, text_of(form, "back"))


def _refused(request: Request, instance_id: str, exc: Exception) -> tuple[str, str]:
    with state_of(request).store.transaction() as session:
        return refusal_text(session, instance_id, exc)


def _form_back(request: Request, viewer: Viewer, instance_id: str, problems: FormProblems,
               values: dict[str, str], *, back: str) -> Response:
    """The refused form again, on the page it was sent from, with the messages at its
    fields: the instance's own page (`back=instance`, and always for an operator), else
    the agency's list."""
    if viewer.operator or back == "instance":
        return instance_page(request, viewer, instance_id, errors=problems.fields,
                             values=values, status=422)
    return _work_page(request, viewer, errors={instance_id: problems.fields},
                      values={instance_id: values}, status=422)


def _done(viewer: Viewer, instance_id: str, back: str) -> Response:
    if viewer.operator or back == "instance":
        return RedirectResponse(("/theo-doi/viec/" if viewer.operator else "/don-vi/viec/")
                                + quote(instance_id, safe=":") + "?xong=1", status_code=303)
    return RedirectResponse(f"/don-vi?xong={quote(instance_id, safe=':')}#viec-done",
                            status_code=303)


@router.get("/don-vi/viec/{instance_id}")
async def agency_instance(request: Request, instance_id: str, viewer: ViewerDep,
                          xong: str | None = None, gia_han: str | None = None) -> Response:
    return instance_page(request, viewer, instance_id, notice=notice_of(xong, gia_han))


def notice_of(done: str | None, extension: str | None) -> str | None:
    if extension:
        return "Đã gửi đề nghị gia hạn; chờ cơ quan có thẩm quyền quyết định."
    return "Đã ghi nhận." if done else None


def instance_page(request: Request, viewer: Viewer, instance_id: str, *,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  notice: str | None = None, status: int = 200) -> Response:
    """One instance: its figures, its forms (to its lead), its audit events and files."""
    state, now = state_of(request), now_of(request)
    with state.store.transaction() as session:
        authorize(session, request, viewer, instance_id)
        view = get_instance(session, instance_id)
        work = agency_work(session, plans=[view.plan], agency=view.agency, now=now)
        item = work.find(instance_id)
        events = history(session, instance_id)
        files = [f for _, f in files_of(session, [instance_id])]
        extensions = extension_requests(session, instance_id=instance_id)
        actors = agency_names(session, view.plan)
        blocked = _blocked(session, [item] if item is not None and item.open else [], now=now)
    if item is None:
        raise PageError(404, "Không tìm thấy đầu việc", f"Không có đầu việc «{instance_id}».")
    return page("instance.html.j2", {
        "item": item, "agency_name": work.name, "events": events, "files": files,
        "extensions": extensions, "actor_names": actors,
        "no_extension": blocked.get(instance_id),
        "errors": errors or {}, "values": values or {}, "notice": notice,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024), "allowed": ALLOWED_TEXT,
        "path_of": instance_path}, viewer=viewer, status=status)


@router.post("/don-vi/lich")
async def calendar_link(request: Request, viewer: ViewerDep) -> Response:
    """Issue a calendar token for the agency and show its feed's address once."""
    form = await form_of(request)
    check_csrf(request, viewer, text_of(form, "csrf"))
    directory, agency = _agency_of(viewer)
    state = state_of(request)
    with state.store.transaction() as session:
        issued = issue_token(session, role=Role.CALENDAR, directory_id=directory,
                             agency_id=agency, now=now_of(request),
                             note="lịch hạn, tạo từ trang của đơn vị")
    url = (f"{state.settings.public_url.rstrip('/')}/api/v1/agencies/{agency}/calendar.ics"
           f"?token={issued.token}")
    return _work_page(request, viewer, calendar_url=url)


def _reviews(session: Session, request: Request, viewer: Viewer, plan: str) -> bool:
    """The viewer is the agency that reviews this plan's completions (so may open the
    evidence it is asked to judge), signed in within the plan's directory."""
    caller = viewer.caller
    if caller.role is not Role.AGENCY or not caller.agency_id or not caller.directory_id:
        return False
    policy = review_policy(session, plan)
    return policy.completions_reviewed and policy.reviewer == caller.agency_id and plan in \
        state_of(request).directories.plans_in(session, caller.directory_id)


@router.get("/tep/{file_id}")
async def evidence_file(request: Request, file_id: str, viewer: ViewerDep) -> Response:
    with state_of(request).store.transaction() as session:
        row = session.get(EvidenceFileRow, file_id[:32])
        if row is None:
            raise PageError(404, "Không tìm thấy tệp", "Tệp minh chứng này không có.")
        if not _reviews(session, request, viewer, row.plan_id):
            authorize(session, request, viewer, row.instance_id)
        content, kind, name = row.content, row.content_type, row.filename
    return Response(content, media_type=kind, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


