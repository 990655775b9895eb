"""What an agency's forms do: mark done (evidence URL and/or a file), report progress.

Each form is checked whole before anything is written; then the file (if any) and the
audit event (engine.store.events.record_event, as the webhook records it) are written in
the request's one transaction, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import PurePath

from sqlalchemy.orm import Session

from engine.api.auth import Caller
from engine.core.review import ReviewError
from engine.core.status import Event, EventKind, TransitionError
from engine.store.events import (
    CLOCK_SKEW,
    MAX_PROGRESS_COUNT,
    EventValueError,
    InstanceView,
    get_instance,
    record_event,
)
from engine.store.tables_web import EvidenceFileRow
from engine.web.common import LOCAL

MAX_FILE_BYTES = 10 * 1024 * 1024
# Extension -> (content type, the first bytes such a file starts with).
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
}
ALLOWED_TEXT = "PDF, Word, Excel, OpenDocument, ảnh PNG/JPEG hoặc ZIP"
_URL = re.compile(r"https?://[^\s/?#\x00]+[^\s\x00]*")
MAX_NOTE = 2000
# A spec setting a rule's message names, e.g. "(review.extend_past_plan_year)": the API and
# the logs keep it, an agency's page does not.
_SPEC_CODE = re.compile(r"\s*\(review\.[a-z_]+(?:: [a-z]+)?\)")


@dataclass
class FormProblems:
    """Vietnamese messages by form field; empty when the form may be recorded."""

    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Completion:
    """A checked "Đã hoàn thành" form."""

    at: dt.datetime
    evidence_url: str | None
    note: str | None
    upload: Upload | None
    content_type: str | None


def check_completion(*, evidence_url: str, note: str, done_on: str,
                     upload: Upload | None, now: dt.datetime,
                     ) -> tuple[Completion | None, FormProblems]:
    """The completion a form asks for, or the problems of each field."""
    problems = FormProblems()
    url = evidence_url.strip() or None
    if url is not None and (len(url) > 2000 or not _URL.fullmatch(url)):
        problems.fields["evidence_url"] = ("Đường dẫn minh chứng phải là một địa chỉ web đầy "
                                           "đủ, bắt đầu bằng http:// hoặc https://.")
    content_type = None
    if upload is not None:
        content_type = _check_file(upload, problems)
    if url is None and upload is None and "evidence_url" not in problems.fields:
        problems.fields["evidence_url"] = ("Cần đường dẫn minh chứng hoặc tệp đính kèm (hoặc "
                                           "cả hai) để đơn vị theo dõi kiểm tra được.")
    at = _check_day(done_on, now, problems)
    text = _check_note(note, problems)
    if problems:
        return None, problems
    return Completion(at, url, text, upload, content_type), problems


def _check_file(upload: Upload, problems: FormProblems) -> str | None:
    suffix = PurePath(upload.filename).suffix.lower()
    kind = FILE_TYPES.get(suffix)
    if len(upload.content) > MAX_FILE_BYTES:
        problems.fields["file"] = (f"Tệp «{upload.filename}» lớn hơn giới hạn "
                                   f"{MAX_FILE_BYTES // (1024 * 1024)} MB; nén lại hoặc gửi "
                                   "đường dẫn tới tệp.")
    elif kind is None:
        problems.fields["file"] = (f"Tệp «{upload.filename}» không thuộc loại được nhận "
                                   f"({ALLOWED_TEXT}).")
    elif not upload.content.startswith(kind[1]):
        problems.fields["file"] = (f"Nội dung tệp «{upload.filename}» không phải tệp "
                                   f"{suffix.lstrip('.').upper()} như tên tệp ghi.")
    else:
        return kind[0]
    return None


def _check_day(done_on: str, now: dt.datetime, problems: FormProblems) -> dt.datetime:
    text = done_on.strip()
    today = now.astimezone(LOCAL).date()
    if not text:
        return now
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        problems.fields["done_on"] = "Ngày hoàn thành không đúng dạng ngày (dd/mm/yyyy)."
        return now
    if day > today:
        problems.fields["done_on"] = (f"Ngày hoàn thành {day:%d/%m/%Y} ở tương lai; chọn ngày "
                                      "đã làm xong.")
        return now
    # A past day without a time: noon of that day, Vietnam time.
    return now if day == today else dt.datetime.combine(day, dt.time(12), LOCAL)


def _check_note(note: str, problems: FormProblems) -> str | None:
    text = note.strip()
    if "\x00" in text or len(text) > MAX_NOTE:
        problems.fields["note"] = f"Ghi chú tối đa {MAX_NOTE} ký tự."
    return text or None


def check_count(count: str, problems: FormProblems) -> int:
    try:
        value = int(count.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PROGRESS_COUNT:
        problems.fields["count"] = (f"Số lượng phải là số nguyên từ 1 đến "
                                    f"{MAX_PROGRESS_COUNT:_}.".replace("_", "."))
    return value


def record_completion(session: Session, caller: Caller, instance_id: str, form: Completion, *,
                      public_url: str, now: dt.datetime) -> InstanceView:
    """Store the file (if any) and record the completion, in the session's transaction.

    Raises:
        EventValueError, TransitionError: as record_event (the caller shows them).
    """
    evidence = form.evidence_url
    if form.upload is not None and form.content_type is not None:
        file_id = secrets.token_hex(12)
        plan = instance_id.split(":", 1)[0]
        session.add(EvidenceFileRow(
            id=file_id, instance_id=instance_id, plan_id=plan,
            filename=PurePath(form.upload.filename).name[:255] or "tep",
            content_type=form.content_type, size=len(form.upload.content),
            sha256=hashlib.sha256(form.upload.content).hexdigest(),
            content=form.upload.content, uploaded_at=now, actor=caller.actor))
        session.flush()
        evidence = evidence or f"{public_url.rstrip('/')}/tep/{file_id}"
    event = Event(instance_id, EventKind.COMPLETED, form.at, caller.actor, "web",
                  evidence_url=evidence, note=form.note)
    return record_event(session, event)


def record_progress(session: Session, caller: Caller, instance_id: str, *, count: int,
                    note: str | None, now: dt.datetime) -> InstanceView:
    event = Event(instance_id, EventKind.PROGRESS, now, caller.actor, "web", count=count,
                  note=note)
    return record_event(session, event)


def review_text(exc: ReviewError) -> str:
    """The Vietnamese sentence a page shows for a review/extension refusal: capitalised,
    ended with a full stop, without the spec's setting names."""
    detail = _SPEC_CODE.sub("", exc.detail).strip()
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")


def refusal_text(session: Session, instance_id: str, exc: Exception) -> tuple[str, str]:
    """(field, Vietnamese message) for a change the instance refused."""
    if isinstance(exc, EventValueError):
        return ("count" if exc.field == "count" else "done_on"), exc.detail[:1].upper() + \
            exc.detail[1:] + "."
    state = get_instance(session, instance_id).state
    if isinstance(exc, TransitionError) and state.waived_at:
        return "form", "Đầu việc này đã được miễn/hủy nên không ghi nhận được."
    if state.completed_at is not None:
        return "form", (f"Đầu việc này đã được ghi nhận hoàn thành lúc "
                        f"{state.completed_at.astimezone(LOCAL):%H:%M %d/%m/%Y}.")
    return "form", "Không ghi nhận được thay đổi này ở trạng thái hiện tại của đầu việc."


__all__ = ["CLOCK_SKEW", "Completion", "FormProblems", "Upload", "check_completion",
           "check_count", "record_completion", "record_progress", "refusal_text",
           "review_text"]
