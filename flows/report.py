"""The period report flow: at the end of Q1, H1, 9M and Y, build and send the reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from sqlalchemy import select

from engine.core.status import STATUS_LABELS_VI, Status
from engine.reports.docx_document import write_docx
from engine.reports.html_page import render_html
from engine.reports.model import Report, build_report, percent
from engine.reports.xlsx import write_xlsx
from engine.settings import Settings
from engine.store.database import utc_now
from engine.store.queries import require_plan
from engine.store.tables import AgencyRow
from flows.tasks import publish_status_table, publish_summary, store_from
from notifiers import Via
from notifiers.base import Attachment

WINDOW_ENDS = {"Q1": (3, 31), "H1": (6, 30), "9M": (9, 30), "Y": (12, 31)}


def period_label(year: int, window: str) -> str:
    """"Q1" -> "2024-Q1"; "Y" -> "2024"."""
    if window not in WINDOW_ENDS:
        raise ValueError(f"unknown report window {window!r}; expected one of "
                         f"{', '.join(WINDOW_ENDS)}")
    return str(year) if window == "Y" else f"{year}-{window}"


def latest_window(today: dt.date) -> str:
    """The cumulative window that ended most recently on or before `today` (Y in January)."""
    ended = [w for w, (m, d) in WINDOW_ENDS.items() if dt.date(today.year, m, d) <= today]
    return ended[-1] if ended else "Y"


@task(name="build period reports")
def build_reports(plan: str, period: str, folder: str) -> tuple[Report, list[str]]:
    store = store_from()
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with store.transaction() as tx:
            report = build_report(tx, plan=plan, period=period)
            html = render_html(tx, report)
    finally:
        store.close()
    xlsx = target / f"bao-cao-{plan}-{period}.xlsx"
    write_xlsx(report, xlsx)
    page = target / f"bao-cao-{plan}-{period}.html"
    page.write_text(html, encoding="utf-8")
    document = target / f"bao-cao-{plan}-{period}.docx"
    write_docx(report, document)
    return report, [str(xlsx), str(page), str(document)]


@task(name="send period reports", retries=3, retry_delay_seconds=[10, 60, 300])
def send_reports(plan: str, report: Report, files: list[str], via: Via | None = None,
                 ) -> list[str]:
    """E-mail the reports to the plan's monitor and issuer; returns the addresses used."""
    from notifiers import OutgoingMessage, close_notifier, notifier_from_settings

    settings = Settings()
    to, cc = _recipients(plan)
    mime = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".html": "text/html",
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    attachments = [Attachment(Path(f).name, Path(f).read_bytes(), mime[Path(f).suffix])
                   for f in files]
    subject = (f"[kehoach] Báo cáo kỳ {report.period}: Kế hoạch {report.number or report.plan}"
               f" — hoàn thành {percent(report.total.completion_rate)}")
    text = _summary_text(report)
    message = OutgoingMessage(message_id=f"<report.{plan}.{report.period}@kehoach.example.org>",
                              to=tuple(to), cc=tuple(cc), subject=subject, text=text,
                              html=None, attachments=tuple(attachments))
    notifier = notifier_from_settings(settings, via=via)
    try:
        notifier.send(message)
    finally:
        close_notifier(notifier)
    return [*to, *cc]


def _recipients(plan: str) -> tuple[list[str], list[str]]:
    store = store_from()
    try:
        with store.transaction() as tx:
            row = require_plan(tx, plan)
            mails = {a.id: list(a.emails) for a in tx.scalars(
                select(AgencyRow).where(AgencyRow.plan_id == plan,
                                        AgencyRow.id.in_([row.monitor, row.issuer])))}
            return mails.get(row.monitor, []), mails.get(row.issuer, [])
    finally:
        store.close()


def _summary_text(report: Report) -> str:
    total = report.total
    lines = [f"Kế hoạch {report.number or report.plan}: {report.title}",
             f"Kỳ báo cáo {report.period} (từ {report.window_start:%d/%m/%Y} đến "
             f"{report.window_end:%d/%m/%Y}), số liệu tính đến {report.as_of:%d/%m/%Y}.", ""]
    lines += [f"- {STATUS_LABELS_VI[s]}: {total.counts[s]}" for s in Status]
    lines += [f"- Tỷ lệ hoàn thành: {percent(total.completion_rate)} "
              f"(đúng hạn {percent(total.on_time_rate)})", "",
              "Các cơ quan chậm tiến độ nhất:"]
    lines += [f"{n}. {name}: {row.counts[Status.OVERDUE]} nhiệm vụ quá hạn chưa hoàn thành"
              for n, (name, row) in enumerate(report.agencies[:10], 1)
              if row.counts[Status.OVERDUE]]
    lines += ["", "Chi tiết trong tệp đính kèm (XLSX theo mẫu phụ lục, HTML có biểu đồ, "
              "DOCX là dự thảo báo cáo theo thể thức văn bản hành chính)."]
    return "\n".join(lines)



@flow(name="kehoach-period-report")
def period_report_flow(plan: str, window: str | None = None, period: str | None = None,
                       send: bool = True, folder: str | None = None,
                       via: Via | None = None) -> dict[str, Any]:
    """Build the XLSX, HTML and DOCX reports of `plan` for a cumulative window and send them.

    Args:
        plan: the plan id.
        window: "Q1", "H1", "9M" or "Y" of the plan's year (default: the latest ended).
        period: an explicit period label instead of `window` ("2024-Q1", "2024-03"...).
        send: e-mail the reports to the plan's monitor (to) and issuer (cc).
        folder: where to write the files (default: KEHOACH_HOME/reports).
        via: "smtp", "folder" or "both" (see notifiers.notifier_from_settings).
    """
    logger = get_run_logger()
    store = store_from()
    try:
        with store.transaction() as tx:
            row = require_plan(tx, plan)
            year, tz = row.year, ZoneInfo(row.timezone)
    finally:
        store.close()
    today = utc_now().astimezone(tz).date()
    period = period or period_label(year, window or latest_window(min(today, dt.date(year, 12,
                                                                                      31))))
    folder = folder or str(Settings().home / "reports")
    report, files = build_reports(plan, period, folder)
    publish_status_table(plan, period, [m for _, m in report.agencies])
    publish_summary(f"report-{plan}-{period}", _summary_text(report).replace("\n", "  \n"),
                    f"Báo cáo {plan} kỳ {period}")
    sent = send_reports(plan, report, files, via) if send else []
    logger.info("report %s %s: %s; sent to %s", plan, period, files, sent or "nobody")
    return {"period": period, "files": files, "sent_to": sent,
            "totals": {s.value: report.total.counts[s] for s in Status},
            "completion": percent(report.total.completion_rate)}
