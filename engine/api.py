"""The webhook API app: built by `create_app` (nothing connects at import), run by `run_api`."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.api_errors import PROBLEM_MEDIA_TYPE, problem_for
from engine.api_routes import ApiState, health_router, router
from engine.auth import Refusal, record_refusal
from engine.errors import KehoachError
from engine.settings import Settings
from engine.store import Store, open_store, utc_now

log = logging.getLogger(__name__)
# Refused attempts that go to the security log (404 and 405 are ordinary misses).
REFUSALS = frozenset({401, 403, 409, 413, 415, 422})
DESCRIPTION = """Các cơ quan báo hoàn thành và tiến độ nhiệm vụ của kế hoạch.

Xác thực: `Authorization: Bearer <token>` (token cấp bằng `kehoach token create`). Chữ ký
tùy chọn (bắt buộc nếu cơ quan được đặt như vậy): `Kehoach-Signature: t=<giây Unix>,v1=<hex>`
với hex = HMAC-SHA256(khóa ký, "<t>." + nội dung). `Idempotency-Key` làm cho việc gửi lại
trả về đúng câu trả lời đầu tiên và không thay đổi gì thêm. Lỗi theo RFC 9457
(application/problem+json)."""


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the API app; the store is opened when the app starts unless one is given.

    Args:
        settings: where the database is and the body size limit; default from the environment.
        store: an open store to use (tests); the app then does not close it.
    """
    state = ApiState(settings or Settings(), store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        owned = state.store_or_none() is None
        if owned:
            state.attach(open_store(state.settings))
        try:
            yield
        finally:
            if owned:
                state.store.close()

    app = FastAPI(title="kehoach webhook API", version="1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.kehoach = state
    app.include_router(router)
    app.include_router(health_router)

    async def on_error(request: Request, exc: Exception) -> Response:
        return _problem_response(state, request, exc)

    for cls in (KehoachError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(cls, on_error)
    return app


def _problem_response(state: ApiState, request: Request, exc: Exception) -> Response:
    problem = problem_for(exc)
    if problem.status >= 500:
        log.error("bug answering %s %s", request.method, request.url.path, exc_info=exc)
    elif problem.status in REFUSALS:
        _log_refusal(state, request, problem.status, problem.kind)
    body = json.dumps(problem.to_json(request.url.path), ensure_ascii=False)
    return Response(body, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=problem.headers)


def _log_refusal(state: ApiState, request: Request, status: int, reason: str) -> None:
    refusal = Refusal(at=utc_now(), status=status, reason=reason, method=request.method,
                      path=request.url.path,
                      source_address=request.client.host if request.client else None,
                      caller=getattr(request.state, "caller", None))
    try:
        with state.store.transaction() as session:
            record_refusal(session, refusal)
    except SQLAlchemyError:
        log.exception("could not store the security event for %s %s", refusal.method,
                      refusal.path)


def run_api(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
            settings: Settings | None = None) -> None:
    """Serve the API with uvicorn until interrupted.

    The schema is migrated once here, before any worker starts. With several workers each
    process builds its own app through the import string `engine.api:create_app`, reading
    the settings from the environment (this function exports the given ones there).
    """
    settings = settings or Settings()
    open_store(settings).close()
    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port)
        return
    _export(settings)
    uvicorn.run("engine.api:create_app", factory=True, host=host, port=port, workers=workers)


def _export(settings: Settings) -> None:
    for name, value in settings.model_dump().items():
        if isinstance(value, str | int | Path) and not isinstance(value, bool):
            os.environ[f"KEHOACH_{name.upper()}"] = str(value)
