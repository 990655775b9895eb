"""kehoach import on the plans operators receive: PDF, DOCX and text exports of ministry,
Government and province plans (tests/fixtures/import, made by make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import yaml

from engine.cli.main import main
from engine.core.due_phrases import parse_due
from engine.core.spec import parse_directory
from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.deadlines import read_deadline
from engine.importer.docx_tables import find_tables_in_docx
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import issuer_of, letterhead

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
EMPTY_DIRECTORY = """\
directory: {id: t-2026, city: "Hà Nội", valid_from: 2026-01-01, valid_until: 2026-12-31}
agencies:
  - {id: ubnd-tp, name: "Ủy ban nhân dân thành phố Hà Nội", kind: issuer}
  - {id: so-noi-vu, name: "Sở Nội vụ", kind: department}
"""


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.of(parse_directory(EMPTY_DIRECTORY, file="t.yaml")[0])


def _rows(text: str) -> list[dict[str, str]]:
    return [dict(r.cells) for t in find_tables_in_export(text) for r in t.rows]


# --- text shapes --------------------------------------------------------------------------

PIPE = """KẾ HOẠCH
Thử nghiệm năm 2026

| TT | Nội dung công việc | Cơ quan chủ trì | Thời hạn |
|---|---|---|---|
| 1 | Rà soát thủ tục hành chính | Sở Nội vụ | Quý II/2026 |
| 2 | Báo cáo kết quả | Sở Nội vụ | Tháng 12/2026 |
"""


TABS = "\n".join("\t".join(c.strip() for c in line.strip("|").split("|")) if "|" in line
                 else line for line in PIPE.splitlines() if "---" not in line)


@pytest.mark.parametrize("text", [PIPE, PIPE.replace("|---|---|---|---|\n", ""), TABS],
                         ids=["markdown", "pipes", "tabs"])
def test_markdown_pipe_and_tab_tables_read_alike(text):
    rows = _rows(text)
    assert [(r["number"], r["title"], r["due"]) for r in rows] == [
        ("1", "Rà soát thủ tục hành chính", "Quý II/2026"),
        ("2", "Báo cáo kết quả", "Tháng 12/2026")]


def test_a_header_over_two_rows_names_the_columns_under_a_merged_cell():
    text = ("STT\tNhiệm vụ\tCơ quan thực hiện\t\tThời gian thực hiện\n"
            "\t\tChủ trì\tPhối hợp\t\n"
            "1\tXây dựng đề án\tBộ Nội vụ\tBộ Tư pháp\tQuý III/2026\n")
    (table,) = find_tables_in_export(text)
    assert table.columns == ("number", "title", "lead", "coordinators", "due")
    assert table.rows[0].get("coordinators") == "Bộ Tư pháp"


def test_a_header_cell_on_a_line_of_its_own_is_still_a_column():
    text = ("TT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\nGhi chú\n"
            "1\tXây dựng đề án\tSở Nội vụ\tQuý III/2026\tChuyển tiếp\n")
    (table,) = find_tables_in_export(text)
    assert table.columns[-1] == "note" and table.rows[0].get("note") == "Chuyển tiếp"


def test_one_cell_per_line_with_a_numbering_row_sections_and_a_wrapped_cell():
    text = ("KẾ HOẠCH\nThử nghiệm năm 2026\n\nTT\nNhiệm vụ\nĐơn vị chủ trì\nĐơn vị phối hợp\n"
            "Thời hạn\n(1)\n(2)\n(3)\n(4)\n(5)\nI. NHIỆM VỤ CHUNG\n1\nRà soát, công bố danh mục\n"
            "thủ tục hành chính cấp xã\nSở Nội vụ\nSở Tư pháp\nQuý II/2026\n2\nBáo cáo kết quả\n"
            "Sở Nội vụ\nTháng 12/2026\n\nNơi nhận:\n- Như trên;\nCHỦ TỊCH\n")
    (table,) = find_tables_in_export(text)
    assert [(r.number, r.section) for r in table.rows] == [("1", "I. NHIỆM VỤ CHUNG"),
                                                          ("2", "I. NHIỆM VỤ CHUNG")]
    first, second = (dict(r.cells) for r in table.rows)
    assert first["title"] == "Rà soát, công bố danh mục thủ tục hành chính cấp xã"
    assert (first["coordinators"], first["due"]) == ("Sở Tư pháp", "Quý II/2026")
    # Its empty coordinator cell was left out: the deadline line anchors the columns.
    assert (second["lead"], second["coordinators"], second["due"]) == ("Sở Nội vụ", "",
                                                                       "Tháng 12/2026")


def test_a_row_without_a_number_is_a_task_and_giai_doan_rows_are_sections():
    text = ("TT\tNhiệm vụ, đề án, dự án\tCơ quan chủ trì\tThời gian trình\n"
            "Giai đoạn 1 (2026 - 2027)\n"
            "1\tĐề án hạ tầng số\tBộ Khoa học và Công nghệ\tQuý II/2026\n"
            "\tBáo cáo tình hình thực hiện\tBộ Khoa học và Công nghệ\tNăm 2026 và hàng năm\n")
    (table,) = find_tables_in_export(text)
    assert [r.get("title") for r in table.rows] == ["Đề án hạ tầng số",
                                                    "Báo cáo tình hình thực hiện"]
    assert {r.section for r in table.rows} == {"Giai đoạn 1 (2026 - 2027)"}


def test_a_numbered_heading_merged_across_the_row_is_a_section():
    text = ("TT\tNội dung nhiệm vụ\tĐơn vị thực hiện\tThời hạn hoàn thành\n"
            "1. Chuyển đổi số trong cơ quan hành chính\t\t\t\n"
            "1\tCập nhật dữ liệu dân cư\tCông an phường\tTháng 3/2026\n")
    (table,) = find_tables_in_export(text)
    assert [(r.number, r.section) for r in table.rows] == [
        ("1", "1. Chuyển đổi số trong cơ quan hành chính")]


def test_numbered_sections_prefix_the_ids_of_their_tasks():
    from engine.importer import build_draft
    from engine.importer.own_directory import own_directory

    text = (FIXTURES / "cp-ctr-2026.tsv.txt").read_text("utf-8")
    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml")
    assert [t.id.split("-")[0] for t in draft.tasks] == ["gd1"] * 4 + ["gd2"] * 2


def test_the_signature_block_after_a_table_is_not_a_task():
    text = PIPE + "\nNơi nhận:\tKT. CHỦ TỊCH\n- Như trên;\tPHÓ CHỦ TỊCH\n"
    assert len(_rows(text)) == 2


# --- DOCX and PDF ---------------------------------------------------------------------------

def test_docx_letterhead_and_signature_tables_are_skipped_and_a_merged_cell_spans_rows():
    document = docx.Document(str(FIXTURES / "tinh-du-thao-2026.docx"))
    (table,) = find_tables_in_docx(document)  # the signature table has no task header
    one, two = table.rows[0], table.rows[1]
    assert one.get("lead") == two.get("lead") == "Sở Nội vụ"
    assert two.spanned == ("lead",) and two.inherited == ("lead",)


def test_pdf_import_joins_a_cell_broken_by_the_page_and_skips_repeated_headers(tmp_path,
                                                                              capsys):
    draft = tmp_path / "draft.yaml"
    assert main(["import", str(FIXTURES / "cp-ctr-2026.pdf"), "-o", str(draft)]) == 0
    printed = capsys.readouterr().out
    assert "read 6 tasks, 8 agencies, 6 deadlines; flagged 3 tasks, 0 agencies, 2 deadlines" \
        in printed
    spec = yaml.safe_load(draft.read_text("utf-8"))
    titles = [t["title"] for t in spec["tasks"]]
    assert ("Chiến lược dữ liệu quốc gia đến năm 2035, tầm nhìn đến năm 2045, bảo đảm kết "
            "nối, chia sẻ dữ liệu giữa các cơ quan nhà nước từ trung ương đến địa phương"
            ) in titles
    assert spec["plan"]["directory"] == "draft.directory.yaml"
    assert main(["validate", str(draft)]) == 0
    directory = (tmp_path / "draft.directory.yaml").read_text("utf-8")
    assert directory.count("# CHECK:") >= 9 and "Văn phòng Chính phủ" in directory


def test_names_the_given_directory_lacks_are_drafted_with_check_marks(tmp_path, capsys):
    (tmp_path / "dir.yaml").write_text(EMPTY_DIRECTORY, encoding="utf-8")
    draft = tmp_path / "draft.yaml"
    assert main(["import", str(FIXTURES / "tinh-du-thao-2026.pipe.txt"), "--directory",
                 str(tmp_path / "dir.yaml"), "-o", str(draft)]) == 0
    printed = capsys.readouterr().out
    assert "read 4 tasks, 7 agencies, 4 deadlines; flagged 4 tasks, 6 agencies" in printed
    extra = (tmp_path / "draft.new-agencies.yaml").read_text("utf-8")
    entries = yaml.safe_load(extra)
    assert "so-noi-vu" not in {e["id"] for e in entries}  # the directory has it
    assert {"so-tu-phap", "ubnd-cap-xa", "so-nn-mt"} <= {e["id"] for e in entries}
    assert extra.count("# CHECK:") == len(entries)
    assert yaml.safe_load(draft.read_text("utf-8"))["plan"]["directory"] == "dir.yaml"


def test_import_without_a_directory_needs_an_output_file(tmp_path, capsys):
    assert main(["import", str(FIXTURES / "cp-ctr-2026.tsv.txt")]) == 1
    assert "give -o FILE" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    (b"not a pdf", "not a readable PDF file"),
    (b"%PDF-1.4\n%%EOF\n", "not a readable PDF file"),
], ids=["not a PDF", "a truncated PDF"])
def test_a_broken_pdf_is_an_error_naming_the_file(tmp_path, capsys, content, message):
    path = tmp_path / "plan.pdf"
    path.write_bytes(content)
    assert main(["import", str(path), "-o", str(tmp_path / "d.yaml")]) == 1
    error = capsys.readouterr().err
    assert str(path) in error and message in error and "Traceback" not in error
    assert not (tmp_path / "d.yaml").exists()


# --- agencies at every level ---------------------------------------------------------------

@pytest.mark.parametrize(("cell", "refs"), [
    ("Bộ TN&MT, Bộ Xây dựng", ("bo-tn-mt", "bo-xay-dung")),
    ("Bộ KH&CN; UBND các tỉnh, thành phố trực thuộc trung ương", ("bo-kh-cn", "ubnd-cap-tinh")),
    ("các Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương", ("ubnd-cap-tinh",)),
    ("UBND các xã, phường", ("ubnd-cap-xa",)),
    ("Văn phòng Chính phủ, Bộ Tư pháp", ("van-phong-chinh-phu", "bo-tu-phap")),
    ("Bộ Lao động - Thương binh và Xã hội", ("bo-ld-tb-xh",)),
    ("Sở Văn hóa, Thể thao và Du lịch; Sở Nội vụ", ("so-vh-tt-dl", "so-noi-vu")),
    ("Bộ TN&MT (Vụ Pháp chế)", ("vu-phap-che",)),
    ("Cục Đo đạc, Bản đồ và Thông tin địa lý Việt Nam", ("cuc-do-dac-ban-do-va-thong-tin",)),
    ("Văn phòng HĐND và UBND phường", ("van-phong-hdnd-va-ubnd-phuong",)),
    ("Vụ Phổ biến, giáo dục pháp luật", ("vu-pho-bien-giao-duc-phap-luat",)),
], ids=["ministry abbreviations", "a ministry and the provinces", "provinces as printed",
        "communes (two-level government)", "the Government's office", "a ministry with a dash",
        "an unknown department with a comma in its name", "a unit in brackets",
        "an unknown body with commas", "one office of two councils",
        "a name continued in lower case"])
def test_agencies_of_every_level_split_and_are_proposed_for_the_directory(cell, refs, vocab):
    read = read_agencies(cell, vocab)
    assert read.refs == refs
    assert {p.id for p in read.proposed} == set(refs) - {"so-noi-vu"}
    assert len(read.doubts()) >= len(set(refs) - {"so-noi-vu"})


def test_a_lead_cell_naming_its_coordinators_is_split_and_flagged(tmp_path):
    text = ("KẾ HOẠCH\nKiểm tra năm 2026\n\nTT\tNội dung\tĐơn vị thực hiện\tThời gian\n"
            "1\tXây dựng bộ tiêu chí\tPhòng Nghiệp vụ Y chủ trì, phối hợp với Văn phòng Sở"
            "\tQuý I/2026\n2\tKiểm tra bệnh viện\tThanh tra Sở (chủ trì)\tQuý II/2026\n")
    from engine.importer import build_draft
    from engine.importer.own_directory import own_directory

    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml")
    one, two = draft.tasks
    assert (one.lead, one.coordinators) == (("phong-nghiep-vu-y",), ("van-phong-so",))
    assert {"lead", "coordinators"} <= set(one.doubts)
    assert two.lead == ("thanh-tra-so",)


def test_the_departments_of_all_provinces_are_not_one_department(vocab):
    read = read_agencies("Các Sở GDĐT; Sở GD&ĐT", vocab)
    assert read.refs == ("cac-so-gddt", "so-gd-dt")
    assert [p.kind for p in read.proposed] == ["collective", "department"]


def test_the_issuer_is_read_from_the_letterhead():
    text = "BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 1/KH-BTNMT\n"
    assert issuer_of(letterhead(text)).id == "bo-tn-mt"
    province = issuer_of("ỦY BAN NHÂN DÂN TỈNH NINH BÌNH")
    assert (province.id, province.name) == ("ubnd-tinh", "Ủy ban nhân dân tỉnh Ninh Bình")


# --- deadline cells ------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "phrases", "flagged"), [
    ("Quý III, IV/2026, 2027", ("Quý III/2026", "Quý IV/2026", "Năm 2027"), True),
    ("Năm 2022 và hàng năm", ("Năm 2022 và hàng năm",), False),
    ("Năm 2025; Năm 2030", ("Năm 2025", "Năm 2030"), True),
    ("Xong trong Quý II/2025", ("Xong trong Quý II/2025",), False),
    ("trước ngày 01/01/2030", ("trước ngày 01/01/2030",), True),
    ("01-4/2025", ("01-4/2025",), False),
    ("2024-2025", ("2024-2025",), False),
    ("Tháng 8 hằng năm", ("Tháng 8 hằng năm",), False),
], ids=["quarters then a year", "a year and every year", "two years", "xong trong",
        "a date years ahead", "a month span", "a year span", "a month of every year"])
def test_deadline_cells_of_ministry_and_government_plans(cell, phrases, flagged):
    deadline = read_deadline(cell, year=2025)
    assert deadline.phrases == phrases
    for phrase in phrases:
        parse_due(phrase, year=2025)
    assert (deadline.reason is not None) == flagged
