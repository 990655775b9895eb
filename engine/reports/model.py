"""The period report model: every figure a report shows, gathered in one read transaction.

Every format renders this one model: JSON (`Report.to_json`), CSV (csv_text), XLSX (xlsx),
HTML (html_page) and DOCX (docx_document), so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.spec import GROUP_PREFIX
from engine.core.status import STATUS_LABELS_VI, Status
from engine.core.yamltext import load_sections
from engine.reports.lines import (
    ExtensionLine,
    Figures,
    Letterhead,
    OverdueLine,
    ReturnLine,
    ReviewCounts,
    TargetLine,
)
from engine.reports.review_section import review_section
from engine.reports.vietnamese import vietnamese_sort_key
from engine.store.events import NotFoundError
from engine.store.metrics import MetricRow, end_of_window, lag_rank, rollup, window
from engine.store.queries import instance_statuses, require_plan
from engine.store.tables import AgencyRow, PlanRow, RevisionRow, TaskRow

HEADERS_VI = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn",
              "Số đầu việc", *[STATUS_LABELS_VI[s] for s in Status], "Tỷ lệ hoàn thành",
              "Tỷ lệ đúng hạn"]
AGENCY_HEADERS_VI = ["Xếp hạng", "Cơ quan", "Số đầu việc", *[STATUS_LABELS_VI[s] for s in Status],
                     "Tỷ lệ hoàn thành", "Tỷ lệ đúng hạn", "Số ngày trễ (trung vị)",
                     "Số ngày trễ (nhiều nhất)"]
__all__ = ["ExtensionLine", "Figures", "Letterhead", "OverdueLine", "Report", "ReturnLine",
           "ReviewCounts", "TargetLine", "build_report", "vietnamese_sort_key"]


@dataclass
class Report:
    """Everything a period report shows, gathered in one read transaction.

    `total` is the window's figures (as the XLSX and HTML have always shown them);
    `in_period` the part of the window since the previous quarterly report (the quarter the
    window ends in; the whole window when it does not start on 1 January) and `cumulative`
    the figures from 1 January (None for a week).
    """

    plan: str
    number: str
    title: str
    period: str
    window_start: dt.date
    window_end: dt.date
    as_of: dt.datetime
    total: MetricRow
    tasks: list[tuple[dict[str, Any], MetricRow]]
    agencies: list[tuple[str, MetricRow]]
    letterhead: Letterhead | None = None
    in_period: Figures | None = None
    cumulative: Figures | None = None
    overdue: list[OverdueLine] = field(default_factory=list)
    targets: list[TargetLine] = field(default_factory=list)
    extensions: list[ExtensionLine] = field(default_factory=list)
    returns: list[ReturnLine] = field(default_factory=list)
    review: ReviewCounts = field(default_factory=ReviewCounts)

    @property
    def by_completion(self) -> list[tuple[int, str, MetricRow]]:
        """The agencies ranked by completion rate (highest first), then on-time rate; equal
        rates share a rank ("1, 2, 2, 4"), and are listed by name."""
        def rates(row: MetricRow) -> tuple[float, float]:
            rate, on_time = row.completion_rate, row.on_time_rate
            return (-(rate if rate is not None else -1.0),
                    -(on_time if on_time is not None else -1.0))

        ordered = sorted(self.agencies,
                         key=lambda item: (rates(item[1]), vietnamese_sort_key(item[0])))
        ranked: list[tuple[int, str, MetricRow]] = []
        for n, (name, row) in enumerate(ordered, 1):
            tied = ranked and rates(ranked[-1][2]) == rates(row)
            ranked.append((ranked[-1][0] if tied else n, name, row))
        return ranked

    def to_json(self) -> dict[str, Any]:
        def each(items: list[Any]) -> list[dict[str, Any]]:
            return [item.to_json() for item in items]

        return {"plan": self.plan, "number": self.number, "title": self.title,
                "period": self.period, "window": [self.window_start.isoformat(),
                                                  self.window_end.isoformat()],
                "as_of": self.as_of.isoformat(), "total": self.total.to_json(),
                "tasks": [{**task, **row.to_json()} for task, row in self.tasks],
                "agencies": [{"name": name, **row.to_json()} for name, row in self.agencies],
                "letterhead": self.letterhead.to_json() if self.letterhead else None,
                "in_period": self.in_period.to_json() if self.in_period else None,
                "cumulative": self.cumulative.to_json() if self.cumulative else None,
                "overdue": each(self.overdue), "targets": each(self.targets),
                "extensions": each(self.extensions), "returns": each(self.returns),
                "review": self.review.to_json()}


def build_report(session: Session, *, plan: str, period: str,
                 as_of: dt.datetime | None = None) -> Report:
    """Gather the metrics of `plan` over the window `period` (see engine.store.metrics)."""
    row = require_plan(session, plan)
    win = window(row.year, period)
    as_of = as_of or end_of_window(win, ZoneInfo(row.timezone))
    directory = _directory(session, row)
    names = {a.id: a.name for a in session.scalars(
        select(AgencyRow).where(AgencyRow.plan_id == plan))}
    names |= {f"{GROUP_PREFIX}{g['id']}": str(g["name"]) for g in directory.get("groups") or ()}
    task_rows = list(session.scalars(select(TaskRow).where(TaskRow.plan_id == plan)
                                     .order_by(TaskRow.position)))
    by_task = {m.key: m for m in rollup(session, plan=plan, period=period, by="task",
                                        as_of=as_of)}
    tasks = [(_task_cells(t, names), by_task.get(t.id, MetricRow(t.id))) for t in task_rows]
    # Agencies equally behind are listed by name, as a reader looks them up, not by id.
    agencies = sorted(((names.get(m.key, m.key), m) for m in rollup(
        session, plan=plan, period=period, by="agency", as_of=as_of)),
        key=lambda item: (lag_rank(item[1]), vietnamese_sort_key(item[0])))
    totals = rollup(session, plan=plan, period=period, by="plan", as_of=as_of)
    report = Report(plan, row.number, row.title, period, win.start, win.end, as_of,
                    totals[0] if totals else MetricRow(plan), tasks, agencies)
    report.letterhead = _letterhead(session, row, directory)
    report.in_period, report.cumulative = _spans(session, report, kind=win.kind)
    titles = {t.id: t.title for t in task_rows}
    report.overdue = _overdue(session, report, titles=titles, names=names)
    report.review, report.extensions, report.returns = review_section(
        session, plan=plan, period=period, as_of=as_of, titles=titles, names=names)
    report.targets = [TargetLine(t.id, t.title, t.target_unit or "", t.target_count * row.total,
                                 round((row.target_progress or 0) * t.target_count * row.total))
                      for t, (_, row) in zip(task_rows, tasks, strict=True)
                      if t.target_count and row.total]
    return report


def _directory(session: Session, plan: PlanRow) -> dict[str, Any]:
    """The directory stored with the plan's revision: its header, agencies and groups (groups
    and aliases are kept only in that text)."""
    stored = session.get(RevisionRow, (plan.id, plan.revision))
    if stored is None:
        raise NotFoundError("plan revision", f"{plan.id}@{plan.revision}")
    return load_sections(stored.directory_yaml, ("directory", "agencies", "groups"))


def _letterhead(session: Session, plan: PlanRow, directory: dict[str, Any]) -> Letterhead:
    agencies = {str(a["id"]): a for a in directory.get("agencies") or ()}
    issuer, unit = agencies.get(plan.issuer, {}), agencies.get(plan.monitor, {})
    unit_name = str(unit.get("name") or plan.monitor)
    # An all-capitals alias is the unit's abbreviation ("SNV"); else its initials.
    abbr = next((str(a) for a in unit.get("aliases") or () if str(a).isalpha()
                 and str(a).isupper() and len(str(a)) <= 8),
                "".join(w[0] for w in unit_name.split() if w[0].isalpha()).upper())
    return Letterhead(str(issuer.get("name") or plan.issuer),
                      str(issuer.get("short") or issuer.get("name") or plan.issuer),
                      unit_name, abbr, str((directory.get("directory") or {}).get("city") or ""))


def _spans(session: Session, report: Report, *, kind: str) -> tuple[Figures, Figures | None]:
    """The figures of the period proper and from 1 January, summed from month windows
    (instances fall in one month by printed deadline) where they are not the window itself."""
    start, end = report.window_start, report.window_end
    whole = Figures(start, end, report.total)
    if kind == "week":
        return whole, None
    year_start = dt.date(end.year, 1, 1)
    quarter_start = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
    proper = max(quarter_start, start) if start == year_start else start

    def months(first: dt.date) -> Figures:
        if first == start:
            return whole
        counts = dict.fromkeys(Status, 0)
        for month in range(first.month, end.month + 1):
            for row in rollup(session, plan=report.plan, period=f"{end.year}-{month:02d}",
                              by="plan", as_of=report.as_of):
                counts = {s: counts[s] + row.counts[s] for s in Status}
        return Figures(first, end, MetricRow(report.plan, counts=counts))

    return months(proper), months(year_start)


def _overdue(session: Session, report: Report, *, titles: dict[str, str],
             names: dict[str, str]) -> list[OverdueLine]:
    """The window's overdue instances, in task order then by agency name."""
    order = {task: n for n, task in enumerate(titles)}
    lines = [OverdueLine(s.id, s.task, titles.get(s.task, s.task), names.get(s.agency, s.agency),
                         s.printed_due, s.due.date() if s.due else None, s.days_late)
             for s in instance_statuses(session, plan=report.plan, as_of=report.as_of,
                                        status=Status.OVERDUE)
             if report.window_start <= (s.printed_due or (s.due.date() if s.due else
                                                          report.window_end))
             <= report.window_end]
    return sorted(lines, key=lambda line: (order.get(line.task, 0),
                                           vietnamese_sort_key(line.agency)))


def _task_cells(task: TaskRow, names: dict[str, str]) -> dict[str, Any]:
    def show(refs: list[str]) -> str:
        return "; ".join(names.get(r, r.removeprefix(GROUP_PREFIX)) for r in refs)

    return {"task": task.id, "position": task.position, "title": task.title,
            "lead": show(task.lead), "coordinators": show(task.coordinators),
            "due_phrase": task.due_phrase}


def percent(value: float | None) -> str:
    """A rate as a whole percentage ("79%"), or an em dash when there is none."""
    return f"{value:.0%}" if value is not None else "—"


Rate = Callable[[float | None], Any]


def task_line(n: int, task: dict[str, Any], row: MetricRow, *, rate: Rate = percent,
              ) -> list[Any]:
    """One task's row; `rate` shows a rate (text by default; a number for XLSX)."""
    return [n, task["title"], task["lead"], task["coordinators"], task["due_phrase"], row.total,
            *[row.counts[s] for s in Status], rate(row.completion_rate), rate(row.on_time_rate)]


def agency_line(rank: int, name: str, row: MetricRow, *, rate: Rate = percent,
                none: Any = "—") -> list[Any]:
    """One agency's ranking row; `none` stands for a figure there is none of."""
    return [rank, name, row.total, *[row.counts[s] for s in Status], rate(row.completion_rate),
            rate(row.on_time_rate), row.median_days_late if row.median_days_late is not None
            else none, row.worst_days_late if row.worst_days_late is not None else none]


