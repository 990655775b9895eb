"""An agency's deadlines as an iCalendar (RFC 5545) feed that calendar apps subscribe to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.api.models import LOCAL
from engine.core.status import STATUS_LABELS_VI, InstanceState, Status, status_at
from engine.store.tables import AgencyRow, InstanceRow, PlanRow, TaskRow

TZID = "Asia/Ho_Chi_Minh"
# RFC 5545 3.8.4.7: a UID should be globally unique; the instance id is unique per database.
UID_DOMAIN = "kehoach.invalid"
# Vietnam has kept UTC+7 without daylight saving since 1975.
VTIMEZONE = ["BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19750613T000000",
             "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:ICT", "END:STANDARD",
             "END:VTIMEZONE"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """One dated instance as the feed shows it."""

    instance_id: str
    plan_number: str
    task_title: str
    period: str
    due: dt.datetime
    status: Status


def agency_deadlines(session: Session, *, plans: Iterable[str], agency: str,
                     now: dt.datetime) -> list[Deadline]:
    """The dated instances `agency` leads in `plans`, soonest first."""
    i, t, p = InstanceRow, TaskRow, PlanRow
    query = (select(i.id, p.number, t.title, i.period, i.due_at, i.completed_at, i.waived_at)
             .join(t, (t.plan_id == i.plan_id) & (t.id == i.task_id))
             .join(p, p.id == i.plan_id)
             .where(i.plan_id.in_(list(plans)), i.agency_id == agency, i.due_at.is_not(None))
             .order_by(i.due_at, i.id))
    found = []
    for iid, number, title, period, due, completed, waived in session.execute(query):
        state = InstanceState(completed_at=completed, waived_at=waived)
        found.append(Deadline(iid, number, title, period, due, status_at(due, state, now=now)))
    return found


def agency_name(session: Session, *, plans: Iterable[str], agency: str) -> str:
    """The agency's name in the directory of `plans` (its id if it has none)."""
    name = session.scalar(select(AgencyRow.name).where(
        AgencyRow.plan_id.in_(list(plans)), AgencyRow.id == agency).limit(1))
    return name or agency


def render_calendar(deadlines: Iterable[Deadline], *, agency: str, now: dt.datetime) -> str:
    """The feed text: a VCALENDAR named for `agency` (its name) with one all-day VEVENT per
    deadline, UID = instance id @ UID_DOMAIN."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kehoach//webhook API//VI",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", _text("X-WR-CALNAME", f"Hạn nhiệm vụ — "
                                                           f"{agency}"),
             f"X-WR-TIMEZONE:{TZID}", *VTIMEZONE]
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for d in deadlines:
        lines += _event(d, stamp)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _event(d: Deadline, stamp: str) -> list[str]:
    # An all-day event on the due date: calendar apps show a deadline as the day's banner,
    # where a timed one (it ends at 23:59:59) looked like an appointment at 11 pm. The exact
    # time is in the description.
    due = d.due.astimezone(LOCAL)
    number = f" (Kế hoạch {d.plan_number})" if d.plan_number else ""
    return ["BEGIN:VEVENT", _text("UID", f"{d.instance_id}@{UID_DOMAIN}"), f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{due.date() + dt.timedelta(days=1):%Y%m%d}",
            _text("SUMMARY", f"Hạn: {d.task_title} — kỳ {d.period}"),
            _text("DESCRIPTION", f"Hạn chót {due:%H:%M %d/%m/%Y}{number}. Tình trạng: "
                                 f"{STATUS_LABELS_VI[d.status]}. Mã: {d.instance_id}"),
            "TRANSP:TRANSPARENT", "END:VEVENT"]


def _text(name: str, value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
               .replace("\r\n", "\\n").replace("\n", "\\n"))
    return f"{name}:{escaped}"


def _fold(line: str) -> str:
    # RFC 5545 3.1: lines longer than 75 octets are folded; never split a UTF-8 character.
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)
