"""Upper-case abbreviations left in a drafted agency name: expanded from the words the plan
spells out (their initials) or a common abbreviation of plans, else flagged."""

from __future__ import annotations

from engine.importer import build_draft
from engine.importer.abbreviations import spelled_out
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import own_directory

TABLE = "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn\n"


def _draft(head: str, *rows: str):
    text = head + TABLE + "\n".join(rows) + "\n"
    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml",
                        year=2026, drafted=True)
    return draft, {p.id: p.name for p in draft.proposed}


MINISTRY = "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG\nHà Nội, ngày 5 tháng 2 năm 2026\n\n"


def test_an_abbreviation_the_plan_spells_out_is_expanded_unflagged():
    draft, names = _draft(MINISTRY, "1\tSố hóa hồ sơ\tVăn phòng Bộ\t"
                          "Viện Quy hoạch NNMT\tNăm 2026")
    (task,) = draft.tasks
    assert [names[r] for r in task.coordinators] == ["Viện Quy hoạch Nông nghiệp và Môi trường"]
    assert "coordinators" not in task.doubts


def test_a_common_abbreviation_of_plans_is_expanded():
    draft, names = _draft(MINISTRY, "1\tRà soát quy trình\tCác đơn vị giải quyết TTHC"
                          "\tVăn phòng Bộ\tNăm 2026")
    assert [names[r] for r in draft.tasks[0].lead] == [
        "Các đơn vị giải quyết thủ tục hành chính"]


def test_an_abbreviation_the_plan_never_spells_out_is_flagged():
    draft, names = _draft(MINISTRY, "1\tSố hóa hồ sơ\tVăn phòng Bộ\tTrung tâm QXZ\tNăm 2026")
    (task,) = draft.tasks
    assert [names[r] for r in task.coordinators] == ["Trung tâm QXZ"]
    assert "abbreviation QXZ" in " ".join(task.doubts["coordinators"])


def test_known_short_names_and_numerals_are_no_abbreviation_to_expand():
    draft, _ = _draft(MINISTRY, "1\tTuyên truyền\tVăn phòng Bộ\tVTV; UBND tỉnh; Đoàn công tác"
                      " số II\tQuý II")
    assert not any("abbreviation" in why for why in draft.tasks[0].doubts.get("coordinators", []))


def test_two_spellings_as_often_leave_the_abbreviation_as_it_is():
    assert spelled_out("KTS", "Kinh tế số và Kho tài sản") is None
    assert spelled_out("KTS", "Kinh tế số, Kinh tế số và Kho tài sản") == "Kinh tế số"
