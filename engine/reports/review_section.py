"""The report's review section: deadlines extended ("được gia hạn") and completions returned
("trả lại") in a window, from engine.store.review, agencies by their directory names."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.review import APPROVED
from engine.core.status import EventKind
from engine.reports.lines import ExtensionLine, ReturnLine, ReviewCounts
from engine.store.metrics import window, window_filter
from engine.store.queries import require_plan
from engine.store.review import extension_figures, extension_requests, returned_figures
from engine.store.tables import EventRow, InstanceRow

OPERATOR = "operator"  # an operator token acting for the approver: "operator:<token>"


def review_section(session: Session, *, plan: str, period: str, as_of: dt.datetime,
                   titles: dict[str, str], names: dict[str, str],
                   ) -> tuple[ReviewCounts, list[ExtensionLine], list[ReturnLine]]:
    """The review figures of `plan` in the window `period` as of `as_of`, and the lines
    behind them: each approved extension, each returned completion."""
    extended = extension_figures(session, plan=plan, period=period, as_of=as_of)
    returned = returned_figures(session, plan=plan, period=period, as_of=as_of)
    counts = ReviewCounts(
        extended.extended, extended.requests, extended.approved, extended.refused,
        extended.pending, {who_name(k, names): n for k, n in extended.by_approver.items()},
        returned.returns, returned.instances, returned.open_after_return)
    in_window = _in_window(session, plan=plan, period=period)
    zone = ZoneInfo(require_plan(session, plan).timezone)
    extensions = [
        ExtensionLine(r.instance_id, titles.get(_task(r.instance_id), r.instance_id),
                      names.get(r.agency, r.agency), r.previous_due, r.granted_due,
                      who_name(r.decided_by or "", names), r.decided_at.astimezone(zone).date(),
                      r.reason)
        for r in extension_requests(session, plan=plan, state=APPROVED)
        if r.decided_at is not None and r.decided_at <= as_of and r.instance_id in in_window]
    returns = _returns(session, plan=plan, as_of=as_of, in_window=in_window, zone=zone,
                       titles=titles, names=names) if returned.returns else []
    return counts, extensions, returns


def who_name(actor: str, names: dict[str, str]) -> str:
    """An approver or reviewer as the report names it: the agency's name, or the operator."""
    if actor == OPERATOR or actor.startswith(f"{OPERATOR}:"):
        return "Người vận hành hệ thống"
    return names.get(actor, actor)


def _task(instance_id: str) -> str:
    return instance_id.split(":")[1] if instance_id.count(":") >= 3 else instance_id


def _in_window(session: Session, *, plan: str, period: str) -> set[str]:
    """The ids of the plan's instances a report of `period` counts (by printed deadline)."""
    win = window(require_plan(session, plan).year, period)
    sqlite = session.get_bind().dialect.name == "sqlite"
    return set(session.scalars(select(InstanceRow.id).where(
        InstanceRow.plan_id == plan, window_filter(win, sqlite=sqlite))))


def _returns(session: Session, *, plan: str, as_of: dt.datetime, in_window: set[str],
             zone: ZoneInfo, titles: dict[str, str], names: dict[str, str],
             ) -> list[ReturnLine]:
    """Each returned completion by `as_of`, with the completion it sent back."""
    v = EventRow
    reported: dict[str, dt.datetime] = {}
    lines: list[ReturnLine] = []
    leads: dict[str, str] = {iid: agency for iid, agency in session.execute(
        select(InstanceRow.id, InstanceRow.agency_id).where(
            InstanceRow.plan_id == plan, InstanceRow.id.in_(select(v.instance_id).where(
                v.plan_id == plan, v.kind == EventKind.RETURNED.value))))}
    for iid, kind, at, actor, reason in session.execute(
            select(v.instance_id, v.kind, v.at, v.actor, v.reason)
            .where(v.plan_id == plan, v.at <= as_of, v.instance_id.in_(list(leads)),
                   v.kind.in_((EventKind.COMPLETED.value, EventKind.RETURNED.value)))
            .order_by(v.id)):
        if kind == EventKind.COMPLETED.value:
            reported[iid] = at
        elif iid in in_window:
            done = reported.get(iid)
            lines.append(ReturnLine(iid, titles.get(_task(iid), iid),
                                    names.get(leads[iid], leads[iid]),
                                    done.astimezone(zone).date() if done else None,
                                    who_name(actor, names), at.astimezone(zone).date(),
                                    reason or ""))
    return lines
