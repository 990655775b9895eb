"""Sign-in and sign-out: an agency's link from a digest, an operator's token form."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from engine.api.auth import Caller, Role, authenticate
from engine.api.errors import UnauthenticatedError
from engine.store.tables import PlanRow
from engine.web.common import (
    LOCAL,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignInRequired,
    ViewerDep,
    check_csrf,
    current_viewer,
    now_of,
    page,
    state_of,
)
from engine.web.signin import (
    LEADERSHIP_HOME,
    SESSION_LIFETIME,
    SignInError,
    make_code,
    read_code,
)
from engine.web.work import plan_label

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or \
        state_of(request).settings.public_url.startswith("https://")


def home_of(caller: Caller) -> str:
    if caller.role is Role.LEADERSHIP:
        return LEADERSHIP_HOME
    return "/theo-doi" if caller.role is Role.OPERATOR else "/don-vi"


def _safe_next(path: str | None) -> str | None:
    """A path of this site to go on to: never another site (no scheme, no //host, no
    backslash, which browsers read as a slash, nor a control character)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return None
    return path


def _signed_in(request: Request, caller: Caller, then: str) -> Response:
    expires = now_of(request) + SESSION_LIFETIME
    code = make_code(caller.token_id, caller.signing_secret, purpose="session", expires=expires)
    response = RedirectResponse(then, status_code=303)
    response.set_cookie(SESSION_COOKIE, code, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dang-nhap")
    return response


@router.get("/")
async def root(request: Request) -> Response:
    try:
        viewer = current_viewer(request)
    except SignInRequired:
        return RedirectResponse("/dang-nhap", status_code=303)
    return RedirectResponse(home_of(viewer.caller), status_code=303)


@router.get("/dang-nhap")
async def sign_in_page(request: Request, ma: Annotated[str | None, Query(max_length=200)] = None,
                       tiep: Annotated[str | None, Query(max_length=400)] = None) -> Response:
    if ma is None:
        return _token_form(request, then=_safe_next(tiep))
    now = now_of(request)
    try:
        with state_of(request).store.transaction() as session:
            caller = read_code(session, ma, purpose="link", now=now)
    except SignInError as exc:
        return _link_refused(exc)
    return _signed_in(request, caller, _safe_next(tiep) or home_of(caller))


def _link_refused(exc: SignInError) -> Response:
    if exc.reason == "expired":
        when = f" ngày {exc.expired_at.astimezone(LOCAL):%d/%m/%Y}" if exc.expired_at else ""
        return page("link_expired.html.j2", {"when": when}, status=410)
    if exc.reason == "revoked":
        return page("error.html.j2", {
            "title": "Liên kết đã bị thu hồi",
            "message": "Mã truy cập mà liên kết này gắn với đã bị thu hồi, nên liên kết không "
                       "còn dùng được. Liên hệ đơn vị theo dõi kế hoạch để được cấp liên kết "
                       "mới."}, status=403)
    return page("error.html.j2", {
        "title": "Liên kết không hợp lệ",
        "message": "Liên kết đăng nhập không đúng (có thể bị cắt mất một phần khi sao chép). "
                   "Mở lại liên kết trong thư, hoặc liên hệ đơn vị theo dõi kế hoạch."},
        status=403)


def _token_form(request: Request, *, error: str | None = None, status: int = 200,
                then: str | None = None) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_hex(16)
    response = page("signin.html.j2", {"csrf": csrf, "error": error, "then": then or ""},
                    status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=_secure(request), path="/dang-nhap")
    return response


@router.post("/dang-nhap")
async def sign_in_with_token(request: Request, token: Annotated[str, Form(max_length=200)] = "",
                             csrf: Annotated[str, Form(max_length=100)] = "",
                             tiep: Annotated[str, Form(max_length=400)] = "") -> Response:
    then = _safe_next(tiep)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf):
        return _token_form(request, status=403, then=then, error="Biểu mẫu đã cũ hoặc không "
                           "gửi từ trang này (mã chống giả mạo không khớp). Nhập lại token rồi "
                           "gửi.")
    if not token.strip():
        return _token_form(request, status=422, then=then, error="Nhập token được cấp.")
    try:
        with state_of(request).store.transaction() as session:
            caller = authenticate(session, token.strip())
    except UnauthenticatedError as exc:
        return _token_form(request, status=401, then=then, error=exc.detail)
    if caller.role is Role.CALENDAR:
        return _token_form(request, status=403, then=then, error="Token lịch chỉ dùng để đọc "
                           "lịch hạn; đăng nhập bằng token điều hành, token lãnh đạo hoặc token "
                           "của đơn vị.")
    return _signed_in(request, caller, then or home_of(caller))


@router.post("/dang-xuat")
async def sign_out(request: Request, viewer: ViewerDep,
                   csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, viewer, csrf)
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get(LEADERSHIP_HOME)
async def leadership_home(request: Request, viewer: ViewerDep) -> Response:
    """Leadership's landing page: its directory's plans, each with its dashboard (one plan:
    straight to it). Operators see every plan on /theo-doi."""
    if viewer.operator:
        return RedirectResponse("/theo-doi", status_code=303)
    caller, state = viewer.caller, state_of(request)
    if caller.role is not Role.LEADERSHIP or not caller.directory_id:
        return RedirectResponse(home_of(caller), status_code=303)
    with state.store.transaction() as session:
        plans = state.directories.plans_in(session, caller.directory_id)
        rows = list(session.scalars(select(PlanRow).where(PlanRow.id.in_(plans))
                                    .order_by(PlanRow.year.desc(), PlanRow.id)))
        shown = [(p, plan_label(p.number, p.title)) for p in rows]
    if len(shown) == 1:
        return RedirectResponse(f"{LEADERSHIP_HOME}/{shown[0][0].id}", status_code=303)
    return page("leadership_home.html.j2", {"plans": shown}, viewer=viewer)
