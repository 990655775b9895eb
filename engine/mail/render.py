"""Rendering digests as Vietnamese multipart mails (Jinja2), separate from sending them."""

from __future__ import annotations

import datetime as dt
import mimetypes
from email.errors import HeaderDefect, HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2

from engine.core.digest import Digest, DigestItem, PlanInfo, ReviewNote
from engine.core.errors import KehoachError
from engine.reports.vietnamese import period_title
from notifiers.base import OutgoingMessage

if TYPE_CHECKING:
    from engine.web.signin import DigestLinks

COMPLETE_PATH = "/api/v1/instances/{id}/complete"
PROGRESS_PATH = "/api/v1/instances/{id}/progress"
TOKEN_PLACEHOLDER = "<MÃ_TRUY_CẬP_CỦA_ĐƠN_VỊ>"
ASKED = ("extension_requested", "extension_reminder")  # notes to an approver, not the lead


class InvalidAddressError(KehoachError, ValueError):
    """An e-mail address that is not one; `address` keeps it."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        super().__init__(f"invalid e-mail address {address!r}: {reason}")


class _MailPolicy(EmailPolicy):
    """The default policy, but Vietnamese subjects folded by email.header.Header.

    Python 3.11's folder drops the space between two encoded words when it folds a long
    non-ASCII unstructured header ("hành chính nhà" arrives as "hành chínhnhà").
    """

    def fold(self, name: str, value: str) -> str:
        addresses = getattr(value, "addresses", None)
        if addresses is not None and name.lower() in ADDRESS_HEADERS:
            return self._fold_addresses(name, addresses)
        if name.lower() != "subject" or str(value).isascii():
            folded: str = super().fold(name, value)
            return folded
        encoded = Header(str(value), "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold_binary(self, name: str, value: str) -> bytes:
        special = name.lower() == "subject" or (
            name.lower() in ADDRESS_HEADERS and hasattr(value, "addresses"))
        if not special or (name.lower() == "subject" and str(value).isascii()):
            return super().fold_binary(name, value)
        return self.fold(name, value).encode("ascii")

    def _fold_addresses(self, name: str, addresses: Any) -> str:
        # The stdlib refolds an address list through its full parser, taking ~50 ms for
        # a digest cc'd to fifty agencies; one address per line is valid folding (RFC 5322
        # section 2.2.3) and Vietnamese display names become encoded words (RFC 2047).
        return f"{name}: " + f",{self.linesep} ".join(
            _address(a.display_name, a.addr_spec) for a in addresses) + self.linesep


def _address(display_name: str, addr_spec: str) -> str:
    if not display_name:
        return addr_spec
    if display_name.isascii():
        return formataddr((display_name, addr_spec))
    return f"{Header(display_name, 'utf-8').encode()} <{addr_spec}>"


ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to"})
MAIL_POLICY = _MailPolicy()


def plan_label(plan: PlanInfo) -> str:
    """"Kế hoạch số 84/KH-UBND", or "Kế hoạch (chưa có số)" for a draft printed without one."""
    number = plan.number.strip()
    return f"Kế hoạch số {number}" if number.strip(" /KH-UBND") else "Kế hoạch (chưa có số)"


def subject_of(digest: Digest) -> str:
    """The subject: the levels, the recipient, how many tasks, and the plan (number and title)."""
    levels = ", ".join(digest.levels())
    count = len(digest.items)
    who = digest.recipient.name
    if not count:  # only review notes: requests to decide, outcomes to know
        plan = digest.plans[0] if len(digest.plans) == 1 else None
        about = f" — {plan_label(plan)} «{plan.title}»" if plan else ""
        return f"[{levels}] {who}: {len(digest.notes)} nội dung{about}"
    if len(digest.plans) == 1:
        plan = digest.plans[0]
        return f"[{levels}] {who}: {count} nhiệm vụ — {plan_label(plan)} «{plan.title}»"
    return f"[{levels}] {who}: {count} nhiệm vụ thuộc {len(digest.plans)} kế hoạch"


def lateness_vi(item: DigestItem, as_of: dt.date) -> str:
    """How late an item is, in working days, in Vietnamese."""
    if item.days_late > 0:
        return f"quá hạn {item.days_late} ngày làm việc"
    if as_of > item.due_date:
        return "đã quá hạn (chưa tròn 1 ngày làm việc)"
    if item.days_late == 0:
        return "đến hạn hôm nay"
    return f"còn {-item.days_late} ngày làm việc đến hạn"


def note_dates_vi(note: ReviewNote) -> str:
    """What a review note changes about the deadline, in Vietnamese."""
    old, new = vn_date(note.due_date), vn_date(note.new_due)
    if note.kind in ("extension_requested", "extension_reminder"):
        return f"Thời hạn hiện tại {old}; đề nghị gia hạn đến {new}"
    if note.kind == "extension_approved":
        return f"Thời hạn cũ {old}; thời hạn mới {new}"
    if note.kind == "extension_refused":
        return f"Thời hạn giữ nguyên: {old}"
    return (f"Nhiệm vụ được tính là chưa hoàn thành, thời hạn {old} giữ nguyên; báo cáo "
            "hoàn thành lại khi đã bổ sung")


def complete_url(public_url: str, instance_id: str, *, progress: bool = False) -> str:
    """The webhook an agency calls to report an instance done (or progress toward a target)."""
    path = PROGRESS_PATH if progress else COMPLETE_PATH
    return public_url.rstrip("/") + path.format(id=quote(instance_id, safe=":"))


def webhook_codes(digest: Digest) -> list[tuple[str, str, str]]:
    """(instance code, task title, period) of each instance an agency's system may report
    on from this mail: its items and the outcomes told to their lead, each once."""
    found: dict[str, tuple[str, str, str]] = {}
    told: list[DigestItem | ReviewNote] = [*digest.items]
    told += [n for n in digest.notes if n.kind not in ASKED]
    for one in told:
        found.setdefault(one.instance_id, (one.instance_id, one.task_title, one.period))
    return list(found.values())


def vn_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("engine.mail", "templates"),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters.update(vndate=vn_date, period=period_title)
    env.globals.update(plan_label=plan_label, lateness=lateness_vi, complete_url=complete_url,
                       token=TOKEN_PLACEHOLDER, note_dates=note_dates_vi,
                       webhook_codes=webhook_codes)
    return env


def render_digest(digest: Digest, *, message_id: str, public_url: str,
                  links: DigestLinks | None = None) -> OutgoingMessage:
    """The mail of one digest: subject, plain text and HTML, addressed to and cc.

    `links` (engine.web.signin) are the recipient's sign-in links: its page "Việc của đơn
    vị" and each instance it leads. They open a session for that agency only, expire, and
    stop working when the agency's token is revoked; the webhook's token stays a
    placeholder (an agency's own system keeps its token).
    """
    sections = digest.sections()
    context = {"digest": digest, "sections": sections, "public_url": public_url,
               "links": links,
               "message_id": message_id, "example": sections[0].items[0] if sections else None}
    env = _environment()
    return OutgoingMessage(
        message_id=message_id, to=_addresses(digest.recipient.name, digest.recipient.emails),
        cc=tuple(a for party in digest.cc for a in _addresses(party.name, party.emails)),
        subject=subject_of(digest), text=env.get_template("digest.txt.j2").render(context),
        html=env.get_template("digest.html.j2").render(context), data=digest.to_json())


def _addresses(name: str, emails: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(Address(display_name=name, addr_spec=e)) if _valid(e) else e
                 for e in emails)


def _valid(address: str) -> bool:
    try:
        check_address(address)
    except InvalidAddressError:
        return False
    return True


def check_address(address: str) -> Address:
    """Parse one address ("Name <a@b.c>" or "a@b.c").

    Raises:
        InvalidAddressError: it is not an address with a user and a domain.
    """
    text = address.strip()
    name, _, spec = text.rpartition("<")
    spec = spec.rstrip(">") if name or text.startswith("<") else text
    try:
        parsed = Address(display_name=name.strip().strip('"'), addr_spec=spec.strip())
    except (HeaderDefect, HeaderParseError, ValueError, IndexError) as exc:
        raise InvalidAddressError(address, str(exc) or type(exc).__name__) from None
    if not parsed.username or "." not in parsed.domain:
        raise InvalidAddressError(address, "needs a user and a domain (user@example.org)")
    return parsed


def to_mime(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    """The message as MIME: text/plain + text/html alternatives, then attachments.

    Headers with Vietnamese text are encoded (RFC 2047) by the default policy on output.

    Raises:
        InvalidAddressError: the sender or a recipient is not an address, or there is no
            recipient at all.
    """
    if not message.to:
        raise InvalidAddressError("", "the message has no recipient (the agency has no e-mail)")
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["Message-ID"] = message.message_id
    mail["From"] = check_address(sender)
    mail["To"] = [check_address(a) for a in message.to]
    if message.cc:
        mail["Cc"] = [check_address(a) for a in message.cc]
    mail["Subject"] = message.subject
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    for item in message.files():
        kind = item.mime_type or mimetypes.guess_type(item.filename)[0] or ""
        main, _, sub = (kind or "application/octet-stream").partition("/")
        mail.add_attachment(item.content, maintype=main, subtype=sub or "octet-stream",
                            filename=item.filename)
    return mail
