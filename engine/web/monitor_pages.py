"""The standing unit's pages (operators) and leadership's read-only dashboard.

Operators see every plan: the dashboard, a drill-down to an agency and to a task, an
instance's history and the outbox. Leadership's page (the plan's issuer or monitor signed
in with their link, or an operator) is the same dashboard without actions, printable, with
the period reports to download (XLSX and HTML, made by engine.reports).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.api.auth import Role
from engine.core.errors import PeriodError
from engine.mail.dispatch import (
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    count_outbox,
    list_outbox,
    outbox_recipients,
)
from engine.reports.docx_document import write_docx
from engine.reports.html_page import build_html_report
from engine.reports.model import build_report
from engine.reports.xlsx import write_xlsx
from engine.store.events import NotFoundError
from engine.store.metrics import MetricRow, rollup, window
from engine.store.queries import instance_statuses, require_plan
from engine.store.tables import AgencyRow, PlanRow, TaskRow
from engine.web.agency_pages import instance_page, notice_of
from engine.web.common import (
    PageError,
    Viewer,
    ViewerDep,
    check_csrf,
    now_of,
    page,
    require_operator,
    state_of,
)
from engine.web.dashboard import Dashboard, DashboardCache, current_period
from engine.web.paging import PAGE_SIZE, choice, pager
from engine.web.signin import LINK_LIFETIME, agency_credential, make_code, sign_in_url
from engine.web.work import plan_label

router = APIRouter(include_in_schema=False)
Period = Annotated[str | None, Query(max_length=16)]
_dashboards = DashboardCache()


@router.get("/theo-doi")
async def plans_page(request: Request, viewer: ViewerDep) -> Response:
    require_operator(viewer)
    with state_of(request).store.transaction() as session:
        plans = list(session.scalars(select(PlanRow).order_by(PlanRow.year.desc(), PlanRow.id)))
        shown = [(p, plan_label(p.number, p.title)) for p in plans]
    return page("plans.html.j2", {"plans": shown}, viewer=viewer)


def _dashboard(request: Request, plan: str, period: str | None) -> tuple[Dashboard, bool]:
    now, store = now_of(request), state_of(request).store
    with store.transaction() as session:
        row = _plan(session, plan)
    label = period or current_period(row.year, now, _zone(row))
    if not label.startswith(str(row.year)):
        raise _bad_period(label, row.year)
    try:
        window(row.year, label)
        return _dashboards.get(store, plan=plan, period=label, now=now)
    except (PeriodError, ValueError):
        raise _bad_period(label, row.year) from None


def _zone(row: PlanRow) -> ZoneInfo:
    return ZoneInfo(row.timezone)


def _bad_period(label: str, year: int) -> PageError:
    return PageError(422, "Kỳ báo cáo không hợp lệ",
                     f"Kỳ «{label}» không phải kỳ báo cáo của kế hoạch năm {year}; chọn "
                     f"{year}-Q1, {year}-H1, {year}-9M, {year} hoặc một tháng ({year}-03).")


def _plan(session: Session, plan: str) -> PlanRow:
    try:
        return require_plan(session, plan)
    except NotFoundError:
        raise PageError(404, "Không tìm thấy kế hoạch", f"Không có kế hoạch mã «{plan}».") \
            from None


@router.get("/theo-doi/ke-hoach/{plan}")
async def dashboard_page(request: Request, plan: str, viewer: ViewerDep,
                         ky: Period = None) -> Response:
    require_operator(viewer)
    board, refreshing = _dashboard(request, plan, ky)
    return page("dashboard.html.j2", {"d": board, "label": plan_label(board.plan.number,
                board.plan.title), "leadership": False, "refreshing": refreshing},
                viewer=viewer)


def _may_lead(session: Session, request: Request, viewer: Viewer, plan: str) -> None:
    """Leadership's page: operators, a leadership token of the plan's directory, and the
    plan's issuer or monitor in its directory."""
    if viewer.operator:
        return
    row = _plan(session, plan)
    caller = viewer.caller
    directory = state_of(request).directories.of(session, plan)
    if caller.role is Role.LEADERSHIP and caller.directory_id == directory:
        return
    if caller.role is Role.AGENCY and caller.directory_id == directory and \
            caller.agency_id in (row.issuer, row.monitor):
        return
    raise PageError(403, "Không có quyền xem trang này",
                    "Trang điều hành của kế hoạch dành cho lãnh đạo (cơ quan ban hành) và đơn "
                    "vị theo dõi kế hoạch.")


@router.get("/lanh-dao/{plan}")
async def leadership_page(request: Request, plan: str, viewer: ViewerDep,
                          ky: Period = None) -> Response:
    with state_of(request).store.transaction() as session:
        _may_lead(session, request, viewer, plan)
    board, refreshing = _dashboard(request, plan, ky)
    return page("dashboard.html.j2", {"d": board, "label": plan_label(board.plan.number,
                board.plan.title), "leadership": True, "refreshing": refreshing},
                viewer=viewer)


# The period report's downloads: the document the standing unit sends (DOCX), the workbook
# and the self-contained page.
REPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8"}


@router.get("/lanh-dao/{plan}/bao-cao.{fmt}")
async def report_download(request: Request, plan: str, fmt: str, viewer: ViewerDep,
                          ky: Period = None) -> Response:
    if fmt not in REPORT_TYPES:
        raise PageError(404, "Không có định dạng này",
                        "Báo cáo tải về dạng DOCX, XLSX hoặc HTML.")
    with state_of(request).store.transaction() as session:
        _may_lead(session, request, viewer, plan)
        row = _plan(session, plan)
        label = ky or current_period(row.year, now_of(request), _zone(row))
        try:
            content = _report(session, plan, label, fmt)
        except (PeriodError, ValueError):
            raise _bad_period(label, row.year) from None
    name = f"bao-cao-{plan}-{label}.{fmt}"
    return Response(content, media_type=REPORT_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _report(session: Session, plan: str, label: str, fmt: str) -> bytes:
    if fmt == "html":
        return build_html_report(session, plan=plan, period=label).encode()
    report = build_report(session, plan=plan, period=label)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"report.{fmt}"
        (write_docx if fmt == "docx" else write_xlsx)(report, path)
        return path.read_bytes()


def _drill_lines(session: Session, plan: str, *, now: dt.datetime, agency: str | None = None,
                 task: str | None = None) -> list[tuple[object, str, str]]:
    tasks = {t: title for t, title in session.execute(
        select(TaskRow.id, TaskRow.title).where(TaskRow.plan_id == plan))}
    names = {a.id: a.short or a.name for a in session.scalars(
        select(AgencyRow).where(AgencyRow.plan_id == plan))}
    return [(line, tasks.get(line.task, line.task), names.get(line.agency, line.agency))
            for line in instance_statuses(session, plan=plan, as_of=now, agency=agency,
                                          task=task)]


def _figure(rows: list[MetricRow], key: str) -> MetricRow:
    return next((r for r in rows if r.key == key), MetricRow(key))


@router.get("/theo-doi/ke-hoach/{plan}/co-quan/{agency}")
async def agency_drill(request: Request, plan: str, agency: str, viewer: ViewerDep,
                       ky: Period = None, lien_ket: str | None = None) -> Response:
    require_operator(viewer)
    now = now_of(request)
    with state_of(request).store.transaction() as session:
        row = _plan(session, plan)
        return _agency_page(session, viewer, row, agency,
                            label=ky or current_period(row.year, now, _zone(row)), now=now)


@router.post("/theo-doi/ke-hoach/{plan}/co-quan/{agency}/lien-ket")
async def new_link(request: Request, plan: str, agency: str, viewer: ViewerDep) -> Response:
    """A new sign-in link for an agency (to send it when its link has expired)."""
    require_operator(viewer)
    form = await request.form(max_fields=4, max_files=0)
    check_csrf(request, viewer, str(form.get("csrf") or ""))
    state, now = state_of(request), now_of(request)
    with state.store.transaction() as session:
        row = _plan(session, plan)
        _agency_name(session, plan, agency)  # an unknown agency is a 404, before any token
        directory = state.directories.of(session, plan)
        token_id, secret = agency_credential(session, directory=directory, agency=agency,
                                             now=now)
        code = make_code(token_id, secret, purpose="link", expires=now + LINK_LIFETIME)
        return _agency_page(session, viewer, row, agency,
                            label=current_period(row.year, now, _zone(row)), now=now,
                            link=sign_in_url(state.settings.public_url, code))


def _agency_name(session: Session, plan: str, agency: str) -> str:
    name = session.scalar(select(AgencyRow.name).where(AgencyRow.plan_id == plan,
                                                       AgencyRow.id == agency))
    if name is None:
        raise PageError(404, "Không tìm thấy cơ quan",
                        f"Kế hoạch «{plan}» không có cơ quan mã «{agency}».")
    return name


def _agency_page(session: Session, viewer: Viewer, row: PlanRow, agency: str, *, label: str,
                 now: dt.datetime, link: str | None = None) -> Response:
    """An agency's drill-down: its figures for the period and its instances."""
    name = _agency_name(session, row.id, agency)
    figure = _figure(rollup(session, plan=row.id, period=label, by="agency", as_of=now),
                     agency)
    return page("drill.html.j2", {
        "plan": row, "label": plan_label(row.number, row.title), "period": label,
        "heading": f"Cơ quan: {name}", "figure": figure,
        "lines": _drill_lines(session, row.id, now=now, agency=agency), "agency": agency,
        "link": link}, viewer=viewer)


@router.get("/theo-doi/ke-hoach/{plan}/nhiem-vu/{task}")
async def task_drill(request: Request, plan: str, task: str, viewer: ViewerDep,
                     ky: Period = None) -> Response:
    require_operator(viewer)
    with state_of(request).store.transaction() as session:
        row = _plan(session, plan)
        found = session.get(TaskRow, (plan, task))
        if found is None:
            raise PageError(404, "Không tìm thấy nhiệm vụ",
                            f"Kế hoạch «{plan}» không có nhiệm vụ mã «{task}».")
        label = ky or current_period(row.year, now_of(request), _zone(row))
        figure = _figure(rollup(session, plan=plan, period=label, by="task",
                                as_of=now_of(request)), task)
        lines = _drill_lines(session, plan, now=now_of(request), task=task)
    return page("drill.html.j2", {
        "plan": row, "label": plan_label(row.number, row.title), "period": label,
        "heading": f"Nhiệm vụ: {found.title}", "figure": figure, "lines": lines,
        "agency": None, "link": None}, viewer=viewer)


@router.get("/theo-doi/viec/{instance_id}")
async def monitor_instance(request: Request, instance_id: str, viewer: ViewerDep,
                           xong: str | None = None, gia_han: str | None = None) -> Response:
    require_operator(viewer)
    return instance_page(request, viewer, instance_id, notice=notice_of(xong, gia_han))


OUTBOX = "/theo-doi/thu-di"
OUTBOX_STATES = {QUEUED: "chờ gửi", SENDING: "đang gửi", SENT: "đã gửi",
                 FAILED: "lỗi, không gửi được"}


@router.get(OUTBOX)
async def outbox_page(request: Request, viewer: ViewerDep) -> Response:
    """The outbox, newest first, 50 a page; ?trang-thai=STATE, ?co-quan=RECIPIENT, ?trang=N."""
    require_operator(viewer)
    query = request.query_params
    with state_of(request).store.transaction() as session:
        recipients = outbox_recipients(session)
        status = choice(query, "trang-thai", OUTBOX_STATES, "Chọn một tình trạng: " + ", ".join(
            f"«{k}» ({v})" for k, v in OUTBOX_STATES.items()) + ".")
        recipient = choice(query, "co-quan", recipients, "Chọn một cơ quan đã nhận thư.")
        total = count_outbox(session, status=status, recipient=recipient)
        pg = pager(query, path=OUTBOX, total=total,
                   kept={"trang-thai": status, "co-quan": recipient})
        entries = list_outbox(session, status=status, recipient=recipient, newest_first=True,
                              offset=pg.offset, limit=PAGE_SIZE)
    return page("outbox.html.j2", {
        "entries": entries, "count": total, "status": status, "recipient": recipient,
        "recipients": recipients, "states": OUTBOX_STATES, "pg": pg}, viewer=viewer)
