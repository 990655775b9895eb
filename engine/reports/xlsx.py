"""The period report as an XLSX workbook laid out like the plans' appendix tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.core.status import STATUS_LABELS_VI, Status
from engine.reports.model import (
    AGENCY_HEADERS_VI,
    HEADERS_VI,
    Figures,
    Report,
    agency_line,
    task_line,
)
from engine.reports.vietnamese import capital, span_name

SPAN_HEADERS_VI = ["Chỉ tiêu", "Trong kỳ", "Lũy kế từ đầu năm"]
OVERDUE_HEADERS_VI = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn theo Kế hoạch",
                      "Thời hạn thực tế", "Số ngày chậm (ngày làm việc)"]
EXTENSION_HEADERS_VI = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn cũ", "Thời hạn mới",
                        "Người gia hạn", "Ngày gia hạn", "Lý do"]
RETURN_HEADERS_VI = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Ngày báo hoàn thành",
                     "Người trả lại", "Ngày trả lại", "Lý do"]


def _number(value: float | None) -> float | None:
    return value


def write_xlsx(report: Report, path: Path) -> None:
    """An XLSX laid out like the plans' appendix tables, plus sheets ranking agencies,
    the period against the year so far, the overdue instances and, when there are any,
    the extensions granted and the completions returned."""
    from openpyxl import Workbook

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
    _style(sheet, header_row=3, widths=[6, 60, 30, 30, 22] + [14] * 8)
    _as_percent(sheet, header_row=3, headers=HEADERS_VI)
    sheet.freeze_panes = "C4"  # the task and its headers stay in view
    ranking = book.create_sheet("Xếp hạng cơ quan")
    ranking.append([f"{title} — xếp hạng cơ quan chậm tiến độ, kỳ {report.period}"])
    ranking.append(AGENCY_HEADERS_VI)
    for rank, (name, row) in enumerate(report.agencies, 1):
        ranking.append(agency_line(rank, name, row, rate=_number, none=None))
    _style(ranking, header_row=2, widths=[9, 45] + [14] * 10)
    _as_percent(ranking, header_row=2, headers=AGENCY_HEADERS_VI)
    ranking.freeze_panes = "C3"
    _span_sheet(book, report, title)
    _list_sheets(book, report, title)
    book.save(path)


def _span_sheet(book: Any, report: Report, title: str) -> None:
    """The four-way figures of the period proper beside those from 1 January."""
    if report.in_period is None:
        return
    spans: list[Figures | None] = [report.in_period, report.cumulative]
    sheet = book.create_sheet("Trong kỳ và lũy kế")
    sheet.append([f"{title} — số liệu trong kỳ và lũy kế"])
    sheet.append(["", *[f"từ {s.start:%d/%m/%Y} đến {s.end:%d/%m/%Y}" if s else ""
                        for s in spans]])
    names = [capital(span_name(report.in_period.start, report.in_period.end))]
    sheet.append([SPAN_HEADERS_VI[0], *names, SPAN_HEADERS_VI[2]][:len(spans) + 1])
    sheet.append(["Tổng số đầu việc", *[s.row.total if s else None for s in spans]])
    for status in Status:
        sheet.append([STATUS_LABELS_VI[status], *[s.row.counts[status] if s else None
                                                  for s in spans]])
    sheet.append(["Tỷ lệ hoàn thành", *[s.row.completion_rate if s else None for s in spans]])
    sheet.append(["Tỷ lệ đúng hạn", *[s.row.on_time_rate if s else None for s in spans]])
    _style(sheet, header_row=3, widths=[34, 24, 24])
    for row in sheet.iter_rows(min_row=sheet.max_row - 1):
        for cell in row[1:]:
            cell.number_format = "0.0%"


def _list_sheets(book: Any, report: Report, title: str) -> None:
    """The overdue instances; the extensions and returns only when there are some."""
    overdue = [[n, o.title, o.agency, o.printed_due, o.due, o.days_late]
               for n, o in enumerate(report.overdue, 1)]
    extensions = [[n, e.title, e.agency, e.previous_due, e.new_due, e.granted_by, e.granted_on,
                   e.reason] for n, e in enumerate(report.extensions, 1)]
    returns = [[n, r.title, r.agency, r.completed_on, r.returned_by, r.returned_on, r.reason]
               for n, r in enumerate(report.returns, 1)]
    for name, headers, rows, always in (
            ("Quá hạn", OVERDUE_HEADERS_VI, overdue, True),
            ("Được gia hạn", EXTENSION_HEADERS_VI, extensions, False),
            ("Trả lại", RETURN_HEADERS_VI, returns, False)):
        if not rows and not always:
            continue
        sheet = book.create_sheet(name)
        sheet.append([f"{title} — {name.lower()}, kỳ {report.period}"])
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        _style(sheet, header_row=2, widths=[6, 60, 40] + [18] * (len(headers) - 3))
        for line in sheet.iter_rows(min_row=3):
            for cell in line:
                if cell.is_date:
                    cell.number_format = "dd/mm/yyyy"
        sheet.freeze_panes = "C3"


def _as_percent(sheet: Any, *, header_row: int, headers: list[str]) -> None:
    """Rates as numbers shown as percentages, so a spreadsheet can sort and sum them."""
    columns = [i + 1 for i, h in enumerate(headers) if h.startswith("Tỷ lệ")]
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if cell.column in columns:
                cell.number_format = "0%"


def _style(sheet: Any, *, header_row: int, widths: list[int]) -> None:
    from openpyxl.styles import Alignment, Font

    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, width in enumerate(widths, 1):
        letter = sheet.cell(row=header_row, column=index).column_letter
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
