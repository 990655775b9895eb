"""Honest flags: a field the importer guessed carries `# CHECK:`, one it read as printed
does not (so that a flag means something)."""

from __future__ import annotations

import pytest

from engine.importer.agencies import Vocabulary, read_agencies
from engine.importer.own_directory import own_directory

PLAN_TEXT = "SỞ Y TẾ TỈNH QUẢNG NINH\nQuảng Ninh, ngày 08 tháng 01 năm 2026\n"


@pytest.fixture(scope="module")
def drafted() -> Vocabulary:
    return Vocabulary.of(own_directory(PLAN_TEXT, year=2026))


def test_a_new_name_read_as_printed_is_no_doubt_when_the_directory_is_drafted(drafted):
    cell = read_agencies("Phòng Nghiệp vụ Y; Thanh tra Sở", drafted)
    assert cell.refs == ("phong-nghiep-vu-y", "thanh-tra-so")
    assert cell.doubts(drafted=True) == []
    assert len(cell.doubts(drafted=False)) == 2  # a given directory should have known them


def test_an_unknown_name_read_across_a_separator_is_a_guess(drafted):
    cell = read_agencies("Phòng Văn hóa - Xã hội", drafted)
    assert cell.refs == ("phong-van-hoa-xa-hoi",)
    assert any("was guessed" in d for d in cell.doubts(drafted=True))


def test_a_near_match_names_what_it_was_read_as(drafted):
    cell = read_agencies("Bộ Tài chánh", drafted)
    assert cell.refs == ("bo-tai-chinh",)
    (doubt,) = cell.doubts(drafted=True)
    assert "bo-tai-chinh (Bộ Tài chính)" in doubt and "fuzzy" in doubt
