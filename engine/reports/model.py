"""Period reports: gather metrics per task and agency, write them as JSON, CSV or XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.spec import GROUP_PREFIX
from engine.core.status import STATUS_LABELS_VI, Status
from engine.core.yamltext import load_sections
from engine.store.events import NotFoundError
from engine.store.metrics import MetricRow, end_of_window, lag_rank, rollup, window
from engine.store.queries import require_plan
from engine.store.tables import AgencyRow, RevisionRow, TaskRow

HEADERS_VI = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn",
              "Số đầu việc", *[STATUS_LABELS_VI[s] for s in Status], "Tỷ lệ hoàn thành",
              "Tỷ lệ đúng hạn"]
AGENCY_HEADERS_VI = ["Xếp hạng", "Cơ quan", "Số đầu việc", *[STATUS_LABELS_VI[s] for s in Status],
                     "Tỷ lệ hoàn thành", "Tỷ lệ đúng hạn", "Số ngày trễ (trung vị)",
                     "Số ngày trễ (nhiều nhất)"]


@dataclass
class Report:
    """Everything a period report shows, gathered in one read transaction."""

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

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "number": self.number, "title": self.title,
                "period": self.period, "window": [self.window_start.isoformat(),
                                                  self.window_end.isoformat()],
                "as_of": self.as_of.isoformat(), "total": self.total.to_json(),
                "tasks": [{**task, **row.to_json()} for task, row in self.tasks],
                "agencies": [{"name": name, **row.to_json()} for name, row in self.agencies]}


def build_report(session: Session, *, plan: str, period: str,
                 as_of: dt.datetime | None = None) -> Report:
    """Gather the metrics of `plan` over the window `period` (see engine.store.metrics)."""
    row = require_plan(session, plan)
    win = window(row.year, period)
    as_of = as_of or end_of_window(win, ZoneInfo(row.timezone))
    names = {a.id: a.name for a in session.scalars(
        select(AgencyRow).where(AgencyRow.plan_id == plan))}
    names |= _group_names(session, row.id, row.revision)
    by_task = {m.key: m for m in rollup(session, plan=plan, period=period, by="task",
                                        as_of=as_of)}
    tasks = [(_task_cells(t, names), by_task.get(t.id, MetricRow(t.id)))
             for t in session.scalars(select(TaskRow).where(TaskRow.plan_id == plan)
                                      .order_by(TaskRow.position))]
    # Agencies equally behind are listed by name, as a reader looks them up, not by id.
    agencies = sorted(((names.get(m.key, m.key), m) for m in rollup(
        session, plan=plan, period=period, by="agency", as_of=as_of)),
        key=lambda item: (lag_rank(item[1]), vietnamese_sort_key(item[0])))
    totals = rollup(session, plan=plan, period=period, by="plan", as_of=as_of)
    return Report(plan, row.number, row.title, period, win.start, win.end, as_of,
                  totals[0] if totals else MetricRow(plan), tasks, agencies)


def _group_names(session: Session, plan: str, revision: int) -> dict[str, str]:
    """The plan's directory groups by reference ("group:so-ban-nganh" -> "Các Sở, ban,
    ngành Thành phố"): groups are kept only in the directory text stored with a revision."""
    stored = session.get(RevisionRow, (plan, revision))
    if stored is None:
        raise NotFoundError("plan revision", f"{plan}@{revision}")
    groups = load_sections(stored.directory_yaml, ("groups",)).get("groups") or ()
    return {f"{GROUP_PREFIX}{g['id']}": str(g["name"]) for g in groups}


def _task_cells(task: TaskRow, names: dict[str, str]) -> dict[str, Any]:
    def show(refs: list[str]) -> str:
        return "; ".join(names.get(r, r.removeprefix(GROUP_PREFIX)) for r in refs)

    return {"task": task.id, "position": task.position, "title": task.title,
            "lead": show(task.lead), "coordinators": show(task.coordinators),
            "due_phrase": task.due_phrase}


# Vietnamese alphabetical order (CLDR "vi"): letters a ă â b c d đ e ê ... o ô ơ ... u ư ...
# first; then tones, none < huyền < hỏi < ngã < sắc < nặng; then lower before upper case.
_LETTER_RANK = {c: 0x110000 + n for n, c in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...],
                                            str]:
    """A key sorting `text` in Vietnamese alphabetical order, without system locales.

    Letters compare first ("Đông Anh" after "Dương Xá", before "Gia Lâm"), then tone marks
    ("Ma" < "Mà" < "Mả" < "Mã" < "Má" < "Mạ"), then case. Other characters (spaces,
    digits, punctuation) sort before letters, by code point.
    """
    letters, tones, cases = [], [], []
    for char in unicodedata.normalize("NFC", text):
        marks = unicodedata.normalize("NFD", char)
        toneless = unicodedata.normalize("NFC", "".join(m for m in marks if m not in _TONE_RANK))
        lower = toneless.lower() or char  # a lone tone mark stays itself
        letters.append(_LETTER_RANK.get(lower, ord(lower[0])))
        tones.append(max((_TONE_RANK.get(m, 0) for m in marks), default=0))
        cases.append(int(toneless != lower))
    return tuple(letters), tuple(tones), tuple(cases), text


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


def _number(value: float | None) -> float | None:
    return value


def to_csv(report: Report) -> str:
    """The per-task table as CSV (UTF-8, Vietnamese headers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS_VI)
    for n, (task, row) in enumerate(report.tasks, 1):
        writer.writerow(task_line(n, task, row))
    return buffer.getvalue()


def write_xlsx(report: Report, path: Path) -> None:
    """An XLSX laid out like the plans' appendix tables, plus a sheet ranking agencies."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nhiệm vụ"
    title = f"Kế hoạch {report.number or '(chưa có số)'}: {report.title}"
    sheet.append([title])
    sheet.append([f"Kỳ báo cáo {report.period}: từ {report.window_start:%d/%m/%Y} đến "
                  f"{report.window_end:%d/%m/%Y}; số liệu tính đến {report.as_of:%d/%m/%Y}"])
    sheet.append(HEADERS_VI)
    for n, (task, row) in enumerate(report.tasks, 1):
        sheet.append(task_line(n, task, row, rate=_number))
    sheet.append(["", "Tổng cộng", "", "", "", report.total.total,
                  *[report.total.counts[s] for s in Status],
                  report.total.completion_rate, report.total.on_time_rate])
    _style(sheet, header_row=3, widths=[6, 60, 30, 30, 22] + [14] * 8, font=Font, align=Alignment)
    _as_percent(sheet, header_row=3, headers=HEADERS_VI)
    sheet.freeze_panes = "C4"  # the task and its headers stay in view
    ranking = book.create_sheet("Xếp hạng cơ quan")
    ranking.append([f"{title} — xếp hạng cơ quan chậm tiến độ, kỳ {report.period}"])
    ranking.append(AGENCY_HEADERS_VI)
    for rank, (name, row) in enumerate(report.agencies, 1):
        ranking.append(agency_line(rank, name, row, rate=_number, none=None))
    _style(ranking, header_row=2, widths=[9, 45] + [14] * 10, font=Font, align=Alignment)
    _as_percent(ranking, header_row=2, headers=AGENCY_HEADERS_VI)
    ranking.freeze_panes = "C3"
    book.save(path)


def _as_percent(sheet: Any, *, header_row: int, headers: list[str]) -> None:
    """Rates as numbers shown as percentages, so a spreadsheet can sort and sum them."""
    columns = [i + 1 for i, h in enumerate(headers) if h.startswith("Tỷ lệ")]
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if cell.column in columns:
                cell.number_format = "0%"


def _style(sheet: Any, *, header_row: int, widths: list[int], font: Any, align: Any) -> None:
    sheet["A1"].font = font(bold=True, size=13)
    for cell in sheet[header_row]:
        cell.font = font(bold=True)
        cell.alignment = align(wrap_text=True, vertical="center", horizontal="center")
    for index, width in enumerate(widths, 1):
        letter = sheet.cell(row=header_row, column=index).column_letter
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = align(wrap_text=True, vertical="top")
