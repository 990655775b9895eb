"""Lead cells that name the lead and its coordinators in prose ("A chủ trì, phối hợp với B",
"A (chủ trì), B", "Chủ trì: A; Phối hợp: B"), split into the two roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A role word: "chủ trì" or "phối hợp", bare or in brackets ("(cơ quan chủ trì)"), with what
# may follow it ("với", "thực hiện"). "thường trực" and "đầu mối" count only in brackets:
# bare, they are parts of names ("Thường trực HĐND tỉnh").
_MARK = re.compile(
    r"(?P<open>\(\s*)?(?:là\s+)?(?:(?:cơ quan|đơn vị)\s+)?"
    r"(?P<role>chủ trì|phối hợp|(?(open)thường trực|(?!))|(?(open)đầu mối|(?!)))"
    r"(?:\s+(?:tổ chức\s+)?(?:thực hiện|tham mưu|triển khai))?(?(open)\s*\))"
    r"(?P<join>\s+(?:với|cùng)\b|\s*:)?", re.I)
_LEADING = re.compile(r"^\s*(?:giao|đề nghị|để nghị)\s+", re.I)
_WITH = re.compile(r"^(?:cùng\s+với|cùng|với)\s+", re.I)
_EDGE = " \t\n,;.-"
LEAD, COORDINATORS = "lead", "coordinators"


@dataclass(frozen=True)
class RoleSplit:
    """A lead cell read as roles.

    Attributes:
        lead: the text naming the lead(s), role words removed.
        coordinators: the text naming coordinators, "" when the cell names none.
        split: whether coordinators were taken out of the cell (a guess worth a look).
    """

    lead: str
    coordinators: str = ""
    split: bool = False


def split_roles(cell: str) -> RoleSplit:
    """Split a lead cell into the lead and the coordinators it names.

    A role word after a name gives that name its role ("A chủ trì", "B (phối hợp)"); one
    before names ("phối hợp với B", "Chủ trì: A") gives the names after it theirs. Names
    with no role word are the lead, or the coordinators once the lead was named ("A (chủ
    trì), B"). A cell without role words is the lead as it stands.
    """
    text = _LEADING.sub("", cell)
    if not _MARK.search(text):
        return RoleSplit(cell)
    parts: dict[str, list[str]] = {LEAD: [], COORDINATORS: []}
    pending: str | None = None  # the role a role word before names gives the text after it
    last = 0
    for found in _MARK.finditer(text):
        before = text[last:found.start()]
        role = LEAD if found["role"].lower() == "chủ trì" else (
            COORDINATORS if found["role"].lower() == "phối hợp" else LEAD)
        prefix = bool(found["join"]) or (not found["open"] and not before.strip(_EDGE))
        if prefix:
            _add(parts, pending, before)
            pending = role
        else:
            head, tail = _split_last(before) if pending else ("", before)
            _add(parts, pending, head)
            _add(parts, role, tail)
            pending = None
        last = found.end()
    _add(parts, pending, text[last:])
    lead, coordinators = ("; ".join(parts[r]) for r in (LEAD, COORDINATORS))
    return RoleSplit(lead, coordinators, bool(coordinators))


def _split_last(text: str) -> tuple[str, str]:
    """Text before and after its last strong separator ("A; B" -> "A", "B")."""
    cut = max(text.rfind(";"), text.rfind("\n"))
    return (text[:cut], text[cut + 1:]) if cut >= 0 else ("", text)


def _add(parts: dict[str, list[str]], role: str | None, text: str) -> None:
    bare = _WITH.sub("", text.strip(_EDGE)).strip(_EDGE)
    if not bare:
        return
    if role is None:  # no role word: the lead, or the coordinators once a lead is named
        role = COORDINATORS if parts[LEAD] else LEAD
    parts[role].append(bare)
