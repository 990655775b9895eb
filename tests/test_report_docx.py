"""The period report as the document the standing unit sends (DOCX, Decree 30/2020/NĐ-CP):
its layout, and its figures against the JSON report of the same period."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from engine.cli.main import main
from engine.reports.vietnamese import format_date, format_number, format_rate, period_name
from tests.conftest import PLAN_SPECS, ROOT

PLAN = "hn-2024-tt-cchc"
RENDERINGS = ROOT / "test-output"  # git-ignored: the first page as a reader would see it
COMPLETIONS = [  # (instance, when, count): some on time, some late, some partial progress
    ("ban-hanh-ke-hoach:so-noi-vu:2024", "2024-02-10T09:00", None),
    ("ban-hanh-ke-hoach:so-y-te:2024", "2024-02-15T09:00", None),
    ("ban-hanh-ke-hoach:vp-ubnd-tp:2024", "2024-02-19T15:00", None),
    ("ban-hanh-ke-hoach:so-tu-phap:2024", "2024-02-26T10:00", None),
    ("tin-bai-dau-tu:so-kh-dt:2024-Q1", "2024-03-20T10:00", None),
    ("tin-bai-dau-tu:so-kh-dt:2024-Q2", "2024-06-25T10:00", None),
    ("bao-cao-dinh-ky:vp-ubnd-tp:2024-H1", "2024-06-20T10:00", None),
    ("truyen-thanh-cap-xa:quan-ba-dinh:2024-04", "2024-04-20T10:00", 1),
    ("truyen-thanh-cap-xa:quan-ba-dinh:2024-05", "2024-05-28T10:00", None),
    ("tin-bai-trang-ttdt:so-y-te:2024", "2024-05-10T10:00", 5),
    ("tin-bai-chuyen-trang-cchc:vp-ubnd-tp:2024-Q2", "2024-07-03T10:00", None),
]


def kehoach(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The seed plan with some work recorded; JSON and DOCX reports of H1, Q1 and the year,
    each made by `kehoach report`."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEHOACH_HOME", str(home))
        env.delenv("KEHOACH_DATABASE_URL", raising=False)
        kehoach("register", str(PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"))
        for instance, at, count in COMPLETIONS:
            extra = ["--count", str(count)] if count else []
            kehoach("complete", f"{PLAN}:{instance}", "--at", at, *extra)
        made: dict[str, Any] = {"home": home}
        for period in ("2024-H1", "2024-Q1", "2024", "2024-04", "2024-05", "2024-06"):
            # the months as they stood at the end of H1, to sum into its second quarter
            as_of = ["--as-of", "2024-06-30"] if period[5:] in ("04", "05", "06") else []
            kehoach("report", "--plan", PLAN, "--period", period, "--format", "json",
                    "-o", str(home / f"{period}.json"), *as_of)
            made[period] = json.loads((home / f"{period}.json").read_text("utf-8"))
            if period in ("2024-H1", "2024-Q1", "2024"):
                kehoach("report", "--plan", PLAN, "--period", period, "--format", "docx",
                        "-o", str(home / "bao-cao" / f"{period}.docx"))
                made[f"{period}.docx"] = home / "bao-cao" / f"{period}.docx"
        yield made


def texts(document: Any) -> list[str]:
    """Every paragraph's text, the tables' included, in order."""
    found = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found += [cell.text for cell in row.cells]
    return found


def table_headed(document: Any, *first: str) -> list[list[str]]:
    """The rows of the body table whose header row starts with the headers `first`."""
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and tuple(rows[0][:len(first)]) == first:
            return rows
    raise AssertionError(f"no table headed {first!r}")


def test_the_page_header_and_signature_follow_decree_30(made: dict[str, Any]) -> None:
    document = Document(str(made["2024-H1.docx"]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    left, right = ([p.text for p in cell.paragraphs if p.text]
                   for cell in document.tables[0].rows[0].cells)
    assert left == ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ",
                    "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0"
                    "/BC-SNV"]
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert re.fullmatch(r"Hà Nội, ngày\s+tháng\s+năm\s+", right[2])  # for the clerk
    unit = document.tables[0].rows[0].cells[0].paragraphs[2]
    assert unit.runs[0].bold and not document.tables[0].rows[0].cells[0].paragraphs[0].runs[0].bold
    body = [p for p in document.paragraphs if p.text]
    assert body[0].text == "BÁO CÁO" and body[0].runs[0].bold
    assert body[1].text.startswith("Kết quả thực hiện Kế hoạch số ") and body[1].text.endswith(
        "về thông tin, tuyên truyền về cải cách hành chính nhà nước của thành phố Hà Nội năm "
        "2024, 6 tháng đầu năm 2024")
    closing = [p.text for cell in document.tables[-1].rows[0].cells for p in cell.paragraphs]
    assert closing[:3] == ["Nơi nhận:", "- UBND Thành phố (để báo cáo);", "- Lưu: VT, SNV."]
    assert "GIÁM ĐỐC" in closing and body[-1].text == "Trên đây là báo cáo của Sở Nội vụ./."


def test_the_body_is_times_new_roman_13_to_14_points(made: dict[str, Any]) -> None:
    document = Document(str(made["2024-H1.docx"]))
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14
    for name in ("Heading 1", "Heading 2"):
        style = document.styles[name]
        fonts = style.element.rPr.rFonts
        assert style.font.name == "Times New Roman" and style.font.size.pt == 14
        assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
                         "asciiTheme") is None  # no theme font overriding it
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            assert run.font.name in (None, "Times New Roman")
            assert run.font.size is None or 13 <= run.font.size.pt <= 14, paragraph.text


def test_the_headings_name_each_part_and_skip_the_empty_ones(made: dict[str, Any]) -> None:
    document = Document(str(made["2024-H1.docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["I. KẾT QUẢ THỰC HIỆN", "1. Số liệu chung", "2. Kết quả theo cơ quan",
                        "3. Chỉ tiêu đạt được", "II. NHIỆM VỤ QUÁ HẠN CHƯA HOÀN THÀNH"]
    assert made["2024-H1"]["extensions"] == [] and made["2024-H1"]["returns"] == []
    assert not any("gia hạn" in h or "trả lại" in h for h in headings)


def test_the_period_and_cumulative_figures_are_the_json_reports(made: dict[str, Any]) -> None:
    report = made["2024-H1"]
    rows = table_headed(Document(str(made["2024-H1.docx"])), "Chỉ tiêu",
                        "Quý II năm 2024 (01/04/2024 - 30/06/2024)")
    assert rows[0][2] == "Lũy kế từ đầu năm (01/01/2024 - 30/06/2024)"
    by_label = {row[0]: row[1:] for row in rows[1:]}
    months = [made[m]["total"]["counts"] for m in ("2024-04", "2024-05", "2024-06")]
    quarter = {status: sum(m[status] for m in months) for status in months[0]}
    assert report["in_period"]["counts"] == quarter  # Q2 alone: its three months
    assert report["cumulative"]["counts"] == report["total"]["counts"]
    for label, status in [("Hoàn thành đúng hạn", "done_on_time"),
                          ("Hoàn thành quá hạn", "done_late"),
                          ("Đang thực hiện trong hạn", "on_track"),
                          ("Quá hạn chưa hoàn thành", "overdue"), ("Miễn / hủy", "waived")]:
        assert by_label[label] == [format_number(quarter[status]),
                                   format_number(report["total"]["counts"][status])]
    assert by_label["Tổng số đầu việc"] == [format_number(sum(quarter.values())),
                                            format_number(report["total"]["total"])]
    assert by_label["Tỷ lệ hoàn thành"][1] == format_rate(report["total"]["completion_rate"])
    # recorded by 30/06: three plans, two posts on investment, a commune month, the H1 report
    assert report["total"]["counts"]["done_on_time"] == 7
    assert report["total"]["counts"]["done_late"] == 1  # Sở Tư pháp's plan, 26/02


def test_the_year_shows_thousands_with_a_dot(made: dict[str, Any]) -> None:
    year = made["2024"]
    assert year["total"]["total"] == 1009
    rows = table_headed(Document(str(made["2024.docx"])), "Chỉ tiêu",
                        "Quý IV năm 2024 (01/10/2024 - 31/12/2024)")
    assert rows[1] == ["Tổng số đầu việc", format_number(year["in_period"]["total"]), "1.009"]


def test_the_overdue_table_is_the_json_overdue_list(made: dict[str, Any]) -> None:
    report = made["2024-H1"]
    rows = table_headed(Document(str(made["2024-H1.docx"])), "STT", "Nhiệm vụ",
                        "Cơ quan chủ trì")
    assert rows[0] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn theo Kế hoạch",
                       "Thời hạn thực tế", "Số ngày chậm (ngày làm việc)"]
    assert len(rows) - 1 == len(report["overdue"]) == report["total"]["counts"]["overdue"]
    for row, line in zip(rows[1:], report["overdue"], strict=True):
        printed, due = (dt.date.fromisoformat(line[k]) for k in ("printed_due", "due"))
        assert row[1:] == [line["title"], line["agency"], format_date(printed), format_date(due),
                           format_number(line["days_late"])]
    # Sở Y tế's Q1 post, never made: printed for Sunday 31/03, due Monday 01/04 (Civil Code
    # art. 148); the Q2 post of Văn phòng UBND Thành phố, done 03/07, was not yet late at
    # 30/06 (due Monday 01/07) and is not listed.
    late = [r for r in rows if r[1].startswith("Có ít nhất 01 tin/bài triển khai")]
    assert ["Sở Y tế", "31/03/2024", "01/04/2024"] in [r[2:5] for r in late]
    assert not any(r[2] == "Văn phòng Ủy ban nhân dân Thành phố" and r[3] == "30/06/2024"
                   for r in late)
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", cell) for row in rows for cell in row)


def test_agencies_rank_by_completion_with_directory_names(made: dict[str, Any]) -> None:
    report = made["2024-H1"]
    rows = table_headed(Document(str(made["2024-H1.docx"])), "Xếp hạng", "Cơ quan")
    by_name = {a["name"]: a for a in report["agencies"]}
    assert [r[1] for r in rows[1:]] and set(r[1] for r in rows[1:]) == set(by_name)
    rates = [by_name[r[1]]["completion_rate"] or 0.0 for r in rows[1:]]
    assert rates == sorted(rates, reverse=True)
    # Equal rates share a rank: "1, 2, 3, 3, 3, ..., 22"; the next rank counts them all.
    ranks = [int(r[0]) for r in rows[1:]]
    assert ranks[0] == 1 and ranks == sorted(ranks) and len(set(ranks)) < len(ranks)
    for before, after, n in zip(rows[1:], rows[2:], range(2, len(rows)), strict=False):
        same = before[5:] == after[5:]
        assert int(after[0]) == (int(before[0]) if same else n), (before, after)
    first = by_name[rows[1][1]]
    assert rows[1][2:] == [format_number(first["total"]),
                           format_number(first["counts"]["done_on_time"]
                                         + first["counts"]["done_late"]),
                           format_number(first["counts"]["overdue"]),
                           format_rate(first["completion_rate"]),
                           format_rate(first["on_time_rate"])]
    assert "Sở Y tế" in by_name and not any(re.fullmatch(r"[a-z0-9-]+", r[1]) for r in rows)


def test_targets_reached_are_the_json_targets(made: dict[str, Any]) -> None:
    report = made["2024-H1"]
    rows = table_headed(Document(str(made["2024-H1.docx"])), "STT", "Nhiệm vụ", "Chỉ tiêu")
    assert [r[1] for r in rows[1:]] == [t["title"] for t in report["targets"]]
    posts = next(t for t in report["targets"] if t["task"] == "tin-bai-dau-tu")
    assert (posts["target"], posts["reached"]) == (2, 2)  # Q1 and Q2, both done
    commune = next(t for t in report["targets"] if t["task"] == "truyen-thanh-cap-xa")
    assert commune["reached"] == 3  # one of April's two posts, and all of May's
    line = rows[1 + report["targets"].index(commune)]
    assert line[2:] == [f"{format_number(commune['target'])} tin/bài", "3 tin/bài",
                        format_rate(commune["rate"])]


def test_nothing_in_it_is_english_or_an_iso_date(made: dict[str, Any]) -> None:
    for period in ("2024-H1", "2024-Q1", "2024"):
        document = Document(str(made[f"{period}.docx"]))
        words = set(re.findall(r"[^\W\d_]+", " ".join(texts(document))))
        english = {"None", "null", "True", "False", "report", "period", "total", "overdue",
                   "done", "on", "track", "waived", "rate", "and", "the", "of", "Q", "H", "M"}
        assert not words & english, words & english
        assert not any(re.search(r"\d{4}-\d{2}", t) for t in texts(document))
        assert any(re.search(r"\d,\d%", t) for t in texts(document))  # comma decimal
        props = document.core_properties
        for value in (props.author, props.title, props.comments, props.subject,
                      props.keywords, props.last_modified_by, props.category):
            assert "python" not in (value or "").lower()
        assert props.language == "vi-VN"


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (999, "999"), (1009, "1.009"), (1234567, "1.234.567")],
    ids=["zero", "below a thousand", "the plan's 1.009 instances", "millions"])
def test_numbers_group_thousands_with_a_dot(value: int, shown: str) -> None:
    assert format_number(value) == shown


@pytest.mark.parametrize(("label", "name"), [
    ("2024-Q1", "quý I năm 2024"), ("2024-H1", "6 tháng đầu năm 2024"),
    ("2024-9M", "9 tháng năm 2024"), ("2024", "năm 2024"), ("2024-03", "tháng 3 năm 2024")],
    ids=["a quarter in Roman numerals", "the first half", "nine months", "the year", "a month"])
def test_periods_are_named_as_reports_name_them(label: str, name: str) -> None:
    assert period_name(label) == name


def test_rates_show_a_comma_decimal() -> None:
    assert [format_rate(r) for r in (0.3456, 1.0, None)] == ["34,6%", "100,0%", "—"]


def test_the_first_page_renders_as_an_a4_png(made: dict[str, Any], tmp_path: Path) -> None:
    """LibreOffice (headless) to PDF, poppler to PNG; the PNG is kept under test-output/."""
    source = tmp_path / "bao-cao-2024-H1.docx"
    shutil.copy(made["2024-H1.docx"], source)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "bao-cao-2024-H1.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           check=True, capture_output=True, text=True).stdout
    for line in ("ỦY BAN NHÂN DÂN", "SỞ NỘI VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "/BC-SNV", "Số liệu chung"):
        assert line in first, line
    RENDERINGS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(RENDERINGS / "bao-cao-2024-H1-trang-1")], check=True,
                   timeout=60)
    png = RENDERINGS / "bao-cao-2024-H1-trang-1.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # text, not a blank page
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert abs(width - 496) <= 1 and abs(height - 702) <= 1  # A4 at 60 dpi


def test_docx_without_a_file_is_refused(capsys: pytest.CaptureFixture[str],
                                        made: dict[str, Any],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHOACH_HOME", str(made["home"]))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    assert main(["report", "--plan", PLAN, "--period", "2024-Q1", "--format", "docx"]) == 1
    assert "--format docx writes a file: give it with -o FILE.docx" in capsys.readouterr().err
