"""Shapes met in real plans (held-out batch A's failure classes), in the team's own words:
report-style tables with a progress column, bold section rows, collectives named together,
national bodies by their abbreviations, a collective both leading and coordinating."""

from __future__ import annotations

import pytest

from engine.importer import build_draft
from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import own_directory

REPORT = "\n".join([
    "CHÍNH PHỦ", "Hà Nội, ngày 2 tháng 6 năm 2026", "",
    "| TT | NHIỆM VỤ | KẾT QUẢ YÊU CẦU | THỜI GIAN HOÀN THÀNH | CƠ QUAN THỰC HIỆN | TIẾN ĐỘ "
    "| KẾT QUẢ HIỆN NAY |",
    "|----|----|----|----|----|----|----|",
    "| **I** | **Thể chế** | | | | | |",
    "| 1. | Ban hành quy chế phối hợp | Quy chế | Tháng 4/2026 | Bộ Nội vụ | Hoàn thành "
    "| Đã ban hành |",
    "| 2. | Rà soát văn bản hướng dẫn | Báo cáo | Tháng 5/2026 | Các bộ, ngành, địa phương "
    "| Đang thực hiện | Đã rà soát một phần |", ""])


def _draft(text: str):
    directory = own_directory(text, year=2026)
    return build_draft(find_tables_in_export(text), text=text, directory=directory,
                       directory_ref="d.yaml", year=2026, drafted=True)


def test_a_progress_column_beside_the_deadline_is_no_second_deadline():
    (table,) = find_tables_in_export(REPORT)
    assert table.columns.count("due") == 1 and "x:TIẾN ĐỘ" in table.columns
    tasks = _draft(REPORT).tasks
    assert [t.due for t in tasks] == ["Tháng 4/2026", "Tháng 5/2026"]
    assert all("due" not in t.doubts for t in tasks)


def test_a_bold_section_row_is_a_section_not_a_task():
    tasks = _draft(REPORT).tasks
    assert [t.title for t in tasks] == ["Ban hành quy chế phối hợp", "Rà soát văn bản hướng dẫn"]
    assert tasks[0].id.startswith("i-")


@pytest.fixture(scope="module")
def national() -> Vocabulary:
    return Vocabulary.of(own_directory("CHÍNH PHỦ\n", year=2026))


@pytest.mark.parametrize("cell", ["Các bộ, ngành, địa phương", "Bộ, ngành, địa phương",
                                  "các bộ, ngành và địa phương"])
def test_ministries_and_localities_are_two_collectives(cell, national):
    assert read_agencies(cell, national).refs == ("cac-bo-nganh", "ubnd-cap-tinh")


def test_national_media_are_known_by_their_abbreviations(national):
    cell = read_agencies("VTV, VOV, TTXVN, các địa phương", national)
    assert cell.refs == ("dai-truyen-hinh-viet-nam", "dai-tieng-noi-viet-nam",
                         "thong-tan-xa-viet-nam", "ubnd-cap-tinh")
    assert any("ubnd-cap-tinh" in d for d in cell.doubts(drafted=True))  # which localities?


def test_a_collective_that_leads_may_coordinate_too():
    text = ("CHÍNH PHỦ\nHà Nội, ngày 2 tháng 6 năm 2026\n\n"
            "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn\n"
            "1\tRà soát thủ tục\tCác bộ, ngành\tBộ Tư pháp, các bộ, ngành\tQuý III/2026\n"
            "2\tSửa đổi nghị định\tBộ Tư pháp\tBộ Tư pháp, Bộ Nội vụ\tQuý IV/2026\n")
    first, second = _draft(text).tasks
    assert first.coordinators == ("bo-tu-phap", "cac-bo-nganh")
    assert second.coordinators == ("bo-noi-vu",)  # one body is not its own coordinator


def test_a_deadline_cell_of_sentences_gives_the_deadline_of_each():
    from engine.importer.deadlines import read_deadline

    found = read_deadline("Ban hành trong quý I năm 2026. Thực hiện rà soát, điều chỉnh "
                          "(nếu có)", year=2026)
    assert found.phrases == ("trong quý I năm 2026",) and not found.certain
    found = read_deadline("Giai đoạn 2026 - 2027. Rà soát, cập nhật hằng năm", year=2026)
    assert found.phrases == ("Giai đoạn 2026 - 2027", "hằng năm")


@pytest.fixture(scope="module")
def province() -> Vocabulary:
    return Vocabulary.of(own_directory("ỦY BAN NHÂN DÂN TỈNH NGHỆ AN\n", year=2026))


def test_two_names_run_together_without_a_separator_are_two(province):
    cell = read_agencies("Sở Khoa học và Công nghệ Sở Công Thương; Bộ CHQS tỉnh", province)
    assert cell.refs == ("so-kh-cn", "so-cong-thuong", "bo-chqs-tinh")


def test_the_communes_collective_asks_about_special_zones_unless_the_plan_names_them(province):
    asked = read_agencies("UBND cấp xã", province)
    assert asked.refs == ("ubnd-cap-xa",)
    assert any("đặc khu" in d for d in asked.doubts(drafted=True))
    named = read_agencies("UBND các xã, phường, đặc khu", province)
    assert named.doubts(drafted=True) == []


@pytest.mark.parametrize(("cell", "phrase"), [
    ("Trước năm 2030", "trước ngày 01/01/2030"), ("Đến năm 2030", "Năm 2030"),
    ("đến hết năm 2026", "Năm 2026")], ids=["before a year", "up to a year", "to a year's end"])
def test_a_deadline_bound_to_a_year_is_read_surely(cell, phrase):
    from engine.core.due_phrases import parse_due
    from engine.importer.deadlines import read_deadline

    found = read_deadline(cell, year=2026)
    assert found.phrases == (phrase,) and found.certain
    parse_due(phrase, year=2026)


@pytest.mark.parametrize("cell", ["Mặt trận Tổ quốc Việt Nam và các tổ chức thành viên",
                                  "Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị - xã hội"])
def test_the_front_and_its_member_organisations_are_one_body(cell, national):
    found = read_agencies(cell, national)
    assert len(found.refs) == 1 and found.proposed[0].name == cell


def _communes_plan(extra: str = "") -> str:
    return "\n".join([
        "ỦY BAN NHÂN DÂN TỈNH PHÚ THỌ", "Phú Thọ, ngày 3 tháng 2 năm 2026", extra, "",
        "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn",
        "1\tRà soát hồ sơ địa chính\tSở Nông nghiệp và Môi trường\tUBND các xã, phường"
        "\tQuý II/2026",
        "2\tCập nhật bản đồ số\tUBND cấp xã\tSở Xây dựng\tQuý III/2026", ""])


def test_a_plan_that_never_names_special_zones_names_the_communes_as_it_prints_them():
    draft = _draft(_communes_plan())
    (collective,) = [p for p in draft.proposed if p.id == "ubnd-cap-xa"]
    assert collective.name == "Ủy ban nhân dân các xã, phường"
    assert all("đặc khu" not in why for t in draft.tasks for reasons in t.doubts.values()
               for why in reasons)


def test_a_plan_that_names_special_zones_elsewhere_still_asks_of_a_cell_without_them():
    draft = _draft(_communes_plan("Các xã, phường, đặc khu triển khai kế hoạch này."))
    (collective,) = [p for p in draft.proposed if p.id == "ubnd-cap-xa"]
    assert collective.name == "Ủy ban nhân dân các xã, phường, đặc khu"
    assert any("đặc khu" in why for why in draft.tasks[0].doubts["coordinators"])


TARGETS = "\n".join([
    "PHỤ LỤC", "PHÂN CÔNG THỰC HIỆN CÁC CHỈ TIÊU ĐẾN NĂM 2030", "",
    "| TT | Chỉ tiêu | Chủ trì |",
    "|----|----|----|",
    "| 1 | Tỷ lệ hồ sơ trực tuyến toàn trình đạt 80% | Sở Nội vụ |",
    "| 2 | Kinh tế số chiếm 30% GRDP | Sở Tài chính |", ""])

INDICATORS = "\n".join([
    "| TT | Chỉ tiêu | Đơn vị tính | Năm 2025 |",
    "|----|----|----|----|",
    "| 1 | Tốc độ tăng trưởng | % | 8 |", ""])


def test_an_appendix_assigning_targets_to_leads_is_a_task_table():
    tasks = _draft(TARGETS).tasks
    assert [t.title for t in tasks] == ["Tỷ lệ hồ sơ trực tuyến toàn trình đạt 80%",
                                        "Kinh tế số chiếm 30% GRDP"]
    assert [len(t.lead) for t in tasks] == [1, 1]
    assert all("due" in t.doubts for t in tasks)  # no deadline column: the year is a guess


def test_an_indicator_sheet_with_a_unit_column_is_no_task_table():
    assert find_tables_in_export(INDICATORS) == []


PROPOSALS = "\n".join([
    "PHỤ LỤC", "KIẾN NGHỊ CỦA CÁC ĐỊA PHƯƠNG VÀ PHÂN CÔNG XỬ LÝ", "",
    "| TT | Tỉnh kiến nghị | Thông tin đề xuất | Bộ phụ trách tiếp nhận, xử lý |",
    "|----|----|----|----|",
    "| 1 | Tỉnh A | Hỗ trợ kinh phí sửa chữa trụ sở cấp xã | Bộ Tài chính |",
    "| 2 | Tỉnh B, Tỉnh C | Hướng dẫn sắp xếp đơn vị sự nghiệp | Bộ Nội vụ |", ""])


def test_proposals_assigned_to_the_ministry_in_charge_are_tasks_with_that_lead():
    (table,) = find_tables_in_export(PROPOSALS)
    assert table.columns[2:] == ("title", "lead")
    tasks = _draft(PROPOSALS).tasks
    assert [t.title for t in tasks] == ["Hỗ trợ kinh phí sửa chữa trụ sở cấp xã",
                                        "Hướng dẫn sắp xếp đơn vị sự nghiệp"]
