"""The period report as the document the standing unit sends, laid out per Decree 30/2020/NĐ-CP.

Appendix I of the decree fixes the layout of an administrative document: A4, margins (top and
bottom 20-25 mm, left 30-35 mm, right 15-20 mm), Times New Roman 13-14 pt; a two-column
header with the governing body over the issuing unit at left and the national motto at
right, each underlined by a short rule; the number line under the unit and the place and
date line under the motto; the document type and its summary centred; the "Nơi nhận" block
at left and the signer's block at right. Number and date are left blank for the clerk, the
signature for the signer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from engine.core.status import STATUS_LABELS_VI, Status
from engine.reports.model import Figures, Letterhead, Report
from engine.reports.vietnamese import (
    capital,
    format_date,
    format_number,
    format_rate,
    period_name,
    span_name,
    upper_vi,
)

FONT = "Times New Roman"
BODY_PT, TABLE_PT, RECIPIENTS_PT = 14, 12, 11
HEAD_LEFT_MM, HEAD_RIGHT_MM = 72, 98  # a little wider than the text: the motto fits one line
BLANK = "\u00a0" * 6  # room for the clerk to write a number or a day in
CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
ROMAN = ["I", "II", "III", "IV", "V", "VI"]
SPAN_ROWS = [("Tổng số đầu việc", None), *[(STATUS_LABELS_VI[s], s) for s in Status]]
OVERDUE_HEADERS = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn theo Kế hoạch",
                   "Thời hạn thực tế", "Số ngày chậm (ngày làm việc)"]
RANKING_HEADERS = ["Xếp hạng", "Cơ quan", "Số đầu việc", "Đã hoàn thành",
                   "Quá hạn chưa hoàn thành", "Tỷ lệ hoàn thành", "Tỷ lệ đúng hạn"]
TARGET_HEADERS = ["STT", "Nhiệm vụ", "Chỉ tiêu", "Đạt được", "Tỷ lệ"]
EXTENSION_HEADERS = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn cũ", "Thời hạn mới",
                     "Người gia hạn"]
RETURN_HEADERS = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Ngày báo hoàn thành", "Ngày trả lại",
                  "Người trả lại", "Lý do"]


def write_docx(report: Report, path: Path) -> None:
    """Write `report` as a DOCX at `path` (see the module docstring for the layout)."""
    document = Document()
    _page_and_fonts(document, report)
    head = report.letterhead or Letterhead(report.plan, report.plan, report.plan, "", "")
    _letterhead(document, head)
    _title(document, report)
    _body(document, report, head)
    _closing(document, head)
    document.save(str(path))


def _page_and_fonts(document: Any, report: Report) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    for name in ("Normal", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        style.font.name, style.font.size = FONT, Pt(BODY_PT)
        fonts = style.element.get_or_add_rPr()
        names = fonts.get_or_add_rFonts()
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            names.attrib.pop(qn(theme), None)  # a theme font would override Times New Roman
        for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            names.set(qn(script), FONT)
        _set_language(fonts)
    for name in ("Heading 1", "Heading 2"):
        heading = document.styles[name]
        heading.font.bold, heading.font.italic = True, False
        heading.font.color.rgb = None
        heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(6), Pt(6)
        heading.paragraph_format.first_line_indent = Mm(10)
        heading.paragraph_format.keep_with_next = True
    normal = document.styles["Normal"].paragraph_format
    normal.space_before, normal.space_after, normal.line_spacing = Pt(0), Pt(6), 1.15
    _page_numbers(section)
    props = document.core_properties
    head = report.letterhead
    props.title = f"Báo cáo kết quả thực hiện Kế hoạch, {period_name(report.period)}"
    props.subject, props.keywords, props.category = report.title, "báo cáo", "Báo cáo"
    props.author = props.last_modified_by = head.unit if head else report.plan
    props.comments, props.language = "", "vi-VN"
    props.created = props.modified = report.as_of


def _set_language(run_properties: Any) -> None:
    """Mark the text as Vietnamese, so a word processor checks its spelling as Vietnamese."""
    lang = run_properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_properties.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), "vi-VN")


def _page_numbers(section: Any) -> None:
    """Page numbers from the second page on, centred at the top (Decree 30, Appendix I)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _letterhead(document: Any, head: Letterhead) -> None:
    """The two-column header: issuing body and number at left; motto and date at right."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    _widths(table, [HEAD_LEFT_MM, HEAD_RIGHT_MM])
    for n, text in enumerate(_issuer_lines(upper_vi(head.issuer))):
        _line(left.paragraphs[0] if n == 0 else left.add_paragraph(), text, size=12)
    _line(left.add_paragraph(), upper_vi(head.unit), size=13, bold=True)
    _rule(left.add_paragraph(), width_mm=24, cell_mm=HEAD_LEFT_MM)
    _line(left.add_paragraph(), f"Số:{BLANK}{BLANK}/BC-{head.unit_abbr}", size=13)
    _line(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    _line(right.add_paragraph(), "Độc lập - Tự do - Hạnh phúc", size=13, bold=True)
    _rule(right.add_paragraph(), width_mm=62, cell_mm=HEAD_RIGHT_MM)
    date = f"{head.city}, ngày{BLANK}tháng{BLANK}năm{BLANK}" if head.city else \
        f"ngày{BLANK}tháng{BLANK}năm{BLANK}"
    _line(right.add_paragraph(), date, size=14, italic=True)


def _issuer_lines(name: str) -> list[str]:
    """The governing body on one line, or two when too long for the column: a People's
    Committee breaks after "ỦY BAN NHÂN DÂN" rather than before its last word."""
    prefix = "ỦY BAN NHÂN DÂN "
    if len(name) > 28 and name.startswith(prefix):
        return [prefix.strip(), name.removeprefix(prefix)]
    return [name]


def _line(paragraph: Any, text: str, *, size: int = BODY_PT, bold: bool = False,
          italic: bool = False, align: Any = CENTER) -> Any:
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = Mm(0)
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
    return paragraph


def _rule(paragraph: Any, *, width_mm: float, cell_mm: float) -> None:
    """A short centred rule: an empty paragraph with a bottom border, indented to its width."""
    fmt = paragraph.paragraph_format
    indent = max((cell_mm - width_mm) / 2 - 2, 0)  # the cell's own margins take ~2 mm a side
    fmt.left_indent = fmt.right_indent = Mm(indent)
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                       ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _title(document: Any, report: Report) -> None:
    """"BÁO CÁO" and its summary line: which plan, which period."""
    number = report.number or f"{BLANK}/KH-UBND"
    issuer = report.letterhead.issuer_short if report.letterhead else ""
    first = _line(document.add_paragraph(), "BÁO CÁO", bold=True)
    first.paragraph_format.space_before = Pt(18)
    summary = (f"Kết quả thực hiện Kế hoạch số {number} của {issuer} về "
               f"{_lower_first(report.title)}, {period_name(report.period)}")
    _line(document.add_paragraph(), summary, bold=True)
    _rule(document.add_paragraph(), width_mm=50, cell_mm=165)


def _lower_first(text: str) -> str:
    """A title continued after "về": its first letter lower-cased unless it is a name."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or first in ("Hà", "Thành", "Ủy") else text[:1].lower() + \
        text[1:]


def _body(document: Any, report: Report, head: Letterhead) -> None:
    as_of = format_date(report.as_of)
    _paragraph(document, f"Thực hiện Kế hoạch số {report.number or BLANK + '/KH-UBND'} của "
                         f"{head.issuer} về {_lower_first(report.title)}, {head.unit} báo cáo "
                         f"kết quả thực hiện {period_name(report.period)} (từ ngày "
                         f"{format_date(report.window_start)} đến ngày "
                         f"{format_date(report.window_end)}, số liệu tính đến ngày {as_of}) "
                         "như sau:")
    part = iter(ROMAN)
    document.add_heading(f"{next(part)}. KẾT QUẢ THỰC HIỆN", level=1)
    sections = [("Số liệu chung", _figures), ("Kết quả theo cơ quan", _ranking)]
    if report.targets:
        sections.append(("Chỉ tiêu đạt được", _targets))
    if report.extensions:
        sections.append(("Nhiệm vụ được gia hạn", _extensions))
    if report.returns:
        sections.append(("Kết quả hoàn thành bị trả lại", _returns))
    for n, (heading, write) in enumerate(sections, 1):
        document.add_heading(f"{n}. {heading}", level=2)
        write(document, report)
    document.add_heading(f"{next(part)}. NHIỆM VỤ QUÁ HẠN CHƯA HOÀN THÀNH", level=1)
    _overdue(document, report)


def _paragraph(document: Any, text: str, *, italic: bool = False) -> Any:
    paragraph = document.add_paragraph()
    paragraph.alignment = JUSTIFY
    paragraph.paragraph_format.first_line_indent = Mm(10)
    paragraph.add_run(text).font.italic = italic
    return paragraph


def _figures(document: Any, report: Report) -> None:
    spans = [s for s in (report.in_period, report.cumulative) if s is not None]
    proper = span_name(report.in_period.start, report.in_period.end) if report.in_period \
        else "trong kỳ"
    if report.in_period is not None:
        when = proper if proper.startswith("trong") else f"trong {proper}"
        _paragraph(document, _figures_sentence(capital(when), report.in_period))
    if report.cumulative is not None and report.cumulative != report.in_period:
        _paragraph(document, _figures_sentence("Lũy kế từ đầu năm", report.cumulative))
    names = [capital(proper), "Lũy kế từ đầu năm"]
    headers = ["Chỉ tiêu", *[f"{name} ({format_date(s.start)} - {format_date(s.end)})"
                             for name, s in zip(names, spans, strict=False)]]
    rows = [[label, *[format_number(s.row.total if status is None else s.row.counts[status])
                      for s in spans]] for label, status in SPAN_ROWS]
    rows.append(["Tỷ lệ hoàn thành", *[format_rate(s.row.completion_rate) for s in spans]])
    rows.append(["Tỷ lệ hoàn thành đúng hạn", *[format_rate(s.row.on_time_rate) for s in spans]])
    _table(document, headers, rows, widths=[75, 45, 45][:len(headers)])
    if report.period.isdigit():
        _paragraph(document, "Số liệu lũy kế cả năm tính cả các nhiệm vụ thường xuyên (không "
                             "có thời hạn cụ thể).", italic=True)


def _figures_sentence(when: str, span: Figures) -> str:
    row = span.row
    done = row.counts[Status.DONE_ON_TIME] + row.counts[Status.DONE_LATE]
    return (f"{when} (từ ngày {format_date(span.start)} đến ngày {format_date(span.end)}): "
            f"{format_number(row.total)} đầu việc; đã hoàn thành {format_number(done)} "
            f"({format_rate(row.completion_rate)}), trong đó đúng hạn "
            f"{format_number(row.counts[Status.DONE_ON_TIME])}, quá hạn "
            f"{format_number(row.counts[Status.DONE_LATE])}; đang thực hiện trong hạn "
            f"{format_number(row.counts[Status.ON_TRACK])}; quá hạn chưa hoàn thành "
            f"{format_number(row.counts[Status.OVERDUE])}.")


def _ranking(document: Any, report: Report) -> None:
    _paragraph(document, "Các cơ quan xếp theo tỷ lệ hoàn thành (cao trước), rồi theo tỷ lệ "
                         "hoàn thành đúng hạn; cùng tỷ lệ thì cùng hạng, kể theo tên:")
    rows = [[str(n), name, format_number(row.total),
             format_number(row.counts[Status.DONE_ON_TIME] + row.counts[Status.DONE_LATE]),
             format_number(row.counts[Status.OVERDUE]), format_rate(row.completion_rate),
             format_rate(row.on_time_rate)]
            for n, name, row in report.by_completion]
    _table(document, RANKING_HEADERS, rows, widths=[14, 62, 17, 18, 20, 17, 17])


def _targets(document: Any, report: Report) -> None:
    rows = [[str(n), t.title, f"{format_number(t.target)} {t.unit}".strip(),
             f"{format_number(t.reached)} {t.unit}".strip(), format_rate(t.rate)]
            for n, t in enumerate(report.targets, 1)]
    _table(document, TARGET_HEADERS, rows, widths=[12, 75, 28, 28, 22])


def _extensions(document: Any, report: Report) -> None:
    counts = report.review
    by = "; ".join(f"{name}: {format_number(n)}" for name, n in counts.by_approver.items())
    _paragraph(document, f"Có {format_number(counts.extended)} đầu việc được gia hạn (người "
                         f"gia hạn: {by}). Tổng số đề nghị gia hạn: "
                         f"{format_number(counts.requests)}, trong đó chấp thuận "
                         f"{format_number(counts.approved)}, không chấp thuận "
                         f"{format_number(counts.refused)}, đang chờ "
                         f"{format_number(counts.pending)}.")
    rows = [[str(n), e.title, e.agency, format_date(e.previous_due), format_date(e.new_due),
             f"{e.granted_by} ({format_date(e.granted_on)})"]
            for n, e in enumerate(report.extensions, 1)]
    _table(document, EXTENSION_HEADERS, rows, widths=[12, 45, 32, 24, 24, 28])


def _returns(document: Any, report: Report) -> None:
    counts = report.review
    _paragraph(document, f"Có {format_number(counts.returns)} lượt báo cáo hoàn thành bị trả "
                         f"lại ({format_number(counts.returned_instances)} đầu việc), trong đó "
                         f"{format_number(counts.open_after_return)} đầu việc chưa báo cáo "
                         f"hoàn thành lại đến ngày {format_date(report.as_of)}.")
    rows = [[str(n), r.title, r.agency, format_date(r.completed_on), format_date(r.returned_on),
             r.returned_by, r.reason] for n, r in enumerate(report.returns, 1)]
    _table(document, RETURN_HEADERS, rows, widths=[12, 35, 26, 24, 24, 22, 22])


def _overdue(document: Any, report: Report) -> None:
    if not report.overdue:
        _paragraph(document, f"Đến ngày {format_date(report.as_of)}, không có nhiệm vụ quá hạn "
                             "chưa hoàn thành.")
        return
    _paragraph(document, f"Đến ngày {format_date(report.as_of)}, còn "
                         f"{format_number(len(report.overdue))} đầu việc quá hạn chưa hoàn "
                         "thành (thời hạn thực tế là thời hạn theo Kế hoạch, lùi sang ngày làm "
                         "việc kế tiếp nếu trùng ngày nghỉ):")
    rows = [[str(n), o.title, o.agency, format_date(o.printed_due), format_date(o.due),
             format_number(o.days_late) if o.days_late is not None else "—"]
            for n, o in enumerate(report.overdue, 1)]
    _table(document, OVERDUE_HEADERS, rows, widths=[12, 53, 36, 24, 24, 16])


def _table(document: Any, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
           widths: Sequence[float]) -> Any:
    """A bordered table in 12 pt, its header row bold and repeated on every page."""
    document.paragraphs[-1].paragraph_format.keep_with_next = True  # its lead-in stays with it
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text in zip(header.cells, headers, strict=True):
        _cell(cell, text, bold=True, align=CENTER)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            numeric = _looks_numeric(text)
            _cell(cell, text, align=CENTER if numeric else WD_ALIGN_PARAGRAPH.LEFT)
    _widths(table, widths)
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def _widths(table: Any, widths: Sequence[float]) -> None:
    """Fixed column widths, set on the grid and on every cell (LibreOffice reads the grid,
    Word the cells)."""
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)


def _looks_numeric(text: str) -> bool:
    return bool(text) and all(c.isdigit() or c in ".,%/— " for c in text)


def _cell(cell: Any, text: str, *, bold: bool = False, align: Any = CENTER) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = Mm(0)
    paragraph.paragraph_format.line_spacing = 1.0
    run = paragraph.add_run(text)
    run.font.size, run.font.bold = Pt(TABLE_PT), bold


def _closing(document: Any, head: Letterhead) -> None:
    """The closing line, then "Nơi nhận" at left and the signer's block at right."""
    _paragraph(document, f"Trên đây là báo cáo của {head.unit}./.")
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    _widths(table, [80, 85])
    _line(left.paragraphs[0], "Nơi nhận:", size=12, bold=True, italic=True,
          align=WD_ALIGN_PARAGRAPH.LEFT)
    for text in (f"- {head.issuer_short} (để báo cáo);", f"- Lưu: VT, {head.unit_abbr}."):
        _line(left.add_paragraph(), text, size=RECIPIENTS_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(right.paragraphs[0], _signer_title(head.unit), bold=True)
    for _ in range(4):  # room for the signature and the seal
        _line(right.add_paragraph(), "")


def _signer_title(unit: str) -> str:
    """The head of the standing unit as the signature block names the post."""
    for prefix, title in (("Sở ", "GIÁM ĐỐC"), ("Văn phòng ", "CHÁNH VĂN PHÒNG"),
                          ("Ban ", "TRƯỞNG BAN"), ("Thanh tra ", "CHÁNH THANH TRA")):
        if unit.startswith(prefix):
            return title
    return "THỦ TRƯỞNG CƠ QUAN"
