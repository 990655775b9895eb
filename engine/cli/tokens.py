"""`kehoach token` sub-commands: create, list and revoke webhook API tokens."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.api.auth import (
    ROLE_LABELS_VI,
    IssuedToken,
    Role,
    issue_token,
    list_tokens,
    revoke_token,
    set_signature_policy,
)
from engine.cli.main import EXIT_OK, out
from engine.core.errors import KehoachError
from engine.store.database import open_store, utc_now
from engine.store.tables import AgencyRow
from engine.store.tables_api import ApiTokenRow, PlanDirectoryRow

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


class TokenOptionError(KehoachError, ValueError):
    """A `token create` option combination that makes no token."""


class UnknownTargetError(KehoachError, LookupError):
    """A `token create --directory/--agency` that names nothing registered."""

    def __init__(self, kind: str, ident: str, why: str, suggestions: Sequence[str]) -> None:
        self.kind = kind
        self.ident = ident
        hint = (f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions
                else "")
        super().__init__(f"unknown {kind} {ident!r}: {why}{hint}; no token created")


def register_cli(sub: Any) -> None:
    """Add `kehoach token create|list|revoke` to the `kehoach` parser."""
    token = sub.add_parser("token", help="webhook API tokens").add_subparsers(metavar="ACTION")
    p = token.add_parser("create", help="create a token and print it (shown only once)")
    p.add_argument("--agency", help="agency id (as in the plan's directory)")
    p.add_argument("--directory", help="directory id the agency belongs to (e.g. hanoi-2024)")
    p.add_argument("--require-signature", action="store_true",
                   help="from now on, refuse this agency's requests without a valid signature")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--operator", action="store_true", help="operator token: any instance")
    role.add_argument("--calendar", action="store_true",
                      help="read-only token for the agency's calendar.ics feed")
    role.add_argument("--leadership", action="store_true",
                      help="leadership's read-only token: signs in to the dashboards and report "
                           "downloads of the directory's plans (needs --directory, no --agency)")
    p.add_argument("--note", help="what the token is for (shown in `token list`)")
    p.set_defaults(command=cmd_token_create)

    p = token.add_parser("list", help="list tokens (never their secrets)")
    p.set_defaults(command=cmd_token_list, read_only=True)  # (see cli.require_database)

    p = token.add_parser("revoke", help="revoke a token at once (revoking a revoked token "
                         "changes nothing and exits 0)")
    p.add_argument("token_id", metavar="ID")
    p.set_defaults(command=cmd_token_revoke)


def _role(args: argparse.Namespace) -> Role:
    if args.leadership:
        if args.agency or not args.directory:
            raise TokenOptionError("a leadership token reads one directory's plans: give "
                                   "--directory and no --agency")
        if args.require_signature:
            raise TokenOptionError("--require-signature applies to agency tokens only")
        return Role.LEADERSHIP
    role = Role.OPERATOR if args.operator else Role.CALENDAR if args.calendar else Role.AGENCY
    if role is not Role.OPERATOR and not (args.agency and args.directory):
        raise TokenOptionError("--agency and --directory are required (except with --operator)")
    if role is Role.OPERATOR and (args.agency or args.directory):
        raise TokenOptionError("an operator token acts for every agency: drop --agency and "
                               "--directory, or drop --operator for an agency token")
    if args.require_signature and role is not Role.AGENCY:
        raise TokenOptionError("--require-signature applies to agency tokens only")
    return role


def cmd_token_create(args: argparse.Namespace) -> int:
    role = _role(args)
    directory = None if role is Role.OPERATOR else args.directory
    agency = None if role is Role.OPERATOR else args.agency
    with open_store().transaction() as session:
        if directory is not None:
            _require_agency(session, directory, agency)
        issued = issue_token(session, role=role, directory_id=directory, agency_id=agency,
                             now=utc_now(), note=args.note)
        if args.require_signature:
            set_signature_policy(session, directory_id=args.directory, agency_id=args.agency,
                                 required=True)
    who = ("điều hành" if role is Role.OPERATOR else f"danh mục {directory}"
           if agency is None else f"{agency} ({directory})")
    out.print(f"Đã tạo token {issued.id} loại {ROLE_LABELS_VI[role]} cho {who}.")
    if role is Role.LEADERSHIP:
        _print_leadership(issued)
    elif role is Role.CALENDAR:
        out.print("Lưu ngay: token chỉ hiện một lần này.")
        out.print(f"token: {issued.token}")
    else:
        out.print("Lưu ngay: token và khóa ký chỉ hiện một lần này.")
        out.print(f"token: {issued.token}")
        out.print(f"signing secret: {issued.signing_secret}")
    if args.require_signature:
        out.print(f"Từ nay mọi yêu cầu của {agency} phải có header Kehoach-Signature.")
    return EXIT_OK


def _print_leadership(issued: IssuedToken) -> None:
    """The token (for the sign-in form) and a sign-in link to the leadership's pages."""
    from engine.settings import Settings
    from engine.web.signin import LINK_LIFETIME, leadership_link

    out.print("Lưu ngay: token chỉ hiện một lần này (chỉ xem bảng điều hành và tải báo cáo).")
    out.print(f"token: {issued.token}")
    link = leadership_link(Settings().public_url, issued.id, issued.signing_secret,
                           expires=utc_now() + LINK_LIFETIME)
    out.print(f"liên kết đăng nhập (dùng được {LINK_LIFETIME.days} ngày): {link}",
              soft_wrap=True)


def _require_agency(session: Session, directory: str, agency: str | None) -> None:
    """Refuse a directory no registered plan uses, or an agency not in it."""
    from engine.api.service import PlanDirectories  # (FastAPI: only when needed)

    plans = PlanDirectories().plans_in(session, directory)
    if not plans:
        known = sorted(set(session.scalars(select(PlanDirectoryRow.directory_id))))
        raise UnknownTargetError(
            "directory", directory, "no registered plan uses it"
            + (f" (known: {', '.join(known)})" if known else "; register a plan first"),
            difflib.get_close_matches(directory, known, 3))
    if agency is None:
        return
    agencies = set(session.scalars(select(AgencyRow.id).where(AgencyRow.plan_id.in_(plans))))
    if agency not in agencies:
        raise UnknownTargetError("agency", agency, f"not in directory {directory!r}",
                                 difflib.get_close_matches(agency, sorted(agencies), 3))


def cmd_token_list(args: argparse.Namespace) -> int:
    with open_store().transaction() as session:
        tokens = list_tokens(session)
    table = Table(title=f"{len(tokens)} token(s)")
    for name in ("ID", "Role", "Directory", "Agency", "Created", "Revoked", "Signature", "Note"):
        table.add_column(name, overflow="fold")
    for t in tokens:
        table.add_row(t.id, t.role.value, t.directory_id or "—", t.agency_id or "—",
                      f"{t.created_at.astimezone(LOCAL):%d/%m/%Y %H:%M}",
                      f"{t.revoked_at.astimezone(LOCAL):%d/%m/%Y %H:%M}" if t.revoked_at
                      else "",
                      "required" if t.require_signature else "", t.note or "")
    out.print(table)
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke a token; one already revoked is left as it was (exit 0: it is revoked)."""
    with open_store().transaction() as session:
        row = session.get(ApiTokenRow, args.token_id)
        revoked_at = row.revoked_at if row is not None else None
        if revoked_at is None:
            revoke_token(session, args.token_id, now=utc_now())
    if revoked_at is not None:
        out.print(f"Token {args.token_id} đã bị thu hồi từ trước (lúc "
                  f"{revoked_at.astimezone(LOCAL):%d/%m/%Y %H:%M}); không thay đổi gì.")
        return EXIT_OK
    out.print(f"Đã thu hồi token {args.token_id}.")
    return EXIT_OK
