"""Column roles of a task table, read from its header cells (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.importer.text import ascii_fold, one_line

# Column roles, recognised from header words (ASCII-folded). Order matters: the first rule
# that matches a header cell wins ("Cơ quan truyền thông" is media, not lead).
_HEADER_RULES: tuple[tuple[str, str], ...] = (
    ("number", r"^(?:s ?t ?t|t ?t|so tt|so thu tu|no\.?)$"),
    ("other", r"^nguon\b"),  # "Nguồn kinh phí" names a source, not an amount
    ("budget", r"kinh phi|du toan|budget"),
    ("media", r"truyen thong|bao chi"),
    ("other", r"^don vi tinh\b"),  # "Đơn vị tính" is an indicator's unit, not who leads it
    # "Nội dung thực hiện" names the task, not who carries it out.
    ("title", r"^(?:noi dung|nhiem vu|ten nhiem vu|cong viec)\b(?!.*(?:chu tri|phoi hop))"),
    ("coordinators", r"phoi hop"),
    ("due", r"thoi gian|thoi han|hoan thanh|tien do|thoi diem|deadline"),
    ("result", r"ket qua|san pham"),
    ("note", r"ghi chu"),
    ("level", r"cap trinh|cap ban hanh|cap phe duyet|co quan (?:trinh|ban hanh)"),
    ("lead", r"chu tri|thuc hien|dau moi|trach nhiem|phu trach|don vi|co quan"),
    # A plan's appendix may assign targets ("Chỉ tiêu") to leads, as it assigns tasks.
    ("title", r"nhiem vu|noi dung|cong viec|hoat dong|ten |^chi tieu\b|de xuat"),
)
ROLES = ("number", "title", "lead", "coordinators", "media", "due", "result", "budget", "note",
         "level")
# A column the rules do not know keeps its header: "x:Lĩnh vực". Its cells go to the note.
EXTRA = "x:"


def map_header(cells: Sequence[str]) -> tuple[str, ...] | None:
    """The role of each column if `cells` is a task-table header, else None.

    A header names at least a task column and a lead or deadline column.
    """
    texts = [one_line(cell) for cell in cells]
    if any(len(text) > 80 for text in texts) or (texts and texts[0][:1].isdigit()):
        return None
    roles = _one_each(tuple(_role_of(cell) for cell in cells), cells)
    if "title" in roles and ("lead" in roles or "due" in roles):
        return tuple(EXTRA + one_line(cell).strip(" :.") if role == "other" and one_line(cell)
                     else role for role, cell in zip(roles, cells, strict=True))
    return None


# Which of two columns of one role is the field ("Thời gian hoàn thành" beside "Tiến độ";
# "Nội dung nhiệm vụ" beside "Thuộc nhóm nhiệm vụ"; "Kết quả yêu cầu" before "Kết quả hiện
# nay"): the one whose header says it plainly, else the first. The other keeps its header.
_PLAIN_HEADER = {"due": r"^(?:thoi gian|thoi han)", "title": r"^(?:noi dung|nhiem vu|ten )"}
_SINGLE = ("title", "due", "result", "note", "level", "budget")


def _one_each(roles: tuple[str, ...], cells: Sequence[str]) -> tuple[str, ...]:
    out = list(roles)
    for role in _SINGLE:
        at = [k for k, r in enumerate(roles) if r == role]
        if len(at) < 2:
            continue
        plain = [k for k in at if re.search(_PLAIN_HEADER.get(role, "^$"),
                                            ascii_fold(one_line(cells[k])))]
        keep = (plain or at)[0]
        for k in at:
            if k != keep:
                out[k] = "other"
    return tuple(out)


def role_of(cell: str) -> str:
    """The role a header cell names ("other" when no rule knows it)."""
    return _role_of(cell)


def _role_of(cell: str) -> str:
    text = ascii_fold(one_line(cell)).strip(" :.")
    if not text:
        return "other"
    # Words run together by a PDF converter ("Đơn vịphốihợp") are read without spaces too;
    # the first rule either reading matches wins.
    glued = text.replace(" ", "") if len(text) <= 40 else None
    for role, pattern in _HEADER_RULES:
        if re.search(pattern, text) or (glued and re.search(pattern.replace(" ", ""), glued)):
            return role
    return "other"
