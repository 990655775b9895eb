"""Sign-in codes: per-agency links in the digests, session cookies and CSRF tokens.

A code is `<token id>.<expiry, Unix seconds>.<HMAC-SHA256 hex>`, keyed by the signing
secret of an API token (engine.api.auth): the link of an agency is bound to one of its
agency tokens, so revoking that token (`kehoach token revoke`) refuses the link and every
session opened with it from the next request on. Operators sign in with an operator token
and get a session code keyed the same way. Nothing is stored per session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine.api.auth import Caller, Role, issue_token
from engine.api.service import PlanDirectories
from engine.core.digest import Digest
from engine.core.errors import KehoachError
from engine.store.database import Store
from engine.store.tables_api import ApiTokenRow

LINK_LIFETIME = dt.timedelta(days=14)
SESSION_LIFETIME = dt.timedelta(hours=10)
LINK_NOTE = "liên kết đăng nhập trang web (tạo tự động cho thư nhắc việc)"
_VN = ZoneInfo("Asia/Ho_Chi_Minh")
_CODE = re.compile(r"(tok_[0-9a-f]{1,20})\.([0-9]{1,12})\.([0-9a-f]{64})")


class SignInError(KehoachError, PermissionError):
    """A sign-in code that cannot be used: `reason` is invalid, revoked or expired."""

    def __init__(self, reason: str, *, expired_at: dt.datetime | None = None) -> None:
        self.reason = reason
        self.expired_at = expired_at
        super().__init__(f"sign-in code refused: {reason}")


def _mac(secret: str, purpose: str, token_id: str, expires: int) -> str:
    message = f"kehoach-web|{purpose}|{token_id}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def make_code(token_id: str, secret: str, *, purpose: str, expires: dt.datetime) -> str:
    """A code for `purpose` ("link" or "session") valid until `expires`."""
    stamp = int(expires.timestamp())
    return f"{token_id}.{stamp}.{_mac(secret, purpose, token_id, stamp)}"


def read_code(tx: Session | Connection, code: str | None, *, purpose: str,
              now: dt.datetime) -> Caller:
    """The caller a code signs in, checked against its token as stored now.

    Raises:
        SignInError: a malformed or forged code, a revoked token, or an expired code (in
            that order: a forged code is never told apart from a stale one).
    """
    found = _CODE.fullmatch(code or "")
    if found is None:
        raise SignInError("invalid")
    token_id, stamp, given = found[1], int(found[2]), found[3]
    row = tx.execute(select(ApiTokenRow.role, ApiTokenRow.directory_id, ApiTokenRow.agency_id,
                            ApiTokenRow.signing_secret, ApiTokenRow.revoked_at)
                     .where(ApiTokenRow.id == token_id)).first()
    if row is None or row.role == Role.CALENDAR.value:
        raise SignInError("invalid")
    if not hmac.compare_digest(_mac(row.signing_secret, purpose, token_id, stamp), given):
        raise SignInError("invalid")
    if row.revoked_at is not None:
        raise SignInError("revoked")
    if stamp < now.timestamp():
        raise SignInError("expired", expired_at=dt.datetime.fromtimestamp(stamp, dt.UTC))
    return Caller(token_id, Role(row.role), row.directory_id, row.agency_id,
                  row.signing_secret, False)


def csrf_token(caller: Caller, session_code: str) -> str:
    """The CSRF token of a session: only pages served to that session carry it."""
    return hmac.new(caller.signing_secret.encode(), f"csrf|{session_code}".encode(),
                    hashlib.sha256).hexdigest()


def csrf_matches(caller: Caller, session_code: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(caller, session_code), given or "")


def agency_credential(session: Session, *, directory: str, agency: str,
                      now: dt.datetime) -> tuple[str, str]:
    """(token id, signing secret) that an agency's links are bound to: its newest live agency
    token, or a new one made for the links (its bearer secret is never shown)."""
    row = session.execute(
        select(ApiTokenRow.id, ApiTokenRow.signing_secret)
        .where(ApiTokenRow.role == Role.AGENCY.value, ApiTokenRow.directory_id == directory,
               ApiTokenRow.agency_id == agency, ApiTokenRow.revoked_at.is_(None))
        .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc()).limit(1)).first()
    if row is not None:
        return str(row.id), str(row.signing_secret)
    issued = issue_token(session, role=Role.AGENCY, directory_id=directory, agency_id=agency,
                         now=now, note=LINK_NOTE)
    session.flush()
    return issued.id, issued.signing_secret


def sign_in_url(public_url: str, code: str, *, then: str | None = None) -> str:
    """The address that opens a session with `code` (and then shows the path `then`)."""
    query = {"ma": code} | ({"tiep": then} if then else {})
    return f"{public_url.rstrip('/')}/dang-nhap?{urlencode(query)}"


LEADERSHIP_HOME = "/lanh-dao"


def leadership_link(public_url: str, token_id: str, secret: str, *,
                    expires: dt.datetime) -> str:
    """A sign-in link of a leadership token, to its list of dashboards."""
    code = make_code(token_id, secret, purpose="link", expires=expires)
    return sign_in_url(public_url, code, then=LEADERSHIP_HOME)


def instance_path(instance_id: str) -> str:
    return f"/don-vi/viec/{quote(instance_id, safe=':')}"


@dataclass(frozen=True, slots=True)
class DigestLinks:
    """The sign-in links a digest carries: the recipient's page and each item it leads."""

    page: str
    expires: dt.datetime
    instances: dict[str, str]
    queue: str = ""  # the review queue (requests to decide, completions to review)

    @property
    def expires_text(self) -> str:
        """When the links stop working, as the mail says it (Vietnam time)."""
        return self.expires.astimezone(_VN).strftime("%H:%M ngày %d/%m/%Y")


def digest_links(session: Session, digest: Digest, *, directory: str, public_url: str,
                 now: dt.datetime) -> DigestLinks:
    """Links for the recipient of `digest`, valid LINK_LIFETIME from `now`."""
    agency = digest.recipient.agency
    token_id, secret = agency_credential(session, directory=directory, agency=agency, now=now)
    expires = now + LINK_LIFETIME
    code = make_code(token_id, secret, purpose="link", expires=expires)
    items = {i.instance_id: sign_in_url(public_url, code, then=instance_path(i.instance_id))
             for i in digest.items if i.agency == agency}
    return DigestLinks(sign_in_url(public_url, code), expires, items,
                       sign_in_url(public_url, code, then="/xem-xet"))



def sign_in_links(store: Store, digest: Digest, *, public_url: str,
                  now: dt.datetime) -> DigestLinks | None:
    """The links a queued digest's mail carries (None for a digest about no plan)."""
    if not digest.plans:
        return None
    with store.transaction() as session:
        directory = PlanDirectories().of(session, digest.plans[0].id)
        return digest_links(session, digest, directory=directory, public_url=public_url,
                            now=now)
