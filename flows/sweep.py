"""The daily sweep flow: escalate what is late, send the outbox, snapshot the metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task
from sqlalchemy import select

from engine.core.status import EventKind
from engine.mail.dispatch import DispatchResult, dispatch
from engine.settings import Settings
from engine.store.database import utc_now
from engine.store.tables import EventRow, PlanRow
from engine.store.tables_escalation import EscalationRow, SweepRow
from engine.sweep.run import SweepResult, run_sweep
from flows.tasks import (
    MAX_INSTANCE_EVENTS,
    emit_instance_events,
    metrics_snapshot,
    publish_status_table,
    publish_summary,
    store_from,
)
from notifiers import Via, close_notifier, notifier_from_settings


class ChannelDown(RuntimeError):
    """Dispatch stopped because the mail channel looks down; Prefect retries the task."""


@task(name="sweep")
def sweep_task(as_of: dt.datetime, plan: str | None) -> tuple[SweepResult, dt.datetime | None]:
    """Run the sweep in one transaction; also return when the previous sweep was."""
    settings = Settings()
    store = store_from(settings)
    try:
        with store.transaction() as tx:
            previous = tx.scalar(select(SweepRow.as_of).where(SweepRow.as_of < as_of)
                                 .order_by(SweepRow.as_of.desc()).limit(1))
            return run_sweep(tx, now=as_of, plan=plan,
                             message_domain=settings.message_domain()), previous
    finally:
        store.close()


@task(name="dispatch outbox", retries=3, retry_delay_seconds=[5, 30, 120])
def dispatch_task(as_of: dt.datetime, via: Via | None) -> DispatchResult:
    """Send the queued digests; raise (so Prefect retries) if the channel is down."""
    settings = Settings()
    store = store_from(settings)
    notifier = notifier_from_settings(settings, via=via)
    try:
        result = dispatch(store, notifier=notifier, now=as_of, settings=settings)
    finally:
        close_notifier(notifier)
        store.close()
    if result.stopped_early:
        problems = "; ".join(p.error for p in result.problems[:3])
        raise ChannelDown(f"{result.sent} sent, {result.retrying} queued again: {problems}")
    return result


def emit_events(sweep_id: int, since: dt.datetime | None, until: dt.datetime) -> dict[str, int]:
    """Prefect events for escalations reached in this sweep and completions since the last."""
    store = store_from()
    try:
        with store.transaction() as tx:
            reached = tx.execute(select(EscalationRow.instance_id, EscalationRow.level)
                                 .where(EscalationRow.sweep_id == sweep_id)
                                 .limit(MAX_INSTANCE_EVENTS)).all()
            done = select(EventRow.instance_id, EventRow.at, EventRow.source).where(
                EventRow.kind == EventKind.COMPLETED.value, EventRow.at <= until)
            if since is not None:
                done = done.where(EventRow.at > since)
            completed = tx.execute(done.limit(MAX_INSTANCE_EVENTS)).all()
    finally:
        store.close()
    return {
        "escalated": emit_instance_events("escalated", ((i, {"level": lv}) for i, lv in reached)),
        "overdue": emit_instance_events("overdue", ((i, {}) for i, lv in reached
                                                    if lv == "overdue")),
        "completed": emit_instance_events("completed", (
            (i, {"at": at.isoformat(), "source": src}) for i, at, src in completed)),
    }


def _current_window(plans: list[tuple[str, int]], as_of: dt.datetime) -> dict[str, str]:
    """For each plan, the cumulative window the sweep's morning falls in."""
    quarter = (as_of.month - 1) // 3 + 1
    label = {1: "Q1", 2: "H1", 3: "9M", 4: ""}[quarter]
    return {plan: f"{year}-{label}" if label and year == as_of.year else str(year)
            for plan, year in plans}


@flow(name="kehoach-daily-sweep")
def daily_sweep_flow(as_of: str | None = None, plan: str | None = None,
                     via: Via | None = None) -> dict[str, Any]:
    """Escalate late work as of `as_of` (ISO time; default now), send the outbox, report.

    Args:
        as_of: the moment to sweep at (the demo plays the year with it); default now.
        plan: sweep only this plan (default: every registered plan).
        via: "smtp", "folder" or "both" (default: KEHOACH_MAIL_FOLDER set -> folder, else SMTP).
    """
    logger = get_run_logger()
    moment = dt.datetime.fromisoformat(as_of) if as_of else utc_now()
    if moment.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a time zone offset, e.g. +07:00")
    swept, previous = sweep_task(moment, plan)
    sent = dispatch_task(moment, via)
    events = emit_events(swept.sweep_id, previous, moment)
    store = store_from()
    try:
        with store.transaction() as tx:
            plans = [(p, y) for p, y in tx.execute(select(PlanRow.id, PlanRow.year))
                     if plan is None or p == plan]
    finally:
        store.close()
    for plan_id, period in _current_window(plans, moment).items():
        publish_status_table(plan_id, period,
                             metrics_snapshot.fn(plan_id, period, as_of=moment))
    summary = (f"# Quét ngày {moment:%d/%m/%Y %H:%M}\n\n"
               f"- kế hoạch: {', '.join(swept.plans) or 'không có'}"
               f"{' (bỏ qua: ' + ', '.join(swept.skipped) + ')' if swept.skipped else ''}\n"
               f"- mức nhắc/đôn đốc mới: " + (", ".join(f"{k}: {v}" for k, v in
                                                        swept.reached.items()) or "không") +
               f"\n- thư đã gửi: {sent.sent}, chờ gửi lại: {sent.retrying}, lỗi: {sent.failed}\n"
               f"- sự kiện Prefect: {events}\n")
    publish_summary("daily-sweep", summary, f"Quét {moment:%d/%m/%Y}")
    logger.info("sweep %s: %s escalations, %s messages sent", moment.isoformat(),
                swept.escalations, sent.sent)
    return {"sweep_id": swept.sweep_id, "escalations": swept.escalations,
            "queued": len(swept.messages), "sent": sent.sent, "failed": sent.failed,
            "events": events}
