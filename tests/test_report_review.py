"""Extensions granted and completions returned in the period report, and the same figures in
every format (one model: JSON, XLSX, HTML, DOCX), on SQLite and PostgreSQL.

The story of tests/test_review_store.py: Sở Y tế reports "Ban hành Kế hoạch" done on 15/02,
Sở Nội vụ returns it on 19/02; Sở Tài chính asks on 16/02 to move 20/02 to 05/03 and the
People's Committee grants 01/03; Sở Tài chính is done on 28/02.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from engine.core.status import STATUS_LABELS_VI, EventKind, Status
from engine.reports.docx_document import write_docx
from engine.reports.html_page import render_html
from engine.reports.model import build_report
from engine.reports.vietnamese import format_number
from engine.reports.xlsx import write_xlsx
from engine.store.database import Store
from engine.store.events import record_event
from engine.store.review import decide_extension, return_completion
from tests.test_review_store import FINANCE, HEALTH, ask, submit
from tests.test_store import PLAN, event, local, register

TITLE = ("Ban hành Kế hoạch tuyên truyền CCHC năm 2024 của cơ quan, đơn vị, địa phương (có "
         "thể lồng ghép tại Kế hoạch CCHC năm 2024)")
REASON = "Thiếu chữ ký người có thẩm quyền"


def story(store: Store) -> None:
    register(store)
    submit(store, HEALTH, local(2024, 2, 15))
    with store.transaction() as tx:
        return_completion(tx, instance_id=HEALTH, actor="so-noi-vu", agency="so-noi-vu",
                          now=local(2024, 2, 19), source="test", reason=REASON)
    request = ask(store)
    with store.transaction() as tx:
        decide_extension(tx, request_id=request, approve=True, actor="ubnd-tp",
                         agency="ubnd-tp", now=local(2024, 2, 18), source="test",
                         due=local(2024, 3, 1).date())
        record_event(tx, event(FINANCE, EventKind.COMPLETED, local(2024, 2, 28)))


def test_extensions_and_returns_are_in_the_model_with_names_and_dates(store: Store) -> None:
    story(store)
    with store.transaction() as tx:
        report = build_report(tx, plan=PLAN, period="2024-Q1")
    assert report.review.extended == report.review.approved == 1
    assert report.review.by_approver == {"Ủy ban nhân dân thành phố Hà Nội": 1}
    (extended,) = report.extensions
    assert (extended.title, extended.agency, extended.granted_by) == (
        TITLE, "Sở Tài chính", "Ủy ban nhân dân thành phố Hà Nội")
    assert (extended.previous_due.isoformat(), extended.new_due and extended.new_due.isoformat(),
            extended.granted_on.isoformat()) == ("2024-02-20", "2024-03-01", "2024-02-18")
    (returned,) = report.returns
    assert (returned.agency, returned.returned_by, returned.reason) == ("Sở Y tế", "Sở Nội vụ",
                                                                      REASON)
    assert returned.completed_on and returned.completed_on.isoformat() == "2024-02-15"
    assert report.review.returns == 1 and report.review.open_after_return == 1
    doc = report.to_json()
    assert doc["extensions"][0]["granted_by"] == "Ủy ban nhân dân thành phố Hà Nội"
    assert doc["returns"][0]["reason"] == REASON and doc["review"]["returns"] == 1
    with store.transaction() as tx:  # before the decision (18/02) nothing was extended
        early = build_report(tx, plan=PLAN, period="2024-Q1", as_of=local(2024, 2, 17, 23))
    assert early.extensions == [] and early.review.pending == 1 and early.returns == []


def test_every_format_shows_the_extensions_and_returns(store: Store, tmp_path: Path) -> None:
    story(store)
    with store.transaction() as tx:
        report = build_report(tx, plan=PLAN, period="2024-Q1")
        html = render_html(tx, report)
    write_docx(report, tmp_path / "q1.docx")
    document = Document(str(tmp_path / "q1.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "4. Nhiệm vụ được gia hạn" in headings
    assert "5. Kết quả hoàn thành bị trả lại" in headings
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in document.tables]
    (extended,) = [t for t in tables if t[0][3:5] == ["Thời hạn cũ", "Thời hạn mới"]]
    assert extended[1][2:] == ["Sở Tài chính", "20/02/2024", "01/03/2024",
                               "Ủy ban nhân dân thành phố Hà Nội (18/02/2024)"]
    (returned,) = [t for t in tables if t[0][3:4] == ["Ngày báo hoàn thành"]]
    assert returned[1][1] == extended[1][1] == TITLE
    assert returned[1][2:] == ["Sở Y tế", "15/02/2024", "19/02/2024", "Sở Nội vụ", REASON]
    assert any("được gia hạn (người gia hạn: Ủy ban nhân dân thành phố Hà Nội: 1)" in p.text
               for p in document.paragraphs)
    write_xlsx(report, tmp_path / "q1.xlsx")
    book = load_workbook(tmp_path / "q1.xlsx")
    rows = list(book["Được gia hạn"].iter_rows(min_row=3, values_only=True))
    assert rows[0][2] == "Sở Tài chính" and rows[0][5] == "Ủy ban nhân dân thành phố Hà Nội"
    (back,) = book["Trả lại"].iter_rows(min_row=3, values_only=True)
    assert back[6] == REASON
    assert 'id="gia-han"' in html and 'id="tra-lai"' in html and REASON in html


def test_the_docx_xlsx_and_html_show_the_same_figures(store: Store, tmp_path: Path) -> None:
    story(store)
    with store.transaction() as tx:
        report = build_report(tx, plan=PLAN, period="2024-Q1")
        html = render_html(tx, report)
    total = report.total
    write_xlsx(report, tmp_path / "q1.xlsx")
    book = load_workbook(tmp_path / "q1.xlsx")
    (sum_row,) = [r for r in book["Nhiệm vụ"].iter_rows(min_row=4, values_only=True)
                  if r[1] == "Tổng cộng"]
    assert list(sum_row[5:11]) == [total.total, *[total.counts[s] for s in Status]]
    span = {r[0]: r[1:] for r in book["Trong kỳ và lũy kế"].iter_rows(min_row=4,
                                                                       values_only=True)}
    assert span["Quá hạn chưa hoàn thành"] == (total.counts[Status.OVERDUE],) * 2
    assert book["Quá hạn"].max_row - 2 == total.counts[Status.OVERDUE] == len(report.overdue)
    cards = {label: int(n) for n, label in re.findall(r"<b>(\d+)</b>([^<]+)</div>", html)}
    assert cards == {
        label: total.counts[s] for s, label in STATUS_LABELS_VI.items()}
    assert html.count("</td></tr>", html.index('id="qua-han"')) >= len(report.overdue)
    write_docx(report, tmp_path / "q1.docx")
    tables = [[[c.text for c in r.cells] for r in t.rows]
              for t in Document(str(tmp_path / "q1.docx")).tables]
    (figures,) = [t for t in tables if t[0][0] == "Chỉ tiêu" and len(t[0]) == 3]
    by_label = {row[0]: row[1:] for row in figures[1:]}
    for status, label in STATUS_LABELS_VI.items():
        assert by_label[label] == [format_number(total.counts[status])] * 2  # Q1: both spans
    (overdue,) = [t for t in tables if t[0][:3] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì"]
                  and "Thời hạn thực tế" in t[0]]
    assert len(overdue) - 1 == total.counts[Status.OVERDUE]
