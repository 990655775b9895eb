"""Deliveries (the POST routes that report work, and /noop) answered straight from ASGI.

Deliveries are nearly all of the API's traffic, and FastAPI's routing, dependency injection
and request objects cost more than the work of a completion itself (bench/webhook.py).
`DeliveryRoutes`, a plain ASGI middleware, answers them from the scope; FastAPI still declares
the routes (OpenAPI, /docs), and its endpoints call the same `answer`, so a delivery behaves
the same whichever way it arrives. The checks come in the order FastAPI's dependencies gave:
token (401); headers (422); body size and type (413, 415); signature (403); path parameters
(422, only the keyed route has constrained ones); body (422); then the change in one
transaction (403 not the lead, 404, 409), at most once per Idempotency-Key. Refusals are
answered and logged like any other error of the app (`problem_reply`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.api import service as service
from engine.api.auth import (
    SIGNATURE_HEADER,
    Caller,
    DeliveryInFlight,
    Refusal,
    StoredResponse,
    authenticate_fast,
    claim_key,
    find_response,
    fingerprint,
    record_refusal,
    remember_signature,
    store_response,
    verify_signature,
)
from engine.api.errors import (
    PROBLEM_MEDIA_TYPE,
    ConflictError,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaError,
    describe_errors,
    problem_for,
)
from engine.api.models import (
    CompletionCreate,
    KeyedCompletionCreate,
    NoopPublic,
    ProgressCreate,
    Slug,
)
from engine.store.database import utc_now
from engine.store.driver import Cursor

if TYPE_CHECKING:
    import datetime as dt

    from engine.api.routes import ApiState

B = TypeVar("B", bound=BaseModel)
T = TypeVar("T")
log = logging.getLogger(__name__)
JSON = "application/json"
# Refused attempts that go to the security log (404 and 405 are ordinary misses).
REFUSALS = frozenset({401, 403, 409, 413, 415, 422})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Header values are checked as FastAPI checked the declared parameters (same error shapes).
_KEY = TypeAdapter(Annotated[str, StringConstraints(min_length=1, max_length=255)])
_SIGNATURE = TypeAdapter(Annotated[str, StringConstraints(max_length=1000)])
_SLUG: TypeAdapter[str] = TypeAdapter(Slug)
_WANTED = {b"authorization": "authorization", b"content-length": "content-length",
           b"content-type": "content-type", b"idempotency-key": "idempotency-key",
           b"kehoach-signature": "kehoach-signature"}
# Below SQLAlchemy's default pool (5 + 10 overflow): a thread never waits for a connection.
DATABASE_THREADS = 10
_INSTANCES = "/api/v1/instances/"
_PLANS = "/api/v1/plans/"
NOOP_PATH = "/api/v1/noop"
# The route templates FastAPI declares for the deliveries, and the kinds `match` names.
ROUTE_KINDS = {NOOP_PATH: "noop", _INSTANCES + "{instance_id}/complete": "complete",
               _INSTANCES + "{instance_id}/progress": "progress",
               _PLANS + "{plan}/tasks/{task}/complete": "keyed"}


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole answer: status, body, media type and extra headers."""

    status: int
    body: bytes
    media_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    # SQLite: the group commit to await before answering (engine.store.driver.Connections.grouped)
    committed: asyncio.Future[None] | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """An authenticated request that carries a body: checked for size, type and signature."""

    caller: Caller
    body: bytes
    signature: str | None
    idempotency_key: str | None
    fingerprint: str
    now: dt.datetime


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(route kind, path parameters) of a delivery, or None for any other request."""
    if method != "POST":
        return None
    if path == NOOP_PATH:
        return "noop", {}
    if path.startswith(_INSTANCES):
        rest = path[len(_INSTANCES):]
        for kind in ("complete", "progress"):
            if rest.endswith("/" + kind):
                instance_id = rest[:-len(kind) - 1]
                if instance_id and "/" not in instance_id:
                    return kind, {"instance_id": instance_id}
        return None
    if path.startswith(_PLANS) and path.endswith("/complete"):
        parts = path[len(_PLANS):-len("/complete")].split("/")
        if len(parts) == 3 and parts[1] == "tasks" and parts[0] and parts[2]:
            return "keyed", {"plan": parts[0], "task": parts[2]}
    return None


class DeliveryRoutes:
    """ASGI middleware: answers deliveries itself, passes everything else to the app."""

    def __init__(self, app: ASGIApp, *, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (match(scope["method"], scope["path"])
                 if scope["type"] == "http" and not scope.get("root_path") else None)
        if found is None:
            await self.app(scope, receive, send)
            return
        try:
            reply = await answer(self.state, scope, receive, *found)
        except ClientDisconnect:
            return  # nobody to answer; nothing was changed
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        headers += [(b"content-length", str(len(reply.body)).encode()),
                    (b"content-type", reply.media_type.encode())]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})


async def answer(state: ApiState, scope: Scope, receive: Receive, kind: str,
                 params: dict[str, str]) -> Reply:
    """The answer to one delivery (`kind` as `match` names it); only ClientDisconnect escapes.

    On SQLite the database work runs on the event loop, one request after another (writers
    queue for one lock anyway, and threads would busy-wait for it). On PostgreSQL it runs in
    worker threads, at most `DATABASE_THREADS` at once per process, so that one request's
    commit (a disk flush, milliseconds) does not hold up the others: their commits overlap.
    """
    run = _inline if state.store.dialect == "sqlite" else _in_thread
    caller: Caller | None = None
    path = url_path(scope)
    try:
        headers = _headers(scope)
        caller = await run(authenticate_fast, state.store.connections,
                           _bearer(headers.get("authorization")))
        key = headers.get("idempotency-key")
        signature = headers.get("kehoach-signature")
        errors = _header_errors(key, signature)
        if errors:
            raise _invalid_request(errors + _path_errors(kind, params))
        body = await read_body(receive, headers, limit=state.settings.api_body_limit)
        reply = await run(_finish, state, caller, kind, params, path, key, signature, body)
        if reply.committed is not None:
            await reply.committed  # a change is answered once it is durable
        return reply
    except ClientDisconnect:
        raise
    except Exception as exc:  # every error is answered as a problem document
        return await run(problem_reply, state, exc, scope["method"], path, scope.get("client"),
                         caller)


def _finish(state: ApiState, caller: Caller, kind: str, params: dict[str, str], path: str,
            key: str | None, signature: str | None, body: bytes) -> Reply:
    """The rest of `answer` once the body is read: signature, path parameters, the change."""
    now = utc_now()
    delivery = Delivery(caller, body, verify_signature(caller, signature, body, now=now),
                        key, fingerprint("POST", path, body), now)
    errors = _path_errors(kind, params)
    if errors:
        raise _invalid_request(errors)
    return _deliver(state, delivery, kind, params)


async def _inline(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


_threads: dict[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = {}


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    loop = asyncio.get_running_loop()
    limiter = _threads.get(loop)
    if limiter is None:  # one per event loop (per worker process; tests run several)
        limiter = _threads[loop] = anyio.CapacityLimiter(DATABASE_THREADS)
    return await anyio.to_thread.run_sync(function, *args, limiter=limiter)


def _deliver(state: ApiState, d: Delivery, kind: str, params: dict[str, str]) -> Reply:
    if kind == "noop":
        parse_body(CompletionCreate, d.body)
        return Reply(200, NoopPublic(ok=True, actor=d.caller.actor).model_dump_json().encode())
    if kind == "keyed":
        keyed = parse_body(KeyedCompletionCreate, d.body)
        return apply_change(state, d, lambda cursor: service.complete_by_key(
            cursor, d.caller, state.directories, plan=params["plan"], task=params["task"],
            body=keyed, now=d.now))
    body = parse_body(ProgressCreate if kind == "progress" else CompletionCreate, d.body)
    instance_id = params["instance_id"]

    def work(cursor: Cursor) -> BaseModel:
        service.authorize_instance(cursor, d.caller, state.directories, instance_id)
        return service.record_work(cursor, d.caller, instance_id, body, now=d.now)
    return apply_change(state, d, work)


def url_path(scope: Scope) -> str:
    """What Starlette's `request.url.path` gives (it escapes ?, # and \\, drops controls)."""
    path: str = scope["path"]
    if path.isprintable() and "?" not in path and "#" not in path and "\\" not in path:
        return path
    return URL(scope=scope).path


def _headers(scope: Scope) -> dict[str, str]:
    """The headers a delivery reads, each its first value (as Starlette's Headers.get)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        wanted = _WANTED.get(name)
        if wanted is not None and wanted not in found:
            found[wanted] = value.decode("latin-1")
    return found


def _bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer` header (as FastAPI's HTTPBearer reads it)."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if not (scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


def _header_errors(key: str | None, signature: str | None) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for value, adapter, name in ((key, _KEY, IDEMPOTENCY_HEADER),
                                 (signature, _SIGNATURE, SIGNATURE_HEADER)):
        if value is not None:
            errors += _errors(adapter, value, ("header", name))
    return errors


def _path_errors(kind: str, params: dict[str, str]) -> list[dict[str, Any]]:
    if kind != "keyed":
        return []
    return [e for name in ("plan", "task") for e in _errors(_SLUG, params[name], ("path", name))]


def _errors(adapter: TypeAdapter[str], value: str, loc: tuple[str, str]) -> list[dict[str, Any]]:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return [{**e, "loc": loc} for e in exc.errors()]
    return []


def _invalid_request(errors: list[dict[str, Any]]) -> RequestValidationError:
    return RequestValidationError(errors)


async def read_body(receive: Receive, headers: dict[str, str], *, limit: int) -> bytes:
    """The body, refused when over `limit` bytes (declared or streamed) or not JSON."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if body and not (media == JSON or (media.startswith("application/") and
                                       media.endswith("+json"))):
        raise UnsupportedMediaError("not-json", f"Nội dung phải là JSON với header "
                                    f"'Content-Type: {JSON}' (nhận được "
                                    f"'{media or 'không có'}').")
    return body


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError("body-too-large", f"Nội dung yêu cầu vượt quá giới hạn {limit} "
                                "byte. Rút gọn ghi chú; đính kèm minh chứng bằng đường dẫn "
                                "(evidence_url) thay vì nội dung.")


def parse_body(model: type[B], body: bytes) -> B:
    """The body as `model`; an empty body means `{}` (422 if that is not enough)."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise InvalidInputError("invalid-body", "Nội dung JSON không hợp lệ; xem danh sách "
                                "'errors' để biết trường nào sai.",
                                errors=describe_errors(exc.errors())) from None


def apply_change(state: ApiState, d: Delivery, action: Callable[[Cursor], BaseModel]) -> Reply:
    """Run `action` in one transaction, exactly once per Idempotency-Key.

    The transaction runs on the bare driver (engine.store.driver): its few short statements are
    most of the API's traffic, and SQLAlchemy's per-statement machinery cost more than them.
    On SQLite (run on the event loop, see `answer`) the deliveries of one loop turn share a
    commit: the reply carries it, and `answer` awaits it before answering.
    """
    connections = state.store.connections
    grouped = state.store.dialect == "sqlite"
    try:
        with connections.grouped() if grouped else connections.transaction() as cursor:
            reply = _change(cursor, d, action)
    except DeliveryInFlight:
        assert d.idempotency_key is not None
        with connections.reading() as cursor:
            stored = find_response(cursor, d.caller, d.idempotency_key, d.fingerprint)
        if stored is None:  # the other delivery failed and changed nothing: let the client retry
            raise ConflictError("idempotency-in-flight", "Một yêu cầu khác với cùng "
                                "Idempotency-Key đang được xử lý; gửi lại sau giây lát.") from None
        return _replay(stored)
    # A replayed answer may come from a delivery earlier in the same group: awaited as well.
    return dataclasses.replace(reply, committed=connections.committed()) if grouped else reply


def _change(cursor: Cursor, d: Delivery, action: Callable[[Cursor], BaseModel]) -> Reply:
    key = d.idempotency_key
    if key is not None:
        stored = find_response(cursor, d.caller, key, d.fingerprint)
        if stored is not None:
            return _replay(stored)
        claim_key(cursor, d.caller, key, d.fingerprint, now=d.now)
    if d.signature is not None:
        remember_signature(cursor, d.caller, d.signature, now=d.now)
    text = action(cursor).model_dump_json()
    if key is not None:
        store_response(cursor, d.caller, key, status=200, body=text)
    return Reply(200, text.encode())


def _replay(stored: StoredResponse) -> Reply:
    return Reply(stored.status, stored.body.encode(), headers=(("Idempotent-Replayed", "true"),))


def problem_reply(state: ApiState, exc: Exception, method: str, path: str, client: Any,
                  caller: Caller | None) -> Reply:
    """The problem+json answer to `exc`; a refusal goes to the security log, a bug to the log."""
    problem = problem_for(exc)
    if problem.status >= 500:
        log.error("bug answering %s %s", method, path, exc_info=exc)
    elif problem.status in REFUSALS:
        _log_refusal(state, Refusal(at=utc_now(), status=problem.status, reason=problem.kind,
                                    method=method, path=path,
                                    source_address=client[0] if client else None,
                                    caller=caller))
    body = json.dumps(problem.to_json(path), ensure_ascii=False).encode()
    return Reply(problem.status, body, PROBLEM_MEDIA_TYPE, tuple(problem.headers.items()))


def _log_refusal(state: ApiState, refusal: Refusal) -> None:
    try:
        with state.store.transaction() as session:
            record_refusal(session, refusal)
    except SQLAlchemyError:
        log.exception("could not store the security event for %s %s", refusal.method,
                      refusal.path)
