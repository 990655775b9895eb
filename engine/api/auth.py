"""API tokens, request signatures, idempotency keys and the security-event log.

Tokens are random secrets shown once and stored as SHA-256 hashes (a 256-bit random secret
needs no slow hash). Roles: `agency` (acts on the instances it leads in one directory),
`operator` (acts on any instance), `calendar` (reads one agency's iCal feed; sent in the
URL, `?token=`, because calendar apps send no headers, or as a bearer header), `leadership`
(signs in to the web pages to read one directory's plans' dashboards and download their
reports; nothing else, no API endpoint).

Signatures follow Stripe: header `Kehoach-Signature: t=<unix seconds>,v1=<hex>` where the
hex is HMAC-SHA256(signing secret, f"{t}." + raw body). A signature more than five minutes
from the server's clock, not matching, or already used is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.api.errors import ConflictError, ForbiddenError, UnauthenticatedError
from engine.store.events import NotFoundError
from engine.store.tables_api import (
    ApiAgencyPolicyRow,
    ApiIdempotencyRow,
    ApiSecurityEventRow,
    ApiSignatureRow,
    ApiTokenRow,
)

log = logging.getLogger(__name__)
TOKEN_PREFIX = "kh_"
SIGNING_PREFIX = "khsig_"
SIGNATURE_HEADER = "Kehoach-Signature"
SIGNATURE_TOLERANCE = dt.timedelta(minutes=5)
# ASCII digits only (str.isdigit() also takes '²' and other scripts' digits, which int()
# then refuses or reads), at most 12 of them; a signature is SHA-256 hex.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class Role(StrEnum):
    AGENCY = "agency"
    OPERATOR = "operator"
    CALENDAR = "calendar"
    LEADERSHIP = "leadership"


# A token's kind in Vietnamese: after "token" in the API's refusals (an agency's token is
# "của cơ quan"; a refused calendar token is told what it may read), and after "loại" in
# `kehoach token create`'s short label.
ROLE_NAMES_VI = {Role.AGENCY: "của cơ quan", Role.OPERATOR: "điều hành",
                 Role.CALENDAR: "lịch (chỉ đọc lịch hạn)",
                 Role.LEADERSHIP: "lãnh đạo (chỉ xem bảng điều hành)"}
ROLE_LABELS_VI = {Role.AGENCY: "cơ quan", Role.OPERATOR: "điều hành",
                  Role.CALENDAR: "lịch (chỉ đọc)", Role.LEADERSHIP: "lãnh đạo"}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request, as its token says."""

    token_id: str
    role: Role
    directory_id: str | None
    agency_id: str | None
    signing_secret: str
    require_signature: bool

    @property
    def actor(self) -> str:
        """The audit-log actor: the agency id, or "operator:<token id>"."""
        if self.role is Role.OPERATOR or self.agency_id is None:
            return f"operator:{self.token_id}"
        return self.agency_id


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token with its secrets: the only time they can be read."""

    id: str
    token: str
    signing_secret: str
    role: Role
    directory_id: str | None
    agency_id: str | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token, without secrets (for `kehoach token list`)."""

    id: str
    role: Role
    directory_id: str | None
    agency_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    require_signature: bool
    note: str | None = None


def hash_secret(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, role: Role, directory_id: str | None,
                agency_id: str | None, now: dt.datetime, note: str | None = None,
                ) -> IssuedToken:
    """Create a token; the caller must show `token` and `signing_secret` to the user now."""
    if role is Role.LEADERSHIP and (not directory_id or agency_id):
        raise ValueError("a leadership token needs a directory and no agency")
    if role in (Role.AGENCY, Role.CALENDAR) and not (directory_id and agency_id):
        raise ValueError("agency and calendar tokens need a directory and an agency")
    token_id = "tok_" + secrets.token_hex(6)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    signing = SIGNING_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(id=token_id, secret_hash=hash_secret(token), role=role.value,
                            directory_id=directory_id, agency_id=agency_id,
                            signing_secret=signing, created_at=now, note=note))
    return IssuedToken(token_id, token, signing, role, directory_id, agency_id)


def set_signature_policy(session: Session, *, directory_id: str, agency_id: str,
                         required: bool) -> None:
    """Require (or stop requiring) a signature on every request of an agency."""
    row = session.get(ApiAgencyPolicyRow, (directory_id, agency_id))
    if row is None:
        session.add(ApiAgencyPolicyRow(directory_id=directory_id, agency_id=agency_id,
                                       require_signature=required))
    else:
        row.require_signature = required


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, oldest first, with the agency's signature policy."""
    policies = {(p.directory_id, p.agency_id): p.require_signature
                for p in session.scalars(select(ApiAgencyPolicyRow))}
    rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id))
    return [TokenInfo(r.id, Role(r.role), r.directory_id, r.agency_id, r.created_at,
                      r.revoked_at, policies.get((r.directory_id or "", r.agency_id or ""), False),
                      r.note)
            for r in rows]


def revoke_token(session: Session, token_id: str, *, now: dt.datetime) -> None:
    """Revoke a token at once; NotFoundError if there is no such token."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFoundError("token", token_id)
    if row.revoked_at is None:
        row.revoked_at = now


_TOKEN_QUERY = (
    select(ApiTokenRow.id, ApiTokenRow.role, ApiTokenRow.directory_id, ApiTokenRow.agency_id,
           ApiTokenRow.signing_secret, ApiTokenRow.revoked_at,
           ApiAgencyPolicyRow.require_signature)
    .outerjoin(ApiAgencyPolicyRow, (ApiAgencyPolicyRow.directory_id == ApiTokenRow.directory_id)
               & (ApiAgencyPolicyRow.agency_id == ApiTokenRow.agency_id))
    .where(ApiTokenRow.secret_hash == bindparam("secret_hash")))


def authenticate(session: Session | Connection, token: str | None, *,
                 calendar: bool = False) -> Caller:
    """The caller a bearer token belongs to (a plain connection will do: it only reads).

    `calendar`: the token may also come as `?token=` (the iCal feed), and a refusal for a
    missing token says so.

    Raises:
        UnauthenticatedError: no token, an unknown token, or a revoked one.
    """
    if not token:
        raise _token_missing(calendar=calendar)
    found = session.execute(_TOKEN_QUERY, {"secret_hash": hash_secret(token)}).first()
    if found is None:
        raise UnauthenticatedError("token-invalid", "Token không hợp lệ. Kiểm tra lại token "
                                   "hoặc xin cấp token mới từ cơ quan theo dõi kế hoạch.")
    token_id, role, directory, agency, signing, revoked_at, required = found
    if revoked_at is not None:
        raise UnauthenticatedError("token-revoked", f"Token {token_id} đã bị thu hồi ngày "
                                   f"{revoked_at:%d/%m/%Y}. Xin cấp token mới.")
    return Caller(token_id, Role(role), directory, agency, signing, bool(required))


def _token_missing(*, calendar: bool = False) -> UnauthenticatedError:
    if calendar:
        return UnauthenticatedError("token-missing", "Thiếu token. Thêm '?token=<token lịch>' "
                                    "vào địa chỉ lịch (hoặc gửi header 'Authorization: Bearer "
                                    "<token lịch>') với token lịch được cấp.")
    return UnauthenticatedError("token-missing", "Thiếu token. Gửi header "
                                "'Authorization: Bearer <token>' với token được cấp.")


# --- signatures --------------------------------------------------------------------------
def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    """The `Kehoach-Signature` header value for `body` sent at `timestamp` (Unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(caller: Caller, header: str | None, body: bytes, *,
                     now: dt.datetime) -> str | None:
    """Check a request's signature; returns it (lowercase hex) if present, None if absent
    and optional.

    Raises:
        ForbiddenError: a signature is required but absent, malformed, not matching, or
            more than five minutes from `now`.
    """
    if not header:
        if caller.require_signature:
            raise ForbiddenError("signature-required", f"Cơ quan này bắt buộc ký yêu cầu: "
                                 f"gửi header {SIGNATURE_HEADER}: t=<giây Unix>,v1=<HMAC-SHA256 "
                                 "hex của '<t>.' + nội dung> bằng khóa ký được cấp.")
        return None
    timestamp, given = _parse_signature(header)
    age = abs(now.timestamp() - timestamp)
    if age > SIGNATURE_TOLERANCE.total_seconds():
        raise ForbiddenError("signature-expired", f"Chữ ký đã quá hạn (lệch {int(age)} giây so "
                             "với đồng hồ máy chủ, tối đa 300 giây). Ký lại yêu cầu ngay trước "
                             "khi gửi và kiểm tra đồng hồ máy gửi.")
    expected = _digest(caller.signing_secret, body, timestamp)
    if not any(hmac.compare_digest(expected, g) for g in given):
        raise ForbiddenError("signature-invalid", "Chữ ký không khớp với nội dung. Ký đúng "
                             "nguyên văn nội dung gửi đi (từng byte) bằng khóa ký của token này.")
    # The signature that matched, as the replay check keeps it: one value per (t, body),
    # whatever other v1 entries or letter case a replay would add.
    return expected


def _parse_signature(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a header; "sai định dạng" unless all are well formed.

    Only ASCII: a timestamp of 1-12 ASCII digits, signatures of 64 hex digits (anything
    else could not match, and hmac.compare_digest refuses non-ASCII text).
    """
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v.strip() for k, _, v in parts if k.strip() == "t"]
    given = [v.strip().lower() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not _TIMESTAMP.fullmatch(stamps[0]) or not given or \
            not all(_HEX_DIGEST.fullmatch(g) for g in given):
        raise ForbiddenError("signature-invalid", f"Header {SIGNATURE_HEADER} sai định dạng; "
                             "đúng là t=<giây Unix>,v1=<chữ ký hex>.")
    return int(stamps[0]), given


_FORGET_SIGNATURES = delete(ApiSignatureRow).where(
    ApiSignatureRow.token_id == bindparam("token_id"),
    ApiSignatureRow.seen_at < bindparam("before"))


def remember_signature(session: Session, caller: Caller, signature: str, *,
                       now: dt.datetime) -> None:
    """Record a used signature in the request's transaction; refuse one seen before."""
    connection = session.connection()
    connection.execute(_FORGET_SIGNATURES, {"token_id": caller.token_id,
                                            "before": now - 2 * SIGNATURE_TOLERANCE})
    try:  # seen before, or in a concurrent request: refused like a replay
        connection.execute(insert(ApiSignatureRow), {
            "token_id": caller.token_id, "signature": signature[:64], "seen_at": now})
    except IntegrityError:
        raise ForbiddenError("signature-replayed", "Yêu cầu có chữ ký này đã được nhận trước "
                             "đó. Mỗi lần gửi phải ký lại với thời điểm mới; để gửi lại an "
                             "toàn hãy dùng header Idempotency-Key.") from None


# --- idempotency -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str


class DeliveryInFlight(Exception):
    """Another request with the same Idempotency-Key committed first: replay its answer."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two deliveries "the same request"."""
    return hashlib.sha256(f"{method}\n{path}\n".encode() + body).hexdigest()


_I = ApiIdempotencyRow
# (bound as b_*: an UPDATE binds its columns' own names)
_KEY_IS = (_I.token_id == bindparam("b_token_id")) & (_I.key == bindparam("b_key"))
_FIND_RESPONSE = select(_I.request_hash, _I.status, _I.body).where(_KEY_IS)
_STORE_RESPONSE = update(_I).where(_KEY_IS).values(status=bindparam("status"),
                                                   body=bindparam("body"))


def find_response(session: Session, caller: Caller, key: str,
                  request_hash: str) -> StoredResponse | None:
    """The stored answer to this key, or None; ConflictError if it was used for another body."""
    row = session.connection().execute(_FIND_RESPONSE, {"b_token_id": caller.token_id,
                                                        "b_key": key}).first()
    if row is None:
        return None
    stored_hash, status, body = row
    if stored_hash != request_hash:
        raise ConflictError("idempotency-key-reused", f"Idempotency-Key '{key}' đã được dùng "
                            "cho một yêu cầu khác (khác địa chỉ hoặc nội dung). Dùng một khóa "
                            "mới cho mỗi thay đổi khác nhau.")
    return StoredResponse(status, body)


def claim_key(session: Session, caller: Caller, key: str, request_hash: str, *,
              now: dt.datetime) -> None:
    """Take the key for this request before changing anything.

    Raises:
        DeliveryInFlight: a concurrent delivery with the same key committed first (the
            transaction must be rolled back and its stored answer replayed).
    """
    try:
        session.connection().execute(insert(_I), {
            "token_id": caller.token_id, "key": key, "request_hash": request_hash,
            "status": 0, "body": "", "created_at": now})
    except IntegrityError:
        raise DeliveryInFlight(key) from None


def store_response(session: Session, caller: Caller, key: str, *, status: int,
                   body: str) -> None:
    """Keep the answer to a claimed key, for the retries of the same delivery."""
    session.connection().execute(_STORE_RESPONSE, {"b_token_id": caller.token_id, "b_key": key,
                                                   "status": status, "body": body})


# --- security events ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused request, as the security log keeps it."""

    at: dt.datetime
    status: int
    reason: str
    method: str
    path: str
    source_address: str | None
    caller: Caller | None = None


def record_refusal(session: Session, refusal: Refusal) -> None:
    """Append a refused request to the security log (table and `logging`)."""
    caller = refusal.caller
    session.add(ApiSecurityEventRow(
        at=refusal.at, status=refusal.status, reason=refusal.reason[:60],
        token_id=caller.token_id if caller else None,
        directory_id=caller.directory_id if caller else None,
        agency_id=caller.agency_id if caller else None,
        source_address=(refusal.source_address or "")[:64] or None,
        method=refusal.method[:10], path=refusal.path))
    log.warning("refused %s %s from %s: %d %s (token %s, agency %s/%s)", refusal.method,
                refusal.path, refusal.source_address, refusal.status, refusal.reason,
                caller.token_id if caller else "-", caller.directory_id if caller else "-",
                caller.agency_id if caller else "-")
