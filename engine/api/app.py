"""The webhook API app: built by `create_app` (nothing connects at import), run by `run_api`."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from engine.api.auth import Refusal, record_refusal
from engine.api.errors import PROBLEM_MEDIA_TYPE, problem_for
from engine.api.review_routes import review_router
from engine.api.routes import ApiState, health_router, router
from engine.api.wal import start_checkpoints
from engine.core.errors import KehoachError
from engine.settings import Settings
from engine.store.database import Store, open_store
from engine.web.common import PageClock
from engine.web.install import browser_error, install_web

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
        checkpoints = None
        if owned:
            state.attach(open_store(state.settings))
            checkpoints = start_checkpoints(state.store.engine)
        try:
            yield
        finally:
            if checkpoints is not None:
                checkpoints.stop()
            if owned:
                state.store.close()

    app = FastAPI(title="kehoach webhook API", version="1.0", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None)  # /docs: engine.web, offline
    app.state.kehoach = state
    app.include_router(router)
    app.include_router(review_router)
    app.include_router(health_router)
    install_web(app)  # the web pages (engine.web), on the same state and database
    app.add_middleware(PageClock, clock=state.clock)  # the pages' simulated-clock banner

    async def on_error(request: Request, exc: Exception) -> Response:
        return _problem_response(state, request, exc)

    for cls in (KehoachError, RequestValidationError, StarletteHTTPException, ClientDisconnect,
                Exception):
        app.add_exception_handler(cls, on_error)
    return app


def _problem_response(state: ApiState, request: Request, exc: Exception) -> Response:
    """The problem+json answer to `exc` (to a browser outside the API's paths, the pages'
    error page); a refusal goes to the security log, a bug to the log."""
    if isinstance(exc, ClientDisconnect):  # nobody to answer; nothing was changed
        return Response(status_code=400)
    problem = problem_for(exc)
    method, path = request.method, request.url.path
    if problem.status >= 500:
        log.error("bug answering %s %s", method, path, exc_info=exc)
    elif problem.status in REFUSALS:
        client = request.client
        _log_refusal(state, Refusal(at=state.clock.now(), status=problem.status,
                                    reason=problem.kind, method=method, path=path,
                                    source_address=client.host if client else None,
                                    caller=getattr(request.state, "caller", None)))
    html = browser_error(request, status=problem.status, title=problem.title,
                         detail=problem.detail, headers=problem.headers)
    if html is not None:
        return html
    body = json.dumps(problem.to_json(path), ensure_ascii=False).encode()
    return Response(body, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=problem.headers)


def _log_refusal(state: ApiState, refusal: Refusal) -> None:
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
    process builds its own app through the import string `engine.api.app:create_app`, reading
    the settings from the environment (this function exports the given ones there).
    """
    settings = settings or Settings()
    open_store(settings).close()
    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config())
        return
    _export(settings)
    uvicorn.run("engine.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=log_config())


_TOKEN_IN_QUERY = re.compile(r"((?:^|[?&])token=)[^&\s]*")


class RedactTokens(logging.Filter):
    """Access-log lines with the value of a `token` query parameter masked.

    Calendar apps cannot send headers, so the calendar feed takes its (read-only) token in
    the URL; the access log must not hand it to whoever reads the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and "token=" in args[2]:
            record.args = (*args[:2], _TOKEN_IN_QUERY.sub(r"\1***", args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, its access log passed through RedactTokens (by
    import path, so that every worker process applies it)."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": "engine.api.app.RedactTokens"}
    config["handlers"]["access"]["filters"] = ["redact_tokens"]
    return config


def _export(settings: Settings) -> None:
    for name, value in settings.model_dump().items():
        if isinstance(value, dt.datetime):  # the app clock's start (each worker's clock
            value = value.isoformat()       # starts with its process: seconds apart)
        if isinstance(value, str | int | Path) and not isinstance(value, bool):
            os.environ[f"KEHOACH_{name.upper()}"] = str(value)
