"""What leadership reads in a period report: names, not ids, in Vietnamese alphabetical order."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.core.status import Event, EventKind
from engine.reports.csv_text import to_csv
from engine.reports.html_page import build_html_report
from engine.reports.model import build_report, vietnamese_sort_key
from engine.reports.xlsx import write_xlsx
from engine.store.database import Store
from engine.store.events import record_event
from tests.test_store import PLAN, register

GROUP_LEADS = "Các Sở, ban, ngành Thành phố; UBND các quận, huyện, thị xã"


@pytest.mark.parametrize(("names", "expected"), [
    (["Ứng Hòa", "Đông Anh", "Thanh Xuân", "Đan Phượng", "Dương Nội", "Gia Lâm", "Ba Vì"],
     ["Ba Vì", "Dương Nội", "Đan Phượng", "Đông Anh", "Gia Lâm", "Thanh Xuân", "Ứng Hòa"]),
    (["ư", "u", "ơ", "ô", "o", "ê", "e", "đ", "d", "â", "ă", "a"],
     ["a", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư"]),
    (["Mạ", "Má", "Mã", "Mả", "Mà", "Ma"], ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]),
    (["Hà Nam", "Hạ Long", "Hả Nam", "Ha Long"], ["Ha Long", "Hạ Long", "Hà Nam", "Hả Nam"]),
    (["UBND quận Đồng Đa", "UBND quận Đông Anh", "UBND quận Dong Da", "UBND quận Đống Da"],
     ["UBND quận Dong Da", "UBND quận Đông Anh", "UBND quận Đống Da", "UBND quận Đồng Đa"]),
    (["Sở Y tế", "sở y tế", "Sở Tư pháp", "Sở Tài chính", "Sở"],
     ["Sở", "Sở Tài chính", "Sở Tư pháp", "sở y tế", "Sở Y tế"]),
], ids=["names starting with Đ and Ư come after D and U, not after every other name",
        "the letters with marks follow their base letter, as the alphabet lists them",
        "names differing only in tone: none, huyền, hỏi, ngã, sắc, nặng",
        "tones decide only between names spelled alike",
        "đ is its own letter after d; tones come after letters",
        "a shorter name first; lower case before upper case"])
def test_vietnamese_sort_key_orders_as_the_alphabet(names: list[str],
                                                    expected: list[str]) -> None:
    assert sorted(names, key=vietnamese_sort_key) == expected


def test_the_key_is_the_same_for_composed_and_decomposed_text() -> None:
    composed, decomposed = "Ứng Hòa", "U\u031b\u0301ng Ho\u0300a"
    assert vietnamese_sort_key(composed)[:3] == vietnamese_sort_key(decomposed)[:3]


def test_the_lead_column_names_groups_in_csv_xlsx_and_html(store: Store,
                                                           tmp_path: Path) -> None:
    register(store)
    with store.transaction() as tx:
        report = build_report(tx, plan=PLAN, period="2024-Q1")
        html = build_html_report(tx, plan=PLAN, period="2024-Q1")
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows[1][2] == GROUP_LEADS and rows[1][3] == "Sở Nội vụ"
    assert rows[3][2] == "UBND các quận, huyện, thị xã"
    assert not any("so-ban-nganh" in cell or "ubnd-cap-huyen" in cell
                   for row in rows for cell in row)
    write_xlsx(report, tmp_path / "q1.xlsx")
    sheet = load_workbook(tmp_path / "q1.xlsx")["Nhiệm vụ"]
    assert sheet["C3"].value == "Cơ quan chủ trì" and sheet["C4"].value == GROUP_LEADS
    assert f"<td>{GROUP_LEADS}</td>" in html and "so-ban-nganh" not in html


def test_the_heat_map_lists_agencies_in_vietnamese_order(store: Store) -> None:
    register(store)
    with store.transaction() as tx:
        html = build_html_report(tx, plan=PLAN, period="2024-Q1")
    heat = html.split('<table class="heat">')[1].split("</table>")[0]
    names = re.findall(r"<tr><td>([^<]+)</td>", heat)
    districts = [n for n in names if n.startswith("UBND huyện")]
    assert districts[:6] == ["UBND huyện Ba Vì", "UBND huyện Chương Mỹ",
                             "UBND huyện Đan Phượng", "UBND huyện Đông Anh",
                             "UBND huyện Gia Lâm", "UBND huyện Hoài Đức"]
    assert districts[-1] == "UBND huyện Ứng Hòa"
    assert names.index("Đài PTTH Hà Nội") < names.index("Sở Công Thương")
    assert names[-1] == "Văn phòng UBND Thành phố"


def test_agencies_equally_behind_rank_by_name_in_the_xlsx(store: Store,
                                                          tmp_path: Path) -> None:
    register(store)
    with store.transaction() as tx:
        report = build_report(tx, plan=PLAN, period="2024-Q1")
    write_xlsx(report, tmp_path / "q1.xlsx")
    sheet = load_workbook(tmp_path / "q1.xlsx")["Xếp hạng cơ quan"]
    ranked = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    # Both Sở tie in Q1 (one task overdue, none done); by id, so-kh-cn came first.
    assert ranked.index("Sở Kế hoạch và Đầu tư") < ranked.index("Sở Khoa học và Công nghệ")
    assert ranked.index("Sở Nội vụ") < ranked.index("Sở Nông nghiệp và Phát triển nông thôn")
    districts = [n for n in ranked if str(n).startswith("Ủy ban nhân dân huyện")]
    assert districts.index("Ủy ban nhân dân huyện Đông Anh") < districts.index(
        "Ủy ban nhân dân huyện Gia Lâm")
    assert districts[-1] == "Ủy ban nhân dân huyện Ứng Hòa"


def test_the_html_cards_are_legible_and_its_ranking_says_what_it_counts(store: Store) -> None:
    register(store)
    with store.transaction() as tx:
        html = build_html_report(tx, plan=PLAN, period="2024-Q1")
    cards = re.findall(r'<div class="card" style="background: (#[0-9a-f]+); color: (#[0-9a-f]+)">',
                       html)
    ink = dict(cards)
    assert ink["#9ccc65"] == ink["#90caf9"] == "#1b1b1b"   # light green, light blue: dark text
    assert ink["#2e7d32"] == ink["#e53935"] == "#ffffff"
    ranking = html.split("Xếp hạng cơ quan chậm tiến độ")[1]
    assert "<th>Số đầu việc</th>" in ranking and "Xếp theo số đầu việc quá hạn" in ranking
    assert "burn-up" not in html


def test_xlsx_rates_are_numbers_a_spreadsheet_can_sort(store: Store, tmp_path: Path) -> None:
    register(store)
    with store.transaction() as tx:
        record_event(tx, Event(f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024", EventKind.COMPLETED,
                               dt.datetime(2024, 2, 19, 9, tzinfo=dt.UTC), "test", "test"))
        report = build_report(tx, plan=PLAN, period="2024-Q1")
    write_xlsx(report, tmp_path / "q1.xlsx")
    book = load_workbook(tmp_path / "q1.xlsx")
    tasks = book["Nhiệm vụ"]
    rate_column = [c.value for c in tasks[3]].index("Tỷ lệ hoàn thành") + 1
    first = tasks.cell(row=4, column=rate_column)
    assert isinstance(first.value, float) and 0 < first.value <= 1
    assert first.number_format == "0%"
    total = [row for row in tasks.iter_rows(min_row=4, values_only=True) if row[1] == "Tổng cộng"]
    assert total and isinstance(total[0][rate_column - 1], float)
    assert tasks.freeze_panes == "C4" and book["Xếp hạng cơ quan"].freeze_panes == "C3"
