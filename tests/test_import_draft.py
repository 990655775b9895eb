"""What an operator reads in a draft and in the summary of `kehoach import`: names cased as
bodies write them, ids valid, rows named as the source numbers them, counts in good English."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import yaml

from engine.cli.main import main
from engine.importer.own_directory import issuer_of

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
PLAN = """SỞ Y TẾ TỈNH QUẢNG NINH\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Số: 9/KH-SYT\tĐộc lập - Tự do - Hạnh phúc
Quảng Ninh, ngày 08 tháng 01 năm 2026

KẾ HOẠCH
Chuyển đổi số ngành y tế năm 2026

TT\tNội dung\tĐơn vị chủ trì\tThời gian
1. Hạ tầng số
1\t100% cơ sở khám bệnh kết nối liên thông\tPhòng Nghiệp vụ Y\tTháng 01-3/2026
2\tSố hóa hồ sơ bệnh án\tVăn phòng Sở\tTháng 3/2026
"""


def _import(tmp_path: Path, text: str = PLAN, name: str = "plan.txt") -> tuple[str, str]:
    doc = tmp_path / name
    doc.write_text(text, encoding="utf-8")
    assert main(["import", str(doc), "-o", str(tmp_path / "d.yaml")]) == 0
    return (tmp_path / "d.yaml").read_text("utf-8"), \
        (tmp_path / "d.directory.yaml").read_text("utf-8")


def test_the_issuer_keeps_the_capitals_of_its_name(tmp_path, capsys):
    assert issuer_of("SỞ Y TẾ TỈNH QUẢNG NINH").name == "Sở Y tế tỉnh Quảng Ninh"
    assert issuer_of("TRUNG TÂM Y TẾ HUYỆN ĐÔNG ANH").name == "Trung tâm Y tế huyện Đông Anh"
    assert issuer_of("HỘI ĐỒNG NHÂN DÂN TỈNH LÀO CAI").name == "Hội đồng nhân dân tỉnh Lào Cai"
    _, directory = _import(tmp_path)
    assert 'name: "Sở Y tế tỉnh Quảng Ninh"' in directory


def test_a_drafted_directory_is_not_called_missing_in_the_draft(tmp_path, capsys):
    draft, _ = _import(tmp_path)
    assert "not in the directory" not in draft
    assert "drafted into the directory with it: phong-nghiep-vu-y" in draft


def test_drafted_task_ids_start_with_a_letter(tmp_path, capsys):
    draft, _ = _import(tmp_path)
    ids = [t["id"] for t in yaml.safe_load(draft)["tasks"]]
    assert ids == ["muc1-nv-100-kham-benh-ket-noi", "muc1-hoa-ho-benh-an"]
    assert all(re.match(r"^[a-z]", i) for i in ids)
    assert main(["validate", str(tmp_path / "d.yaml")]) == 0


def test_a_month_span_is_kept_as_printed_and_a_month_is_no_range(tmp_path, capsys):
    draft, _ = _import(tmp_path)
    tasks = yaml.safe_load(draft)["tasks"]
    assert [t["due"] for t in tasks] == ["Tháng 01-3/2026", "Tháng 3/2026"]
    assert "range" not in draft and "CHECK: a range" not in draft


def test_the_summary_counts_agree_with_their_nouns(tmp_path, capsys):
    _import(tmp_path)
    printed = capsys.readouterr().out
    assert "1 table, 2 rows found, 2 tasks; " in printed
    assert "read 2 tasks, 2 agencies, 2 deadlines; flagged 0 tasks, 0 agencies, 0 deadlines" \
        in printed
    assert "(s)" not in printed and "1 deadlines" not in printed
    assert "the issuer and 2 agencies named in the plan" in printed


def test_rows_and_tables_are_named_as_the_reader_finds_them(tmp_path, capsys):
    document = docx.Document(str(FIXTURES / "so-yt-2026.docx"))
    layout = document.add_table(rows=1, cols=2)  # a letterhead laid out as a table
    layout.cell(0, 0).text = "SỞ Y TẾ"
    document.element.body.insert(0, layout._tbl)
    document.save(str(tmp_path / "plan.docx"))
    assert main(["import", str(tmp_path / "plan.docx"), "-o", str(tmp_path / "d.yaml")]) == 0
    draft = (tmp_path / "d.yaml").read_text("utf-8")
    first = draft[draft.index("tasks:"):].split("source:")[0]
    assert "# from table 1, row 1\n" in first  # the first task table, the row numbered 1
    assert 'source: "Bảng, dòng 1"' in draft
    assert main(["import", str(FIXTURES / "cp-ctr-2026.pdf"), "-o", str(tmp_path / "p.yaml")]) \
        == 0
    pdf = (tmp_path / "p.yaml").read_text("utf-8")
    assert "# from page 2, table 1, row 1\n" in pdf
    assert "# from table 1, the unnumbered row after row 2" in \
        (tmp_path / "d.yaml").read_text("utf-8") or "unnumbered row after row 2" in pdf
    assert 'dòng không số sau dòng 2"' in pdf


def test_the_plan_year_is_the_plans_own_date_not_a_cited_documents():
    from engine.importer.header import plan_year_hint

    cited = ("PHỤ LỤC\nDANH MỤC NHIỆM VỤ THỰC HIỆN NGHỊ QUYẾT SỐ 57-NQ/TW NGÀY 22 THÁNG 12 "
             "NĂM 2024\n(Kèm theo Nghị quyết số /NQ-CP ngày 01 tháng 01 năm 2025)\n")
    assert plan_year_hint(cited) == 2025
    draft = "PHỤ LỤC\n*(Kèm theo Kế hoạch số:\n/KH-UBND ngày / /2025 của\nUBND thành phố)*\n"
    assert plan_year_hint(draft) == 2025


def test_an_appendix_exported_alone_takes_its_issuer_from_its_caption():
    from engine.importer.own_directory import letterhead, own_directory

    text = ("**PHỤ LỤC**\nNHIỆM VỤ PHÁT TRIỂN HẠ TẦNG SỐ TRÊN ĐỊA\nBÀN THÀNH PHỐ ĐẾN NĂM 2030\n"
            "*(Kèm theo Kế hoạch số: /KH-UBND ngày / /2025 của\nUBND thành phố Hà Nội)*\n")
    assert letterhead(text) == "UBND THÀNH PHỐ HÀ NỘI"
    directory = own_directory(text, year=2025)
    assert directory.agencies[0].name == "Ủy ban nhân dân thành phố Hà Nội"
    assert directory.directory.city == "Hà Nội"
    assert issuer_of("ĐẢNG ỦY CHÍNH PHỦ").name == "Đảng ủy Chính phủ"


def test_an_appendix_exported_alone_is_titled_by_its_heading_and_dated_by_its_caption():
    from engine.importer.header import read_header
    from engine.importer.own_directory import own_directory

    text = ("**PHỤ LỤC**\nDANH MỤC NHIỆM VỤ PHÁT TRIỂN HẠ TẦNG 5G, IoT\nĐẾN NĂM 2030\n"
            "*(Kèm theo Kế hoạch số 310/KH-UBND ngày 02 tháng 12 năm 2025 của UBND thành phố "
            "Hà Nội)*\n")
    header = read_header(text, directory=own_directory(text, year=2025), directory_ref="d")
    assert header.data["title"] == "DANH MỤC NHIỆM VỤ PHÁT TRIỂN HẠ TẦNG 5G, IoT ĐẾN NĂM 2030"
    assert header.data["year"] == 2025  # not the 2030 of its subject
    assert "appendix heading" in header.doubts["title"][0]
