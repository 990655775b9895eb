"""`kehoach token` sub-commands: create, list and revoke webhook API tokens."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from engine.auth import Role, issue_token, list_tokens, revoke_token, set_signature_policy
from engine.cli import EXIT_OK, out
from engine.errors import KehoachError
from engine.store import open_store, utc_now


class TokenOptionError(KehoachError, ValueError):
    """A `token create` option combination that makes no token."""


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
    p.add_argument("--note", help="what the token is for (shown in `token list`)")
    p.set_defaults(command=cmd_token_create)

    p = token.add_parser("list", help="list tokens (never their secrets)")
    p.set_defaults(command=cmd_token_list)

    p = token.add_parser("revoke", help="revoke a token at once")
    p.add_argument("token_id", metavar="ID")
    p.set_defaults(command=cmd_token_revoke)


def _role(args: argparse.Namespace) -> Role:
    role = Role.OPERATOR if args.operator else Role.CALENDAR if args.calendar else Role.AGENCY
    if role is not Role.OPERATOR and not (args.agency and args.directory):
        raise TokenOptionError("--agency and --directory are required (except with --operator)")
    if args.require_signature and role is not Role.AGENCY:
        raise TokenOptionError("--require-signature applies to agency tokens only")
    return role


def cmd_token_create(args: argparse.Namespace) -> int:
    role = _role(args)
    directory = None if role is Role.OPERATOR else args.directory
    agency = None if role is Role.OPERATOR else args.agency
    with open_store().transaction() as session:
        issued = issue_token(session, role=role, directory_id=directory, agency_id=agency,
                             now=utc_now(), note=args.note)
        if args.require_signature:
            set_signature_policy(session, directory_id=args.directory, agency_id=args.agency,
                                 required=True)
    who = "điều hành" if role is Role.OPERATOR else f"{agency} ({directory})"
    out.print(f"Đã tạo token {issued.id} loại {role.value} cho {who}.")
    out.print("Lưu ngay: token và khóa ký chỉ hiện một lần này.")
    out.print(f"token: {issued.token}")
    if role is not Role.CALENDAR:
        out.print(f"signing secret: {issued.signing_secret}")
    if args.require_signature:
        out.print(f"Từ nay mọi yêu cầu của {agency} phải có header Kehoach-Signature.")
    return EXIT_OK


def cmd_token_list(args: argparse.Namespace) -> int:
    with open_store().transaction() as session:
        tokens = list_tokens(session)
    table = Table(title=f"{len(tokens)} token(s)")
    for name in ("ID", "Role", "Directory", "Agency", "Created", "Revoked", "Signature"):
        table.add_column(name)
    for t in tokens:
        table.add_row(t.id, t.role.value, t.directory_id or "—", t.agency_id or "—",
                      f"{t.created_at:%d/%m/%Y %H:%M}",
                      f"{t.revoked_at:%d/%m/%Y %H:%M}" if t.revoked_at else "",
                      "required" if t.require_signature else "")
    out.print(table)
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    with open_store().transaction() as session:
        revoke_token(session, args.token_id, now=utc_now())
    out.print(f"Đã thu hồi token {args.token_id}.")
    return EXIT_OK
