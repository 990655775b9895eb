"""Mount the web pages, their static files and an offline /docs on the API's FastAPI app."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from engine.web import agency_pages, monitor_pages, review_pages, session_pages
from engine.web.common import PageError, SignInRequired, error_page, page

STATIC = "/tep-tinh"  # the pages' own CSS and script
SWAGGER = "/docs-assets"
# Paths that belong to the API and its documentation: their errors stay problem+json.
API_PATHS = ("/api/", "/health", "/openapi.json", "/docs", SWAGGER)
BROWSER_ERRORS = {
    404: ("Không tìm thấy trang",
          "Không có trang nào ở địa chỉ này. Kiểm tra lại địa chỉ, hoặc về trang đầu để chọn "
          "trang cần xem."),
    405: ("Không thực hiện được yêu cầu",
          "Trang này không nhận cách gửi yêu cầu vừa dùng. Mở lại trang từ liên kết hoặc nút "
          "trên trang rồi thử lại."),
}


def install_web(app: FastAPI) -> None:
    """Add the pages to `app` (built by engine.api.app.create_app with docs_url=None)."""
    app.mount(STATIC, StaticFiles(directory=str(files("engine.web") / "static")),
              name="web-static")
    app.mount(SWAGGER, StaticFiles(directory=str(files("fastapi_offline") / "static")),
              name="swagger-static")
    for module in (session_pages, agency_pages, monitor_pages, review_pages):
        app.include_router(module.router)

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title=f"{app.title} — tài liệu",
                                   swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                                   swagger_favicon_url=f"{STATIC}/favicon.svg")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)

    async def on_page_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(exc)

    async def on_sign_in_required(request: Request, _exc: Exception) -> Response:
        then = request.url.path if request.method == "GET" else ""
        target = "/dang-nhap" + (f"?tiep={then}" if then and then != "/" else "")
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(SignInRequired, on_sign_in_required)


def browser_error(request: Request, *, status: int, title: str, detail: str,
                  headers: dict[str, str]) -> Response | None:
    """The pages' Vietnamese error page for an error answering a browser (its Accept names
    text/html) outside the API's paths; None for API clients, which get problem+json."""
    path = request.url.path
    if "text/html" not in request.headers.get("accept", "") or path.startswith(API_PATHS):
        return None
    title, message = BROWSER_ERRORS.get(status, (title, detail))
    answer = page("error.html.j2", {"title": title, "message": message}, status=status)
    answer.headers.update(headers)
    return answer
