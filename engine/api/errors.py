"""Errors of the webhook API and the one table that maps every error to RFC 9457 problem+json.

    KehoachError
    └── ApiError                          a request the API refuses (detail in Vietnamese)
        ├── UnauthenticatedError (PermissionError)   401: no, unknown or revoked token
        ├── ForbiddenError (PermissionError)         403: not the lead; signature problems
        ├── ConflictError (ValueError)               409: waived, done, key reused
        ├── PayloadTooLargeError (ValueError)        413: body over the size limit
        ├── UnsupportedMediaError (ValueError)       415: a body that is not JSON
        ├── InvalidInputError (ValueError)           422: malformed JSON, wrong fields
        └── UnavailableError (RuntimeError)          503: the database cannot be reached

Domain errors (NotFoundError, TransitionError, ReviewError, PeriodError) are mapped here too; the
engine never raises HTTP exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.core.errors import KehoachError, PeriodError
from engine.core.review import ReviewError
from engine.core.status import TransitionError
from engine.store.events import NotFoundError

PROBLEM_BASE = "https://kehoach.example.org/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
NOT_FOUND_VI = {"instance": "đầu việc", "plan": "kế hoạch", "token": "token",
                "extension request": "đề nghị gia hạn",
                "agency": "cơ quan"}


class ApiError(KehoachError):
    """A refused request: `kind` names its problem type, `detail` tells the caller what to do."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Yêu cầu không hợp lệ"

    def __init__(self, kind: str, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 ) -> None:
        self.kind = kind
        self.detail = detail
        self.errors = errors
        super().__init__(f"{kind}: {detail}")


class UnauthenticatedError(ApiError, PermissionError):
    status = 401
    title = "Chưa xác thực"


class ForbiddenError(ApiError, PermissionError):
    status = 403
    title = "Không có quyền"


class ConflictError(ApiError, ValueError):
    status = 409
    title = "Xung đột trạng thái"


class PayloadTooLargeError(ApiError, ValueError):
    status = 413
    title = "Nội dung quá lớn"


class UnsupportedMediaError(ApiError, ValueError):
    status = 415
    title = "Kiểu nội dung không được hỗ trợ"


class InvalidInputError(ApiError, ValueError):
    status = 422
    title = "Dữ liệu không hợp lệ"


class UnavailableError(ApiError, RuntimeError):
    status = 503
    title = "Dịch vụ tạm ngừng"


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem document, before it is tied to a request path."""

    status: int
    kind: str
    title: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self, instance: str) -> dict[str, Any]:
        return {"type": PROBLEM_BASE + self.kind, "title": self.title, "status": self.status,
                "detail": self.detail, "instance": instance, **self.extra}


def _api_error(exc: Exception) -> Problem:
    assert isinstance(exc, ApiError)
    extra = {"errors": exc.errors} if exc.errors else {}
    headers = {}
    if isinstance(exc, UnauthenticatedError):
        headers["WWW-Authenticate"] = ('Bearer realm="kehoach"' if exc.kind == "token-missing"
                                       else 'Bearer realm="kehoach", error="invalid_token"')
    return Problem(exc.status, exc.kind, exc.title, exc.detail, extra, headers)


def _not_found(exc: Exception) -> Problem:
    assert isinstance(exc, NotFoundError)
    what = NOT_FOUND_VI.get(exc.kind, exc.kind)
    return Problem(404, "not-found", "Không tìm thấy",
                   f"Không tìm thấy {what} có mã '{exc.ident}'. Kiểm tra lại mã (phân biệt "
                   "chữ hoa, chữ thường) hoặc liên hệ cơ quan theo dõi kế hoạch.")


def _transition(exc: Exception) -> Problem:
    assert isinstance(exc, TransitionError)
    return Problem(409, "transition-refused", "Xung đột trạng thái",
                   f"Không thể ghi nhận thay đổi cho đầu việc '{exc.instance_id}' ở trạng thái "
                   "hiện tại của nó. Tải lại trạng thái rồi thử lại.")


def _review(exc: Exception) -> Problem:
    assert isinstance(exc, ReviewError)
    status, title = ((403, ForbiddenError.title) if exc.forbidden else
                     (409, ConflictError.title) if exc.conflict else
                     (422, InvalidInputError.title))
    return Problem(status, exc.kind, title, f"{exc.subject}: {exc.detail}.",
                   {"errors": [{"field": exc.field, "message": exc.detail}]})


def _period(exc: Exception) -> Problem:
    assert isinstance(exc, PeriodError)
    forms = "2024, 2024-Q1, 2024-H1, 2024-9M, 2024-03, 2024-W07"
    return Problem(422, "invalid-period", "Kỳ báo cáo không hợp lệ",
                   f"Kỳ '{exc.label}' (period) không hợp lệ. Dùng một trong các dạng "
                   f"{forms}.",
                   {"errors": [{"field": "period", "message": "không phải một kỳ có thật "
                                f"(dạng {forms})"}]})


def _validation(exc: Exception) -> Problem:
    assert isinstance(exc, RequestValidationError)
    return Problem(422, "invalid-request", "Dữ liệu không hợp lệ",
                   "Tham số của yêu cầu không hợp lệ; xem danh sách 'errors' để biết tham số "
                   "nào sai.", {"errors": describe_errors(exc.errors())})


def _http(exc: Exception) -> Problem:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return Problem(404, "not-found", "Không tìm thấy",
                       "Không có địa chỉ API này. Xem tài liệu tại /docs.")
    if exc.status_code == 405:
        return Problem(405, "method-not-allowed", "Phương thức không được hỗ trợ",
                       "Địa chỉ này không nhận phương thức HTTP đã dùng. Xem tài liệu tại /docs.",
                       headers=dict(exc.headers or {}))
    return Problem(exc.status_code, "http-error", "Lỗi yêu cầu", str(exc.detail))


def _bug(exc: Exception) -> Problem:
    return Problem(500, "internal-error", "Lỗi máy chủ",
                   "Máy chủ gặp lỗi ngoài dự kiến; thay đổi chưa được ghi nhận. Hãy gửi lại sau "
                   "ít phút và báo cho quản trị hệ thống nếu lỗi lặp lại.")


# One table, most specific class first: the first class the error is an instance of wins.
PROBLEM_TABLE: tuple[tuple[type[Exception], Callable[[Exception], Problem]], ...] = (
    (ApiError, _api_error),
    (NotFoundError, _not_found),
    (TransitionError, _transition),
    (ReviewError, _review),
    (PeriodError, _period),
    (RequestValidationError, _validation),
    (StarletteHTTPException, _http),
    (Exception, _bug),
)


def problem_for(exc: Exception) -> Problem:
    """The problem document that answers `exc` (a 500 only for errors nobody expected)."""
    for cls, build in PROBLEM_TABLE:
        if isinstance(exc, cls):
            return build(exc)
    return _bug(exc)


def describe_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as [{field, message}] with a Vietnamese message per error type."""
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "(toàn bộ)",
                    "message": _message_vi(error.get("type", ""), error)})
    return out


def _message_vi(kind: str, error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    messages = {
        "missing": "thiếu trường bắt buộc",
        "extra_forbidden": "trường không được hỗ trợ (kiểm tra chính tả)",
        "json_invalid": "JSON không hợp lệ",
        "int_type": "phải là số nguyên",
        "int_parsing": "phải là số nguyên",
        "string_type": "phải là chuỗi ký tự",
        "datetime_type": "phải là thời điểm ISO 8601, ví dụ 2024-02-19T09:30:00+07:00",
        "datetime_parsing": "phải là thời điểm ISO 8601, ví dụ 2024-02-19T09:30:00+07:00",
        "datetime_from_date_parsing": "phải là thời điểm ISO 8601, ví dụ 2024-02-19T09:30:00",
        "date_type": "phải là ngày dạng YYYY-MM-DD, ví dụ 2024-03-05",
        "date_parsing": "phải là ngày dạng YYYY-MM-DD, ví dụ 2024-03-05",
        "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD, ví dụ 2024-03-05",
        "greater_than": f"phải lớn hơn {ctx.get('gt')}",
        "less_than_equal": f"không được lớn hơn {ctx.get('le')}",
        "string_too_long": f"dài quá {ctx.get('max_length')} ký tự",
        "string_too_short": f"phải có ít nhất {ctx.get('min_length')} ký tự",
        "string_pattern_mismatch": "không đúng định dạng",
        "enum": f"phải là một trong: {_either(ctx.get('expected'))}",
        "literal_error": f"phải là một trong: {_either(ctx.get('expected'))}",
        "model_type": "phải là một đối tượng JSON",
        "model_attributes_type": "phải là một đối tượng JSON",
        "dict_type": "phải là một đối tượng JSON",
    }
    return messages.get(kind, f"giá trị không hợp lệ ({kind})")


def _either(expected: object) -> str:
    """pydantic's "'a', 'b' or 'c'" with the last "or" in Vietnamese."""
    text = str(expected)
    head, sep, tail = text.rpartition("' or '")
    return f"{head}' hoặc '{tail}" if sep else text
