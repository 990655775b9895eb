"""Text exports that kept a plan's tables as HTML (PDF-to-Markdown converters): header words
run together, section rows repeated in every cell, a page break that starts a new table with
a placeholder header."""

from __future__ import annotations

from engine.importer.layouts import find_tables_in_export


def _table(header: list[str], *rows: list[str]) -> str:
    head = "".join(f"<th>{c}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n{body}</tbody>\n</table>\n"


HEADER = ["STT", "Nội dungcông việc", "Đơn vịchủ trì", "Đơn vịphốihợp", "Thờigian<br>hoàn thành"]
TEXT = "## PHỤ LỤC\n\n" + _table(
    HEADER,
    ["**I**", *["**Hạ tầng số**"] * 4],
    ["1", "Mở rộng mạng cáp quang<br>đến các thôn", "Các doanh nghiệp<br>viễn thông",
     "Sở Khoa học và<br>Công nghệ", "2026"],
) + _table(
    ["Col1", "Col2", "Col3", "Col4", "Col5"],
    ["2", "Lắp đặt trạm phát sóng<br>tại vùng lõm", "Sở Khoa học và<br>Công nghệ",
     "UBND các xã", "Quý III/2026"],
)


def test_html_rows_are_tasks_with_sections_and_wrapped_lines_joined():
    tables = find_tables_in_export(TEXT)
    rows = [r for t in tables for r in t.rows]
    assert [(r.number, r.get("title"), r.get("lead"), r.get("coordinators"), r.get("due"))
            for r in rows] == [
        ("1", "Mở rộng mạng cáp quang đến các thôn", "Các doanh nghiệp viễn thông",
         "Sở Khoa học và Công nghệ", "2026"),
        ("2", "Lắp đặt trạm phát sóng tại vùng lõm", "Sở Khoa học và Công nghệ",
         "UBND các xã", "Quý III/2026")]
    assert rows[0].section == "I Hạ tầng số"


def test_a_table_with_a_placeholder_header_continues_the_one_before_and_says_so():
    tables = find_tables_in_export(TEXT)
    assert len(tables) == 2
    assert tables[0].columns == tables[1].columns
    assert any("header of the table at line" in note for note in tables[1].skipped)


def test_the_draft_asks_to_check_a_table_read_under_another_table_s_header():
    from engine.importer import build_draft
    from engine.importer.own_directory import own_directory

    text = "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH LÀO CAI\nLào Cai, ngày 4 tháng 3 năm 2026\n" + TEXT
    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml",
                        year=2026, drafted=True)
    head = draft.to_yaml().split("plan:")[0]
    assert "# CHECK: line" in head and "read under the header of the table at line" in head
