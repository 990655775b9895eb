"""How agency names read where a cell names bodies by kind or by quality, or joins two words
of one name with "và". Pure; on strings only, for engine.importer.agencies."""

from __future__ import annotations

import re

from engine.importer.text import fold_name

# Kinds of body a cell may name bare ("Viện, Trường"): each is every body of that kind.
_KINDS = {"vien", "truong", "doanh nghiep", "hoi", "hiep hoi", "benh vien", "to chuc",
          "co so", "hop tac xa", "hoc vien", "truong dai hoc", "vien nghien cuu", "co quan bao chi"}
# Head words that start a piece after "và" without it standing alone as a body: "Cục Tiền
# lương và Bảo hiểm xã hội" is one department.
_WEAK_AFTER_AND = re.compile(r"^(?:Bảo hiểm|Hệ thống|Cổng|Quỹ|Ngân)\b")
_AND = re.compile(r"^\s+v[aà]\s+$", re.I)
# "Các tỉnh, thành phố ..." or "Các địa phương có ...": localities that act through their
# People's Committees.
_LOCALITIES = re.compile(r"^(?:các|những)\s+(?P<level>(?:tỉnh|thành phố|huyện|quận|thị xã|xã|"
                         r"phường|địa phương)\b.*)$", re.I | re.S)
_PLACES = "tỉnh,\u2060 thành phố"  # a word joiner: no weak separator (agencies._WEAK)
_PLURAL = re.compile(r"^\s*(?:các|những)\s", re.I)


# A head of a body named for the body ("Cục trưởng Cục X", "Giám đốc Trung tâm Y", "Thủ
# trưởng các đơn vị"), with a list number before it ("(2) ...").
_TITLE = re.compile(r"^(?:\(\d{1,2}\)\s*)?(?:(?:Tổng\s+)?Cục trưởng|Vụ trưởng|Viện trưởng|"
                    r"Giám đốc|Thủ trưởng|Người đứng đầu)\s+(?=[A-ZĐ]|các\b|những\b)")


def without_title(chunk: str) -> str:
    """The body a head of it stands for: "Giám đốc Trung tâm X" -> "Trung tâm X"."""
    bare = _TITLE.sub("", chunk.strip())
    return bare[:1].upper() + bare[1:] if bare != chunk.strip() else chunk


def bare_kind(text: str) -> bool:
    """Whether `text` is only a kind of body ("Viện", "Doanh nghiệp"), naming none in
    particular."""
    return not _PLURAL.match(text) and fold_name(text) in _KINDS


def collective_of_kinds(texts: list[str]) -> str:
    """One collective for bare kinds listed together: "Viện", "Trường" -> "Các viện,
    trường"."""
    return "Các " + ", ".join(t.strip()[:1].lower() + t.strip()[1:] for t in texts)


def joins_after_and(sep: str, piece: str) -> bool:
    """Whether `piece`, after the separator `sep`, continues the name before it: after
    "và", a piece whose head word heads no body of its own."""
    return bool(_AND.match(sep)) and bool(_WEAK_AFTER_AND.match(piece.strip()))


def split_at_and(chunk: str, first: str, second: str) -> bool:
    """Whether `chunk` printed `first` and `second` joined by "và"."""
    return bool(re.search(re.escape(first.strip()) + r"\s+v[aà]\s+" + re.escape(second.strip()),
                          chunk, re.I))


def localities(chunk: str) -> tuple[str, str]:
    """A collective of localities as their People's Committees ("Các thành phố trực thuộc
    trung ương" -> "Ủy ban nhân dân các thành phố ..."), and why it needs a look: "các địa
    phương có ..." is read as the provinces'. The chunk as it is, and "", otherwise."""
    found = _LOCALITIES.match(chunk.strip())
    if not found or fold_name(found["level"]) == "dia phuong":
        return chunk, ""  # bare "các địa phương": engine.importer.agencies reads it
    level = found["level"]
    if fold_name(level).startswith("dia phuong "):
        level = _PLACES + level[len("địa phương"):]
        return (f"Ủy ban nhân dân các {level}",
                f"{chunk.strip()!r} read as the provinces' People's Committees: of a "
                "province's plan, its communes?")
    return f"Ủy ban nhân dân các {level}", ""
