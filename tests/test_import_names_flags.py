"""Agency names read as printed that still need a look: a unit in brackets taken for the
body, a name without a body's head word, a short form beside the full name, a lead printed
among the coordinators too, and a district collective never read as the provinces'."""

from __future__ import annotations

from engine.importer import build_draft
from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import own_directory

HEAD = "ỦY BAN NHÂN DÂN TỈNH GIA LAI\nGia Lai, ngày 10 tháng 1 năm 2026\n\n"
TABLE = "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn\n"


def _draft(*rows: str):
    text = HEAD + TABLE + "\n".join(rows) + "\n"
    return build_draft(find_tables_in_export(text), text=text,
                       directory=own_directory(text, year=2026), directory_ref="d.yaml",
                       year=2026, drafted=True)


def _doubts(task, role: str) -> str:
    return " ".join(task.doubts.get(role, []))


def test_a_unit_in_brackets_taken_for_the_body_is_flagged_with_the_body_printed():
    (task,) = _draft("1\tLập kho dữ liệu dân cư\tSở Tư pháp (Trung tâm Lưu trữ hồ sơ)"
                     "\tSở Nội vụ\tQuý II/2026").tasks
    assert task.lead == ("trung-tam-luu-tru-ho-so",)
    assert "'Sở Tư pháp'" in _doubts(task, "lead")


def test_a_new_name_without_a_head_word_is_flagged():
    (task,) = _draft("1\tThu ngân sách điện tử\tHải quan Gia Lai\tSở Tài chính\tNăm 2026").tasks
    assert "no head word" in _doubts(task, "lead")
    (plain,) = _draft("1\tThu ngân sách điện tử\tSở Tài chính\tCục Hải quan\tNăm 2026").tasks
    assert plain.doubts == {}


def test_a_short_form_beside_the_full_name_of_the_plan_is_flagged():
    tasks = _draft("1\tDiễn tập phòng thủ\tBan Chỉ đạo Phòng chống thiên tai tỉnh"
                   "\tSở Nội vụ\tQuý III/2026",
                   "2\tKiểm tra kho vật tư\tSở Nội vụ\tVăn phòng Ban Chỉ đạo\tQuý IV/2026").tasks
    assert "short form" in _doubts(tasks[1], "coordinators")
    assert "short form" not in _doubts(tasks[0], "lead")


def test_a_lead_printed_among_the_coordinators_too_is_left_out_and_flagged():
    (task,) = _draft("1\tSố hóa hồ sơ\tSở Nội vụ\tSở Nội vụ; Sở Tài chính\tNăm 2026").tasks
    assert task.coordinators == ("so-tai-chinh",)
    assert "so-noi-vu printed in the coordinators cell too" in _doubts(task, "coordinators")


def test_the_districts_collective_is_never_read_as_the_provinces():
    vocab = Vocabulary.of(own_directory(HEAD, year=2024))
    cell = read_agencies("UBND các huyện, thành phố", vocab)
    assert cell.refs != ("ubnd-cap-tinh",)
    assert read_agencies("UBND các tỉnh, thành phố", vocab).refs == ("ubnd-cap-tinh",)
