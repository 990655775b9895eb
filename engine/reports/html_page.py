"""A self-contained HTML report: status heat map, burn-up over the year, lagging ranking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.status import STATUS_LABELS_VI, Status
from engine.reports.model import Report, build_report, percent
from engine.reports.vietnamese import (
    capital,
    format_date,
    format_number,
    format_rate,
    span_name,
    vietnamese_sort_key,
)
from engine.store.metrics import Grid, MetricRow, rollup_grid
from engine.store.queries import require_plan
from engine.store.tables import AgencyRow, InstanceRow

_env = Environment(loader=PackageLoader("engine.reports", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
COLOURS = {Status.DONE_ON_TIME: "#2e7d32", Status.DONE_LATE: "#9ccc65",
           Status.ON_TRACK: "#90caf9", Status.OVERDUE: "#e53935", Status.WAIVED: "#bdbdbd"}
# Text on each colour: white on the dark ones, near-black on the light ones (white on the
# light green and blue was hard to read).
INKS = {Status.DONE_ON_TIME: "#ffffff", Status.DONE_LATE: "#1b1b1b",
        Status.ON_TRACK: "#1b1b1b", Status.OVERDUE: "#ffffff", Status.WAIVED: "#1b1b1b"}


@dataclass(frozen=True)
class HeatCell:
    """One agency in one month: the four-way counts and the colour of its completion rate."""

    counts: dict[Status, int]
    total: int
    colour: str
    title: str


def build_html_report(session: Session, *, plan: str, period: str,
                      as_of: dt.datetime | None = None) -> str:
    """The HTML report of `plan` for the window `period` (see engine.store.metrics.window)."""
    return render_html(session, build_report(session, plan=plan, period=period, as_of=as_of))


def render_html(session: Session, report: Report) -> str:
    """`report` as HTML; the session gives only what the charts draw (months, burn-up)."""
    plan = report.plan
    row = require_plan(session, plan)
    tz = ZoneInfo(row.timezone)
    months = [f"{row.year}-{m:02d}" for m in range(1, report.window_end.month + 1)]
    names = {a.id: a.short or a.name for a in session.scalars(
        select(AgencyRow).where(AgencyRow.plan_id == plan))}
    heat = heat_map(session, plan=plan, months=months, as_of=report.as_of)
    agencies = sorted(heat, key=lambda agency: vietnamese_sort_key(names.get(agency) or agency))
    template = _env.get_template("report.html.j2")
    return template.render(
        report=report, statuses=list(Status), labels=STATUS_LABELS_VI, colours=COLOURS, inks=INKS,
        months=months, heat=heat, agencies=agencies, names=names,
        burnup=burnup_svg(session, plan=plan, year=row.year, until=report.as_of.astimezone(tz)),
        lagging=report.agencies[:15], pct=percent, rate=format_rate, day=format_date,
        num=format_number,
        spans=[(capital(span_name(span.start, span.end)) if n == 0 else "Lũy kế từ đầu năm",
                span) for n, span in enumerate((report.in_period, report.cumulative)) if span],
        generated=report.as_of.astimezone(tz))


def heat_map(session: Session, *, plan: str, months: list[str], as_of: dt.datetime,
             agencies: Collection[str] | None = None) -> dict[str, dict[str, HeatCell]]:
    """Each agency's figures per month (each month's own window, status as of `as_of`), from
    one scan grouped by agency and month per year of `months`; `agencies` limits it to those."""
    heat: dict[str, dict[str, HeatCell]] = {}
    for year in sorted({month[:4] for month in months}):
        grid = rollup_grid(session, plan=plan, period=year, by=("agency", "month"),
                           as_of=as_of, only=agencies)
        heat_cells(grid, [m for m in months if m[:4] == year], into=heat)
    return heat


def heat_cells(grid: Grid, months: list[str], *,
               into: dict[str, dict[str, HeatCell]]) -> dict[str, dict[str, HeatCell]]:
    """The heat map's cells of an ("agency", "month") grid for `months` (which its window
    must hold), in the order of `months`, added to `into`."""
    agencies = sorted({key[0] for key in grid.cells}, key=lambda a: (a is None, a or ""))
    for month in months:
        for agency in agencies:
            metric = grid.cell(agency, month)
            if metric is not None:
                into.setdefault(agency, {})[month] = _cell(metric)
    return into


def _cell(metric: MetricRow) -> HeatCell:
    rate = metric.completion_rate
    overdue = metric.counts[Status.OVERDUE]
    colour = ("#eeeeee" if rate is None else "#e53935" if overdue and rate < 0.5
              else "#ffb74d" if overdue else "#2e7d32" if rate >= 0.999 else "#90caf9")
    title = "; ".join(f"{STATUS_LABELS_VI[s]}: {metric.counts[s]}" for s in Status
                      if metric.counts[s])
    return HeatCell(dict(metric.counts), metric.total, colour, title)


def burnup_svg(session: Session, *, plan: str, year: int, until: dt.datetime) -> dict[str, Any]:
    """Cumulative deadlines and completions per day of the year, as SVG polyline points."""
    c = InstanceRow
    due: dict[dt.date, int] = {day: n for day, n in session.execute(
        select(c.due_date, func.count()).where(c.plan_id == plan, c.due_date.is_not(None))
        .group_by(c.due_date)) if day}
    done: dict[dt.date, int] = {day: n for day, n in session.execute(
        select(c.completed_on, func.count()).where(c.plan_id == plan,
                                                   c.completed_on.is_not(None))
        .group_by(c.completed_on)) if day}
    start, days = dt.date(year, 1, 1), (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
    total = max(sum(due.values()), 1)
    width, height = 720, 260
    due_points, done_points, due_sum, done_sum = [], [], 0, 0
    for n in range(days):
        day = start + dt.timedelta(days=n)
        due_sum += due.get(day, 0)
        done_sum += done.get(day, 0)
        x = round(40 + n * (width - 60) / days, 1)
        due_points.append(f"{x},{round(height - 30 - due_sum * (height - 50) / total, 1)}")
        if day <= until.date():
            done_points.append(f"{x},{round(height - 30 - done_sum * (height - 50) / total, 1)}")
    return {"width": width, "height": height, "due": " ".join(due_points),
            "done": " ".join(done_points), "total": total, "done_total": done_sum,
            "months": [(round(40 + (dt.date(year, m, 1) - start).days * (width - 60) / days, 1),
                        f"T{m}") for m in range(1, 13)]}



__all__ = ["Report", "build_html_report", "render_html"]
