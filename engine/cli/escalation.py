"""`kehoach` sub-commands of escalation: sweep, dispatch, outbox list."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from engine.cli.main import EXIT_OK, out
from engine.cli.state import parse_moment
from engine.core.policy import DEFAULT_POLICY, LEVEL_LABELS_VI
from engine.mail.dispatch import STATUSES, dispatch, list_outbox
from engine.settings import Settings
from engine.store.database import open_store, utc_now
from engine.sweep.run import run_sweep
from notifiers import close_notifier, notifier_from_settings

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
STATUS_VI = {"queued": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi", "failed": "lỗi"}


def register_cli(sub: Any) -> None:
    """Add `sweep`, `dispatch` and `outbox` to the `kehoach` parser."""
    p = sub.add_parser("sweep", help="decide reminders and escalations, queue digests")
    p.add_argument("--as-of", help="date (start of that local day) or ISO time; default now")
    p.add_argument("--plan", help="sweep only this plan id")
    p.set_defaults(command=cmd_sweep)

    p = sub.add_parser("dispatch", help="send the queued digests (retries with backoff)")
    p.add_argument("--retry-now", action="store_true", help="skip the backoff wait")
    p.add_argument("--via", choices=("smtp", "folder"),
                   help="smtp (KEHOACH_SMTP_*) or folder (.eml files in KEHOACH_MAIL_FOLDER); "
                        "default: folder if KEHOACH_MAIL_FOLDER is set, else smtp")
    p.add_argument("--limit", type=int, help="send at most this many messages")
    p.set_defaults(command=cmd_dispatch)

    outbox = sub.add_parser("outbox", help="the outbox of digests").add_subparsers(
        metavar="ACTION")
    p = outbox.add_parser("list", help="list messages and their delivery state")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--limit", type=int)
    p.set_defaults(command=cmd_outbox_list, read_only=True)  # (see cli.require_database)


def cmd_sweep(args: argparse.Namespace) -> int:
    settings = Settings()
    now = parse_moment(args.as_of, option="--as-of")
    store = open_store(settings)
    with store.transaction() as tx:
        result = run_sweep(tx, now=now, plan=args.plan, message_domain=settings.message_domain())
    out.print(f"Quét nhắc việc tính đến {now.astimezone(LOCAL):%d/%m/%Y %H:%M} "
              f"(sweep {result.sweep_id}): {result.escalations} mức mới, "
              f"{len(result.messages)} thư chờ gửi")
    for plan in result.skipped:
        out.print(f"  {plan}: đã quét đến thời điểm này hoặc muộn hơn — không có gì mới")
    table = Table("Mức", "Số đầu việc", title_justify="left")
    for level, count in _in_policy_order(result.reached):
        table.add_row(LEVEL_LABELS_VI.get(level, level), str(count))
    if result.reached:
        out.print(table)
    return EXIT_OK


def _in_policy_order(reached: Mapping[str, int]) -> list[tuple[str, int]]:
    """The levels of the default policy in the order they are reached, then any other."""
    order = {level.name: n for n, level in enumerate(DEFAULT_POLICY.levels)}
    return sorted(reached.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def cmd_dispatch(args: argparse.Namespace) -> int:
    settings = Settings()
    store = open_store(settings)
    notifier = notifier_from_settings(settings, via=args.via)
    try:
        result = dispatch(store, notifier=notifier, now=utc_now(), retry_now=args.retry_now,
                          limit=args.limit, settings=settings)
    finally:
        close_notifier(notifier)
    out.print(f"Đã gửi {result.sent}; gửi lại sau {result.retrying}; lỗi {result.failed}")
    for problem in result.problems:
        kind = "lỗi" if problem.permanent else "sẽ gửi lại"
        out.print(f"  #{problem.outbox_id} {problem.recipient} ({kind}): {problem.error}")
    if result.stopped_early:
        out.print("Dừng sớm: máy chủ gửi thư có vẻ không hoạt động; chạy lại sau.")
    return EXIT_OK


def cmd_outbox_list(args: argparse.Namespace) -> int:
    store = open_store()
    with store.transaction() as tx:
        entries = list_outbox(tx, status=args.status, limit=args.limit)
    table = Table("ID", "Trạng thái", "Người nhận", "Tiêu đề", "Lần gửi", "Gửi lại lúc",
                  "Lỗi gần nhất", title="Hộp thư đi", title_justify="left")
    for e in entries:
        table.add_row(str(e.id), STATUS_VI.get(e.status, e.status),
                      f"{e.recipient}\n{', '.join(e.to) or '(không có địa chỉ)'}", e.subject,
                      str(e.attempts), _when(e.next_attempt_at if e.status == "queued" else None),
                      e.last_error or "")
    out.print(table)
    out.print(f"{len(entries)} thư")
    return EXIT_OK


def _when(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(LOCAL):%d/%m/%Y %H:%M}" if moment else ""
