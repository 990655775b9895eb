"""Honest flags: a field the importer guessed carries `# CHECK:`, one it read as printed
does not (so that a flag means something)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.own_directory import own_directory

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
PLAN_TEXT = "SỞ Y TẾ TỈNH QUẢNG NINH\nQuảng Ninh, ngày 08 tháng 01 năm 2026\n"


@pytest.fixture(scope="module")
def drafted() -> Vocabulary:
    return Vocabulary.of(own_directory(PLAN_TEXT, year=2026))


def test_a_new_name_read_as_printed_is_no_doubt_when_the_directory_is_drafted(drafted):
    cell = read_agencies("Phòng Nghiệp vụ Y; Thanh tra Sở", drafted)
    assert cell.refs == ("phong-nghiep-vu-y", "thanh-tra-so")
    assert cell.doubts(drafted=True) == []
    assert len(cell.doubts(drafted=False)) == 2  # a given directory should have known them


def test_an_unknown_name_read_across_a_separator_is_a_guess(drafted):
    cell = read_agencies("Phòng Văn hóa - Xã hội", drafted)
    assert cell.refs == ("phong-van-hoa-xa-hoi",)
    assert any("was guessed" in d for d in cell.doubts(drafted=True))


def test_a_near_match_names_what_it_was_read_as(drafted):
    cell = read_agencies("Bộ Tài chánh", drafted)
    assert cell.refs == ("bo-tai-chinh",)
    (doubt,) = cell.doubts(drafted=True)
    assert "bo-tai-chinh (Bộ Tài chính)" in doubt and "fuzzy" in doubt


FLAT = """KẾ HOẠCH
Thử nghiệm năm 2026

TT
Nội dung
Đơn vị chủ trì
Đơn vị phối hợp
Thời gian
Ghi chú
1
Rà soát thủ tục hành chính
Sở Nội vụ
Sở Tư pháp
Quý II/2026
Chuyển tiếp
2
Kiểm tra công tác văn thư
Sở Nội vụ
Tháng 9/2026
3
Báo cáo kết quả thực hiện
Sở Y tế
Sở Tài chính
Tháng 12/2026
Giao Sở Nội vụ theo dõi, đôn đốc các đơn vị thực hiện.

Nơi nhận:
"""


def _flat_rows():
    from engine.importer.layouts import find_tables_in_export

    (table,) = find_tables_in_export(FLAT)
    return table.rows


def test_the_sentence_after_a_flattened_table_is_not_its_last_row():
    last = _flat_rows()[-1]
    assert (last.get("lead"), last.get("coordinators"), last.get("due"), last.get("note")) == \
        ("Sở Y tế", "Sở Tài chính", "Tháng 12/2026", "")
    assert last.guessed == ()


def test_a_flattened_row_with_a_blank_cell_is_read_in_column_order_and_flagged():
    rows = _flat_rows()
    assert rows[0].guessed == ()  # as many lines as columns: nothing guessed
    assert (rows[1].get("lead"), rows[1].get("coordinators")) == ("Sở Nội vụ", "")
    assert {role for role, _ in rows[1].guessed} == {"lead", "coordinators"}
    assert [r.where for r in rows] == ["line 10", "line 16", "line 20"]  # the number lines


def test_a_cell_merged_down_over_rows_is_flagged_on_the_rows_it_fills(tmp_path):
    assert main(["import", str(FIXTURES / "tinh-du-thao-2026.docx"), "-o",
                 str(tmp_path / "d.yaml")]) == 0
    draft = (tmp_path / "d.yaml").read_text("utf-8")
    first, second = draft.split("- id: ")[1:3]
    assert "merged down" not in first  # the row the cell starts in
    assert "# CHECK: the cell is merged down from the row above: taken from it\n    lead:" \
        in second


def test_the_relevant_members_of_a_drafted_collective_are_the_collective(drafted):
    cell = read_agencies("Các sở, ngành liên quan", drafted)
    assert cell.refs == ("cac-so-ban-nganh",) and cell.doubts(drafted=True) == []


def test_a_sure_deadline_outside_the_plan_year_is_said_but_not_flagged(tmp_path):
    text = ("SỞ Y TẾ\nHà Nội, ngày 2 tháng 1 năm 2026\n\n"
            "TT\tNội dung\tĐơn vị chủ trì\tThời gian\n"
            "1\tXây dựng đề án\tSở Y tế\tQuý II/2027\n")
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    assert main(["import", str(tmp_path / "p.txt"), "-o", str(tmp_path / "d.yaml")]) == 0
    draft = (tmp_path / "d.yaml").read_text("utf-8")
    assert "# printed 'Quý II/2027': falls in 2027, not in the plan year 2026\n" in draft
    assert "CHECK: falls in" not in draft


def test_a_header_cell_wrapped_onto_a_second_line_is_one_column():
    from engine.importer.layouts import find_tables_in_export

    text = FLAT.replace("Thời gian\n", "Thời gian hoàn\nthành\n")
    (table,) = find_tables_in_export(text)
    assert table.columns == ("number", "title", "lead", "coordinators", "due", "note")
    assert table.rows[0].get("due") == "Quý II/2026"
