"""Text exports whose cells stand between lines holding only "|" (as legal-document sites
export tables): bold header cells over two lines, empty cells, section rows, sub-rows."""

from __future__ import annotations

from engine.importer.layouts import find_tables_in_export


def _barred(*rows: list[str]) -> str:
    lines = ["PHỤ LỤC", "*(Kèm theo Kế hoạch số 5/KH-UBND)*"]
    for row in rows:
        for cell in row:
            lines += ["|", *([cell] if cell else [])]
        lines.append("|")
    return "\n".join(lines) + "\n"


HEADER = ["**TT**", "**Nội dung thực\nhiện**", "**Cơ quan chủ trì**", "**Cơ quan phối hợp**",
          "**Thời gian hoàn\nthành**"]
TEXT = _barred(
    HEADER,
    ["**I**", "**TUYÊN TRUYỀN, PHỔ BIẾN**"],
    ["1", "Tổ chức hội nghị quán triệt\ncho cán bộ chủ chốt", "Sở Nội vụ",
     "- Sở Tư pháp;\n- Sở Tài chính.", "Quý IV/2025"],
    ["2", "Biên soạn tài liệu hướng dẫn", "Sở Tư pháp", "", "Tháng 12/2025"],
    ["3", "Kiểm tra việc thực hiện", "Sở Nội vụ", "Các sở, ban, ngành", "Năm 2026"],
)


def test_cells_between_bar_lines_read_as_a_table_with_sections_and_empty_cells():
    (table,) = find_tables_in_export(TEXT)
    assert table.columns == ("number", "title", "lead", "coordinators", "due")
    rows = [(r.section, r.number, r.get("title"), r.get("lead"), r.get("coordinators"),
             r.get("due")) for r in table.rows]
    assert rows == [
        ("I TUYÊN TRUYỀN, PHỔ BIẾN", "1", "Tổ chức hội nghị quán triệt cho cán bộ chủ chốt",
         "Sở Nội vụ", "- Sở Tư pháp;\n- Sở Tài chính.", "Quý IV/2025"),
        ("I TUYÊN TRUYỀN, PHỔ BIẾN", "2", "Biên soạn tài liệu hướng dẫn", "Sở Tư pháp", "",
         "Tháng 12/2025"),
        ("I TUYÊN TRUYỀN, PHỔ BIẾN", "3", "Kiểm tra việc thực hiện", "Sở Nội vụ",
         "Các sở, ban, ngành", "Năm 2026"),
    ]


def test_a_sub_row_without_its_own_number_takes_the_leading_cells_from_above():
    header = ["**STT**", "**Cơ quan chủ trì**", "**Nội dung nhiệm vụ**", "**Thời hạn**"]
    text = _barred(header, ["1", "Sở Nội vụ", "Xây dựng đề án", "Quý II/2026"],
                   ["Triển khai đề án", "Quý IV/2026"],
                   ["2", "Sở Y tế", "Báo cáo", "Tháng 12/2026"])
    (table,) = find_tables_in_export(text)
    second = table.rows[1]
    assert (second.get("title"), second.get("due")) == ("Triển khai đề án", "Quý IV/2026")
    assert second.get("lead") == "Sở Nội vụ" and second.spanned == ("number", "lead")
    assert [r.get("title") for r in table.rows] == ["Xây dựng đề án", "Triển khai đề án",
                                                    "Báo cáo"]


def test_sub_rows_one_after_another_end_at_their_deadline_cell():
    header = ["**STT**", "**Cơ quan chủ trì**", "**Nội dung nhiệm vụ**", "**Sản phẩm**",
              "**Thời hạn**"]
    text = _barred(header, ["1", "Sở Nội vụ", "Xây dựng đề án", "Đề án", "Quý II/2026"],
                   ["Triển khai đề án", "Báo cáo", "Quý IV/2026"],
                   ["Sơ kết đề án", "", "Tháng 12/2026"],
                   ["2", "Sở Y tế", "Kiểm tra", "Báo cáo", "Năm 2026"])
    (table,) = find_tables_in_export(text)
    assert [(r.get("title"), r.get("lead"), r.get("due")) for r in table.rows] == [
        ("Xây dựng đề án", "Sở Nội vụ", "Quý II/2026"),
        ("Triển khai đề án", "Sở Nội vụ", "Quý IV/2026"),
        ("Sơ kết đề án", "Sở Nội vụ", "Tháng 12/2026"),
        ("Kiểm tra", "Sở Y tế", "Năm 2026")]


def test_a_coordinators_cell_merged_over_sub_rows_applies_to_each_and_is_flagged():
    from engine.importer import build_draft
    from engine.importer.own_directory import own_directory

    header = ["**STT**", "**Cơ quan chủ trì**", "**Cơ quan phối hợp**", "**Nội dung**",
              "**Thời hạn**"]
    text = _barred(header, ["1", "Bộ Nội vụ", "Bộ Tư pháp", "Xây dựng đề án", "Quý II/2026"],
                   ["Triển khai đề án", "Quý IV/2026"])
    draft = build_draft(find_tables_in_export(text), text=text, drafted=True, year=2026,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml")
    second = draft.tasks[1]
    assert (second.lead, second.coordinators) == (("bo-noi-vu",), ("bo-tu-phap",))
    assert "merged down" in second.doubts["coordinators"][0]


def test_a_sub_row_sits_under_the_columns_its_cells_read_as():
    header = ["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Cơ quan phối hợp**",
              "**Thời gian hoàn thành**", "**Kết quả dự kiến**"]
    text = _barred(header, ["1", "Xây dựng hạ tầng kỹ thuật của hệ thống", "Sở Tài chính",
                            "Sở Nội vụ", "Quý IV/2026", "Hệ thống"],
                   ["Xây dựng hạ tầng dự phòng cho cơ sở dữ liệu", "Trung tâm Chuyển đổi số"],
                   ["2", "Đào tạo cán bộ", "Sở Nội vụ", "", "Năm 2026", "Lớp học"])
    (table,) = find_tables_in_export(text)
    sub = table.rows[1]
    assert (sub.get("title"), sub.get("lead")) == ("Xây dựng hạ tầng dự phòng cho cơ sở dữ "
                                                   "liệu", "Trung tâm Chuyển đổi số")
    assert (sub.get("due"), sub.get("coordinators")) == ("Quý IV/2026", "Sở Nội vụ")
    assert {"due", "coordinators"} <= set(sub.spanned)


def test_a_dotted_line_where_a_rule_was_is_no_cell():
    header = ["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Thời hạn**"]
    text = _barred(header, ["1", "Ban hành quy chế", "Sở Nội vụ", "Quý II/2026"]).rstrip("\n")
    text += "\n….....................\n" + _barred(["2", "Thành lập quỹ", "Sở Tài chính",
                                                   "Năm 2026"]).split("\n", 2)[2]
    (table,) = find_tables_in_export(text)
    assert [(r.number, r.get("title")) for r in table.rows] == [("1", "Ban hành quy chế"),
                                                                ("2", "Thành lập quỹ")]


def test_a_header_over_two_rows_splits_the_cell_its_second_row_names():
    text = _barred(["**TT**", "**Nhiệm vụ**", "**Cơ quan thực hiện**", "**Thời hạn**"],
                   ["**Chủ trì**", "**Phối hợp**"],
                   ["1", "Xây dựng đề án", "Bộ Nội vụ", "Bộ Tư pháp", "Quý II/2026"])
    (table,) = find_tables_in_export(text)
    assert table.columns == ("number", "title", "lead", "coordinators", "due")
    assert (table.rows[0].get("lead"), table.rows[0].get("coordinators")) == ("Bộ Nội vụ",
                                                                              "Bộ Tư pháp")


def test_the_next_appendix_heading_ends_a_barred_table():
    first = _barred(["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Thời hạn**"],
                    ["1", "Ban hành quy chế", "Sở Nội vụ", "Quý II/2026"])
    second = _barred(["**TT**", "**Nội dung**", "**Đơn vị chủ trì**", "**Thời gian**"],
                     ["1", "Kiểm tra", "Sở Y tế", "Năm 2026"])
    tables = find_tables_in_export(first + "**PHỤ LỤC II**\n" + second)
    assert [[r.get("title") for r in t.rows] for t in tables] == [["Ban hành quy chế"],
                                                                  ["Kiểm tra"]]


def test_a_row_that_would_run_past_the_last_column_ends_at_its_empty_segment():
    header = ["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Cơ quan phối hợp**",
              "**Thời hạn**", "**Kết quả**", "**Nguồn kinh phí**"]
    text = _barred(header, ["2", "Vận hành hệ thống thông tin liên tục", "Sở Tài chính",
                            "Các sở, ngành", "Quý IV/2026"],
                   ["Sao lưu dữ liệu và bảo đảm phục hồi sau sự cố", "Sở Nội vụ", "Sở Tài chính"],
                   ["3", "Đồng bộ dữ liệu", "Sở Tài chính", "", "Năm 2026", "Dữ liệu", "Ngân sách"])
    (table,) = find_tables_in_export(text)
    assert [(r.get("title"), r.get("lead"), r.get("coordinators")) for r in table.rows] == [
        ("Vận hành hệ thống thông tin liên tục", "Sở Tài chính", "Các sở, ngành"),
        ("Sao lưu dữ liệu và bảo đảm phục hồi sau sự cố", "Sở Nội vụ", "Sở Tài chính"),
        ("Đồng bộ dữ liệu", "Sở Tài chính", "")]
    assert table.rows[1].get("due") == "Quý IV/2026" and "due" in table.rows[1].spanned


def test_a_block_whose_header_follows_section_rows_is_read_from_its_header():
    # A second part of the appendix after a blank line: its part and group rows come first,
    # then a repeated header that leaves the number cell blank, then the rows.
    first = _barred(["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Thời hạn**"],
                    ["1", "Ban hành quy chế làm việc", "Sở Nội vụ", "Quý II/2026"])
    second = "\n".join(["", "", "|", "**B**", "|", "**PHẦN HAI: ỨNG DỤNG**", "|", "|",
                        "**Nhiệm vụ**", "|", "**Cơ quan chủ trì**", "|", "**Thời hạn**", "|",
                        "|", "2.1", "|", "Nâng cấp cổng dịch vụ công", "|", "Sở Tài chính",
                        "|", "Năm 2026", "|", "|", "2.2", "|", "Số hóa hồ sơ lưu trữ", "|",
                        "Sở Nội vụ", "|", "Tháng 9/2026", "|"]) + "\n"
    tables = find_tables_in_export(first + second)
    rows = [r for t in tables for r in t.rows]
    assert [(r.number, r.get("title"), r.get("lead")) for r in rows] == [
        ("1", "Ban hành quy chế làm việc", "Sở Nội vụ"),
        ("2.1", "Nâng cấp cổng dịch vụ công", "Sở Tài chính"),
        ("2.2", "Số hóa hồ sơ lưu trữ", "Sở Nội vụ")]
    assert rows[1].section is not None and "ỨNG DỤNG" in rows[1].section


def test_a_block_without_a_header_after_a_blank_line_continues_the_table_before():
    first = _barred(["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Thời hạn**"],
                    ["1", "Ban hành quy chế làm việc", "Sở Nội vụ", "Quý II/2026"])
    rest = "\n".join(["", "|", "2", "|", "Kiểm tra việc thực hiện", "|", "Sở Tư pháp", "|",
                      "Năm 2026", "|"]) + "\n"
    tables = find_tables_in_export(first + rest)
    assert [r.get("title") for t in tables for r in t.rows] == ["Ban hành quy chế làm việc",
                                                                 "Kiểm tra việc thực hiện"]
    assert any("continues" in note for note in tables[-1].skipped)


def test_a_numbered_group_row_with_only_a_heading_is_a_section():
    text = _barred(["**TT**", "**Nhiệm vụ**", "**Cơ quan chủ trì**", "**Thời hạn**"],
                   ["3.1", "", "Nông nghiệp", ""],
                   ["3.1.1", "Lập bản đồ số vùng trồng", "Sở Nông nghiệp và Môi trường",
                    "Năm 2026"])
    (table,) = find_tables_in_export(text)
    assert [(r.number, r.section) for r in table.rows] == [("3.1.1", "3.1 Nông nghiệp")]


def test_emphasis_over_a_line_break_is_no_part_of_the_cell_text():
    text = _barred(HEADER, ["1", "Số hồ sơ số hóa\n*Trong đó:*\n*- Hồ sơ giấy đã\nsố hóa*\n"
                            "*- Hồ sơ _điện tử_*", "Sở Nội vụ", "", "Năm 2026"])
    (table,) = find_tables_in_export(text)
    title = " ".join(table.rows[0].get("title").split())
    assert title == "Số hồ sơ số hóa Trong đó: - Hồ sơ giấy đã số hóa - Hồ sơ điện tử"


def test_a_last_row_running_into_the_next_tables_heading_and_header_ends_before_them():
    first = _barred(HEADER, ["1", "Lập đề án", "Sở Nội vụ", "", "30/09/2026"])
    second = _barred(HEADER, ["1", "Báo cáo sơ kết", "Sở Tư pháp", "", "31/10/2026"])
    text = first + "**2. Các nhiệm vụ\nchưa hoàn thành**\n" + second.split("\n", 2)[2]
    tables = find_tables_in_export(text)
    rows = [(r.get("title"), r.get("due")) for t in tables for r in t.rows]
    assert rows == [("Lập đề án", "30/09/2026"), ("Báo cáo sơ kết", "31/10/2026")]
