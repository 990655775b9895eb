"""Agency cells naming bodies by kind or by quality, names joined by "và", a list under a
shared head word, and a name printed with words beyond it elsewhere in the plan."""

from __future__ import annotations

from engine.importer import build_draft
from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import own_directory

PROVINCE = "ỦY BAN NHÂN DÂN TỈNH GIA LAI\nGia Lai, ngày 10 tháng 1 năm 2026\n\n"
CENTRAL = "CHÍNH PHỦ\nHà Nội, ngày 10 tháng 1 năm 2026\n\n"
TABLE = "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời hạn\n"


def _read(cell: str, head: str = PROVINCE):
    found = read_agencies(cell, Vocabulary.of(own_directory(head, year=2026)))
    names = {p.id: p.name for p in found.proposed}
    return [names.get(r, r) for r in found.refs], found.doubts(drafted=True)


def test_bare_kinds_listed_together_are_one_collective():
    names, doubts = _read("Học viện, Bệnh viện; Sở Y tế")
    assert names == ["Các học viện, bệnh viện", "Sở Y tế"]
    assert doubts == []


def test_one_bare_kind_is_read_as_all_of_its_kind_flagged():
    names, doubts = _read("Hợp tác xã; Sở Công Thương")
    assert names == ["Các hợp tác xã", "Sở Công Thương"]
    assert any("kind of body" in why for why in doubts)


def test_a_piece_after_va_that_heads_no_body_continues_the_name():
    names, _ = _read("Vụ Chính sách và Bảo hiểm y tế; Sở Nội vụ")
    assert names == ["Vụ Chính sách và Bảo hiểm y tế", "Sở Nội vụ"]
    names, _ = _read("Liên hiệp các Hội Văn học và Nghệ thuật")
    assert names == ["Liên hiệp các Hội Văn học và Nghệ thuật"]


def test_two_new_names_split_at_va_are_flagged():
    names, doubts = _read("Trung tâm Dữ liệu và Viện Chiến lược")
    assert names == ["Trung tâm Dữ liệu", "Viện Chiến lược"]
    assert any("at 'và'" in why for why in doubts)


def test_a_list_under_a_shared_head_word_keeps_it_on_every_name():
    names, _ = _read("Giám đốc các Trung tâm: Lưu trữ, Thông tin")
    assert names == ["Trung tâm Lưu trữ", "Trung tâm Thông tin"]


def test_localities_named_by_a_quality_act_through_their_peoples_committees():
    names, doubts = _read("Các thành phố trực thuộc Trung ương", CENTRAL)
    assert names == ["Ủy ban nhân dân các thành phố trực thuộc Trung ương"]
    assert doubts == []
    names, doubts = _read("Các địa phương có biên giới", CENTRAL)
    assert names == ["Ủy ban nhân dân các tỉnh, thành phố có biên giới"]
    assert any("provinces' People's Committees" in why for why in doubts)
    names, _ = _read("Các tỉnh, thành phố", CENTRAL)
    assert names == ["Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"]


def test_a_name_printed_elsewhere_without_its_last_words_is_flagged():
    text = PROVINCE + TABLE + ("1\tThu hút đầu tư\tSở Tài chính\tBan Quản lý khu Công nghệ cao"
                               " tỉnh Gia Lai\tNăm 2026\n"
                               "2\tHỗ trợ doanh nghiệp\tBan Quản lý khu Công nghệ cao\t"
                               "Sở Tài chính\tNăm 2026\n")
    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml",
                        year=2026, drafted=True)
    assert "words beyond the name" in " ".join(draft.tasks[0].doubts["coordinators"])


def test_the_head_of_a_body_named_in_a_cell_stands_for_the_body():
    names, _ = _read("(1) Giám đốc Trung tâm Lưu trữ; (2) Cục trưởng Cục Văn thư")
    assert names == ["Trung tâm Lưu trữ", "Cục Văn thư"]
    names, _ = _read("Thủ trưởng các đơn vị thuộc Sở")
    assert names == ["Các đơn vị thuộc Sở"]


def test_a_name_without_a_head_word_is_no_longer_form_of_another():
    text = PROVINCE + TABLE + ("1\tThu hút đầu tư\tTrung tâm Xúc tiến Nông nghiệp\tSở Tài chính"
                               "\tNăm 2026\n"
                               "2\tHỗ trợ nông dân\tNông nghiệp sạch Gia Lai\tSở Tài chính"
                               "\tNăm 2026\n")
    draft = build_draft(find_tables_in_export(text), text=text,
                        directory=own_directory(text, year=2026), directory_ref="d.yaml",
                        year=2026, drafted=True)
    assert "short form" not in " ".join(draft.tasks[0].doubts.get("lead", []))


def test_the_peoples_committees_of_the_localities_read_as_the_provinces_flagged():
    names, doubts = _read("Bộ Tư pháp, Ủy ban nhân dân các địa phương", CENTRAL)
    assert names == ["Bộ Tư pháp", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"]
    assert doubts
