"""Sign-in and sign-out: an agency's link from a digest, an operator's token form."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from engine.api.auth import Caller, Role, authenticate
from engine.api.errors import UnauthenticatedError
from engine.store.database import utc_now
from engine.web.common import (
    LOCAL,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignInRequired,
    ViewerDep,
    check_csrf,
    current_viewer,
    page,
    state_of,
)
from engine.web.signin import SESSION_LIFETIME, SignInError, make_code, read_code

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or \
        state_of(request).settings.public_url.startswith("https://")


def home_of(caller: Caller) -> str:
    return "/theo-doi" if caller.role is Role.OPERATOR else "/don-vi"


def _safe_next(path: str | None) -> str | None:
    """A local path to go on to (never another site: no scheme, no //host)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def _signed_in(request: Request, caller: Caller, then: str) -> Response:
    expires = utc_now() + SESSION_LIFETIME
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
        return _token_form(request)
    now = utc_now()
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


def _token_form(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_hex(16)
    response = page("signin.html.j2", {"csrf": csrf, "error": error}, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=_secure(request), path="/dang-nhap")
    return response


@router.post("/dang-nhap")
async def sign_in_with_token(request: Request, token: Annotated[str, Form(max_length=200)] = "",
                             csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf):
        return _token_form(request, status=403, error="Biểu mẫu đã cũ hoặc không gửi từ trang "
                           "này (mã chống giả mạo không khớp). Nhập lại token rồi gửi.")
    if not token.strip():
        return _token_form(request, status=422, error="Nhập token được cấp.")
    try:
        with state_of(request).store.transaction() as session:
            caller = authenticate(session, token.strip())
    except UnauthenticatedError as exc:
        return _token_form(request, status=401, error=exc.detail)
    if caller.role is Role.CALENDAR:
        return _token_form(request, status=403, error="Token lịch chỉ dùng để đọc lịch hạn; "
                           "đăng nhập bằng token điều hành hoặc token của đơn vị.")
    return _signed_in(request, caller, home_of(caller))


@router.post("/dang-xuat")
async def sign_out(request: Request, viewer: ViewerDep,
                   csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, viewer, csrf)
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
