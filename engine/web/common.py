"""What every page needs: templates, the signed-in viewer, CSRF checks, HTML error pages."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.api.auth import Caller, Role
from engine.api.clock import AppClock
from engine.api.routes import ApiState
from engine.core.errors import KehoachError
from engine.core.status import STATUS_LABELS_VI, Status
from engine.reports.vietnamese import format_number, period_title
from engine.store.tables import AgencyRow
from engine.web.signin import LEADERSHIP_HOME, SignInError, csrf_matches, csrf_token, read_code

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SESSION_COOKIE = "kehoach_phien"
LOGIN_CSRF_COOKIE = "kehoach_csrf"
STATUS_CLASSES = {Status.DONE_ON_TIME: "done", Status.DONE_LATE: "late-done",
                  Status.ON_TRACK: "on-track", Status.OVERDUE: "overdue",
                  Status.WAIVED: "waived"}


class PageError(KehoachError):
    """A request a page refuses: shown as an HTML page with a Vietnamese message."""

    def __init__(self, status: int, title: str, message: str) -> None:
        self.status = status
        self.title = title
        self.message = message
        super().__init__(f"{status} {title}: {message}")


class SignInRequired(KehoachError):
    """No (valid) session: the browser is sent to the sign-in page."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of a request: the token's caller and the session's CSRF token."""

    caller: Caller
    csrf: str

    @property
    def operator(self) -> bool:
        return self.caller.role is Role.OPERATOR

    @property
    def leadership(self) -> bool:
        return self.caller.role is Role.LEADERSHIP


def vn_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return "—"
    if isinstance(day, dt.datetime):
        return day.astimezone(LOCAL).strftime("%d/%m/%Y")
    return day.strftime("%d/%m/%Y")


def vn_time(at: dt.datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%H:%M %d/%m/%Y") if at else "—"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def file_size(size: int) -> str:
    return f"{size / 1024:.1f} KB".replace(".", ",") if size < 1024 * 1024 else \
        f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("engine.web", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(vndate=vn_date, vntime=vn_time, pct=percent, size=file_size,
                       num=format_number, period=period_title)
    env.globals.update(labels=STATUS_LABELS_VI, statuses=list(Status),
                       status_class=STATUS_CLASSES)
    return env


# The clock of the app serving the request (set by PageClock), for the simulated-clock banner.
_PAGE_CLOCK: ContextVar[AppClock | None] = ContextVar("kehoach_page_clock", default=None)


class PageClock:
    """ASGI middleware: the pages rendered during a request know the app's clock."""

    def __init__(self, app: ASGIApp, clock: AppClock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _PAGE_CLOCK.set(self.clock)
        try:
            await self.app(scope, receive, send)
        finally:
            _PAGE_CLOCK.reset(token)


def clock_banner() -> str | None:
    """The warning every page shows while the app runs on a simulated clock."""
    clock = _PAGE_CLOCK.get()
    if clock is None or not clock.simulated:
        return None
    now = clock.now().astimezone(LOCAL)
    return (f"Đồng hồ mô phỏng: số liệu tính đến ngày {now:%d/%m/%Y} ({now:%H:%M}), không "
            "phải hôm nay. Hạn, quá hạn và thời điểm ghi nhận đều theo ngày này.")


def page(name: str, context: dict[str, Any], *, status: int = 200,
         viewer: Viewer | None = None) -> HTMLResponse:
    """A template rendered as an HTML response (never cached: it shows live state)."""
    html = environment().get_template(name).render(
        {"viewer": viewer, "clock_banner": clock_banner(), **context})
    return HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        "Referrer-Policy": "same-origin"})


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.kehoach
    return state


def now_of(request: Request) -> dt.datetime:
    """"Now" for a page: the app's clock (engine.api.clock), simulated or real."""
    return state_of(request).clock.now()


def current_viewer(request: Request) -> Viewer:
    """The viewer of a session cookie; SignInRequired if none or no longer valid."""
    code = request.cookies.get(SESSION_COOKIE)
    if not code:
        raise SignInRequired()
    with state_of(request).store.engine.connect() as connection:
        try:
            caller = read_code(connection, code, purpose="session", now=now_of(request))
        except SignInError:
            raise SignInRequired() from None
    request.state.caller = caller
    if caller.role is Role.LEADERSHIP and not _leadership_may(request):
        raise PageError(403, "Không có quyền với trang này",
                        "Tài khoản lãnh đạo chỉ xem bảng điều hành của các kế hoạch và tải báo "
                        f"cáo kỳ (trang {LEADERSHIP_HOME}); không gửi biểu mẫu, không xem việc "
                        "của đơn vị, hàng chờ xem xét hay thư đã gửi.")
    return Viewer(caller, csrf_token(caller, code))


def _leadership_may(request: Request) -> bool:
    """A leadership session reads its dashboards (GET) and may sign out; nothing else."""
    path = request.url.path
    if request.method not in ("GET", "HEAD"):
        return path == "/dang-xuat"
    return path in ("/", LEADERSHIP_HOME) or path.startswith(LEADERSHIP_HOME + "/")


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def check_csrf(request: Request, viewer: Viewer, given: str | None) -> None:
    """Refuse a form not served to this session (forged on another site, or stale)."""
    code = request.cookies.get(SESSION_COOKIE, "")
    if not csrf_matches(viewer.caller, code, given):
        raise PageError(403, "Biểu mẫu không hợp lệ",
                        "Biểu mẫu này đã cũ hoặc không được gửi từ trang của hệ thống (mã "
                        "chống giả mạo không khớp). Tải lại trang rồi gửi lại; không có gì "
                        "được ghi nhận.")


def require_operator(viewer: Viewer) -> None:
    if not viewer.operator:
        raise PageError(403, "Không có quyền xem trang này",
                        "Trang này dành cho đơn vị theo dõi kế hoạch (đăng nhập bằng token "
                        "điều hành). Trang của đơn vị bạn: /don-vi.")


def error_page(exc: PageError) -> Response:
    return page("error.html.j2", {"title": exc.title, "message": exc.message},
                status=exc.status)


def agency_names(session: Session, plan: str) -> dict[str, str]:
    """The plan's agencies, id -> name, for pages that show who did something."""
    rows = session.execute(select(AgencyRow.id, AgencyRow.name).where(AgencyRow.plan_id == plan))
    return {agency: name for agency, name in rows}
