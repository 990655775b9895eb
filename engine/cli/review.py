"""`kehoach review list|accept|return` and `kehoach extension request|approve|refuse|list`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from rich.table import Table

from engine.cli.main import EXIT_OK, out
from engine.cli.state import LOCAL, InputError, past_moment
from engine.core.review import REQUEST_STATES, REQUEST_STATES_VI
from engine.store.database import open_store, utc_now
from engine.store.review import (
    ExtensionRequest,
    accept_completion,
    decide_extension,
    extension_requests,
    pending_reviews,
    request_extension,
    return_completion,
)


def register_cli(sub: Any) -> None:
    """Add the review and extension commands to the `kehoach` parser."""
    review = sub.add_parser("review", help="check reported completions: list, accept, return")
    actions = review.add_subparsers(metavar="ACTION")
    p = actions.add_parser("list", help="completions awaiting review")
    p.add_argument("--plan")
    p.add_argument("--reviewer", help="only the plans this agency reviews")
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=cmd_review_list, read_only=True)
    for name, helptext in (("accept", "accept a submitted completion"),
                           ("return", "return a submitted completion (it no longer counts)")):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("instance", metavar="INSTANCE_ID")
        p.add_argument("--reason", required=name == "return",
                       help="why (shown to the agency; required for return)")
        _who(p)
        p.set_defaults(command=cmd_review_decide, accept=name == "accept")

    ext = sub.add_parser("extension", help="deadline extensions: request, approve, refuse, list")
    actions = ext.add_subparsers(metavar="ACTION")
    p = actions.add_parser("request", help="ask for an instance's due date to move")
    p.add_argument("instance", metavar="INSTANCE_ID")
    p.add_argument("--due", required=True, help="the date proposed (YYYY-MM-DD)")
    p.add_argument("--reason", required=True, help="why more time is needed")
    _who(p)
    p.set_defaults(command=cmd_extension_request)
    for name, helptext in (("approve", "grant a request (with --due: another date)"),
                           ("refuse", "refuse a request, with a reason")):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("request", metavar="REQUEST_ID", type=int)
        if name == "approve":
            p.add_argument("--due", help="the date granted (default: the date asked)")
        p.add_argument("--reason", required=name == "refuse")
        _who(p)
        p.set_defaults(command=cmd_extension_decide, approve=name == "approve")
    p = actions.add_parser("list", help="extension requests (pending by default)")
    p.add_argument("--plan")
    p.add_argument("--state", choices=(*REQUEST_STATES, "all"), default="requested")
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=cmd_extension_list, read_only=True)


def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="agency", metavar="AGENCY",
                   help="the agency acting (checked: the lead, the reviewer or an approver); "
                   "default: an operator acting for it")
    p.add_argument("--at", help="when (ISO 8601, local time if no offset; default now; not "
                   "in the future)")
    p.add_argument("--actor", help="who, for the audit log (default: --as, else operator)")


def _moment_and_actor(args: argparse.Namespace) -> tuple[dt.datetime, str]:
    at = past_moment(args.at, what="it was asked or decided") if args.at else utc_now()
    return at, args.actor or args.agency or "operator"


def _date(text: str, *, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date: write YYYY-MM-DD "
                         "(e.g. 2024-03-05)") from None


def cmd_review_list(args: argparse.Namespace) -> int:
    with open_store().transaction() as tx:
        found = pending_reviews(tx, plan=args.plan, reviewer=args.reviewer)
    if args.json:
        json.dump([r.to_json() for r in found], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    table = Table(title=f"Báo cáo hoàn thành chờ xem xét: {len(found)}")
    for name in ("Đầu việc", "Hạn", "Báo hoàn thành lúc", "Người xem xét", "Minh chứng"):
        table.add_column(name, overflow="fold")
    for r in found:
        table.add_row(r.instance_id, f"{r.due_date:%d/%m/%Y}" if r.due_date else "",
                      f"{r.completed_at.astimezone(LOCAL):%d/%m/%Y %H:%M}", r.reviewer,
                      r.evidence_url or "")
    out.print(table)
    return EXIT_OK


def cmd_review_decide(args: argparse.Namespace) -> int:
    at, actor = _moment_and_actor(args)
    with open_store().transaction() as tx:
        if args.accept:
            view = accept_completion(tx, instance_id=args.instance, actor=actor,
                                     agency=args.agency, now=at, source="cli", note=args.reason)
        else:
            view = return_completion(tx, instance_id=args.instance, actor=actor,
                                     agency=args.agency, now=at, source="cli",
                                     reason=args.reason)
    if args.accept:
        out.print(f"Đã chấp nhận báo cáo hoàn thành {view.id}")
    else:
        due = f"{view.due_date:%d/%m/%Y}" if view.due_date else "—"
        out.print(f"Đã trả lại báo cáo hoàn thành {view.id}: tính là chưa hoàn thành, hạn "
                  f"{due} giữ nguyên; cơ quan chủ trì được báo trong thư nhắc việc kế tiếp")
    return EXIT_OK


def cmd_extension_request(args: argparse.Namespace) -> int:
    due = _date(args.due, option="--due")
    at, actor = _moment_and_actor(args)
    with open_store().transaction() as tx:
        asked = request_extension(tx, instance_id=args.instance, due=due, reason=args.reason,
                                  actor=actor, agency=args.agency, now=at, source="cli")
    out.print(f"Đã ghi nhận đề nghị gia hạn số {asked.id}: {asked.instance_id}, từ "
              f"{asked.previous_due:%d/%m/%Y} đến {asked.requested_due:%d/%m/%Y}; chờ quyết định")
    return EXIT_OK


def cmd_extension_decide(args: argparse.Namespace) -> int:
    due = _date(args.due, option="--due") if getattr(args, "due", None) else None
    at, actor = _moment_and_actor(args)
    with open_store().transaction() as tx:
        decided = decide_extension(tx, request_id=args.request, approve=args.approve,
                                   actor=actor, agency=args.agency, now=at, source="cli",
                                   due=due, reason=args.reason)
    if decided.granted_due is not None:
        out.print(f"Đã chấp thuận đề nghị gia hạn số {decided.id}: {decided.instance_id} "
                  f"có thời hạn mới {decided.granted_due:%d/%m/%Y} (hạn cũ "
                  f"{decided.previous_due:%d/%m/%Y})")
    else:
        out.print(f"Đã ghi nhận không chấp thuận đề nghị gia hạn số {decided.id}")
    return EXIT_OK


def cmd_extension_list(args: argparse.Namespace) -> int:
    state = None if args.state == "all" else args.state
    with open_store().transaction() as tx:
        found = extension_requests(tx, plan=args.plan, state=state)
    if args.json:
        json.dump([r.to_json() for r in found], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    out.print(_table(found))
    return EXIT_OK


def _table(found: list[ExtensionRequest]) -> Table:
    table = Table(title=f"Đề nghị gia hạn: {len(found)}")
    for name in ("Số", "Đầu việc", "Hạn cũ", "Đề nghị", "Trạng thái", "Hạn mới", "Lý do"):
        table.add_column(name, overflow="fold")
    for r in found:
        table.add_row(str(r.id), r.instance_id, f"{r.previous_due:%d/%m/%Y}",
                      f"{r.requested_due:%d/%m/%Y}", REQUEST_STATES_VI[r.state],
                      f"{r.granted_due:%d/%m/%Y}" if r.granted_due else "",
                      r.decision_reason or r.reason)
    return table
