"""No row of a plan is lost without a word: a region of a text export that looks like table
rows (numbered, with agency names or deadlines) but that no table took is named in the
draft with a `# CHECK:` and counted in the summary; a document with no table read says
which lines looked like rows."""

from __future__ import annotations

from pathlib import Path

from engine.cli.main import main
from engine.importer.layouts import find_tables_in_export
from engine.importer.unread import unread_regions

HEAD = """UBND TỈNH BÌNH ĐỊNH
Số: 12/KH-UBND
Bình Định, ngày 05 tháng 01 năm 2026

KẾ HOẠCH
Cải cách hành chính năm 2026

"""
READ = """TT\tNhiệm vụ\tCơ quan chủ trì\tThời hạn
1\tRà soát thủ tục hành chính nội bộ\tSở Nội vụ\tQuý I/2026
2\tCông bố danh mục dịch vụ công trực tuyến\tVăn phòng UBND tỉnh\tTháng 6/2026

Ngoài các việc trên, các đơn vị làm thêm những việc sau đây theo bảng dưới.

Số\tViệc cần làm\tAi làm\tBao giờ xong
3\tTập huấn kỹ năng số cho công chức một cửa\tSở Khoa học và Công nghệ\tQuý III/2026
4\tKhảo sát mức độ hài lòng của người dân\tSở Nội vụ\tTháng 11/2026
"""


def test_rows_under_a_header_no_rule_knows_are_named_in_the_draft_and_the_summary(
        tmp_path: Path, capsys) -> None:
    doc = tmp_path / "plan.txt"
    doc.write_text(HEAD + READ, encoding="utf-8")
    assert main(["import", str(doc), "-o", str(tmp_path / "d.yaml")]) == 0
    draft = (tmp_path / "d.yaml").read_text("utf-8")
    lines = (HEAD + READ).splitlines()
    first = next(n for n, line in enumerate(lines, 1) if line.startswith("3\t"))
    assert f"# CHECK: lines {first}-{first + 1}: 2 numbered rows" in draft
    assert "Tập huấn kỹ năng số" in draft.split("plan:")[0]  # the sample, in the CHECK
    assert "Tập huấn" not in draft.split("tasks:")[1]  # and not read as a task
    out = " ".join(capsys.readouterr().out.split())
    assert "1 region of the document looks like table rows but were not read as tasks" in out
    assert f"lines {first}-{first + 1}" in out


def test_a_document_whose_rows_no_table_took_says_which_lines_and_why(
        tmp_path: Path, capsys) -> None:
    rows = "\n".join(["|", "Số", "|", "Việc cần làm", "|", "Ai làm", "|", "Bao giờ xong", "|",
                      "|", "1", "|", "Tập huấn kỹ năng số cho công chức", "|",
                      "Sở Khoa học và Công nghệ", "|", "Quý III/2026", "|", "|", "2", "|",
                      "Khảo sát mức độ hài lòng của người dân", "|", "Sở Nội vụ", "|",
                      "Tháng 11/2026", "|"])
    doc = tmp_path / "plan.txt"
    doc.write_text(HEAD + rows + "\n", encoding="utf-8")
    assert main(["import", str(doc), "-o", str(tmp_path / "d.yaml")]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "no task table found" in err
    assert "2 numbered rows that look like task-table rows" in err
    assert "Tập huấn kỹ năng số" in err
    assert not (tmp_path / "d.yaml").exists()


def test_tables_read_in_full_leave_nothing_unread() -> None:
    text = HEAD + READ.split("\n\nNgoài")[0] + "\n"
    assert unread_regions(text, find_tables_in_export(text)) == []


def test_a_page_number_or_a_numbered_paragraph_is_no_table_row() -> None:
    text = HEAD + "1. Mục đích\nNâng cao chất lượng phục vụ người dân\n\n2\n\n" \
        "2. Yêu cầu\nCác sở thực hiện nghiêm túc trong năm 2026\n3\n"
    assert unread_regions(text, []) == []


def test_a_header_with_no_task_row_under_it_is_named(tmp_path: Path, capsys) -> None:
    text = HEAD + "TT\tNhiệm vụ\tCơ quan chủ trì\tThời hạn\n\nCác sở tự xây dựng kế hoạch.\n"
    doc = tmp_path / "plan.txt"
    doc.write_text(text, encoding="utf-8")
    assert main(["import", str(doc), "-o", str(tmp_path / "d.yaml")]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("the table at line 8 has a header but no task row under it") == 1
