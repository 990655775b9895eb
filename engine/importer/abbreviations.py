"""Upper-case abbreviations left in drafted agency names ("Trung tâm X ABC"): expanded when
the plan spells the words out (their initials, "và" skipped) or the abbreviation is a common
one of plans; otherwise every field naming the body is flagged. Pure."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from engine.importer.agencies import ProposedAgency, central_vocabulary
from engine.importer.draft import DraftTask
from engine.importer.text import ascii_fold, fold_name

_ROLES = ("lead", "coordinators", "media")
_TOKEN = re.compile(r"(?<![\w&-])[A-ZĐ]{2,}(?![\w&-])")
_ROMAN = re.compile(r"^[IVXLC]+$")
_WORD = re.compile(r"\w+")
_JOINERS = {"va", "&"}
# Abbreviations of plans that name no body of their own, with the words they stand for.
COMMON = {"TTHC": "thủ tục hành chính", "CSDL": "cơ sở dữ liệu",
          "HTTT": "hệ thống thông tin", "CNTT": "công nghệ thông tin",
          "CĐS": "chuyển đổi số", "KTXH": "kinh tế - xã hội", "DN": "doanh nghiệp"}


def abbreviations(name: str) -> list[str]:
    """The upper-case abbreviations of `name` that no known name accounts for (not "UBND",
    "TP", nor a known body's short name such as "VTV"; no Roman numeral)."""
    known = central_vocabulary()
    return [t for t in _TOKEN.findall(name) if not _ROMAN.match(t)
            and fold_name(t) == ascii_fold(t) and known.lookup(t) is None]


def spelled_out(token: str, text: str) -> str | None:
    """The words of `text` whose initials give `token` ("Văn hóa, Thể thao và Du lịch" for
    "VHTTDL"), as printed; None when the plan spells it no way, or two ways as often."""
    words = list(_WORD.finditer(text))
    letters = ascii_fold(token).replace(" ", "")
    found: Counter[str] = Counter()
    for i in range(len(words)):
        end = _initials_from(words, i, letters)
        if end is not None:
            found[_name_case(" ".join(text[words[i].start():words[end].end()].split()))] += 1
    ranked = found.most_common(2)
    if not ranked or len(letters) < 3 or (len(ranked) == 2 and ranked[1][1] * 2 > ranked[0][1]):
        return None
    return ranked[0][0]


def _name_case(words: str) -> str:
    """Words printed in capitals ("GIÁO DỤC VÀ ĐÀO TẠO") as a name is written ("Giáo dục và
    Đào tạo": a capital after the start, a comma or "và"); other words as printed."""
    if not words.isupper():
        return words
    out, capital = [], True
    for word in words.lower().split():
        out.append(word[:1].upper() + word[1:] if capital else word)
        capital = word.endswith(",") or ascii_fold(word) in _JOINERS
    return " ".join(out)


def _initials_from(words: Sequence[re.Match[str]], start: int, letters: str) -> int | None:
    """The index of the last word of the run from `start` spelling `letters`, if any."""
    j, k = start, 0
    while k < len(letters) and j < len(words):
        word = ascii_fold(words[j][0])
        if word[:1] == letters[k]:
            k += 1
        elif not (k and word in _JOINERS):
            return None
        j += 1
    return j - 1 if k == len(letters) else None


def expand_abbreviations(proposed: Sequence[ProposedAgency], text: str
                         ) -> tuple[list[ProposedAgency], dict[str, str]]:
    """The drafted names with their abbreviations expanded where the plan (or a common
    abbreviation) spells them out, and why each name still holding one needs a look."""
    out, reasons = [], {}
    for p in proposed:
        name = p.name
        for token in abbreviations(name):
            words = spelled_out(token, text) or COMMON.get(token)
            if words:
                name = re.sub(rf"(?<![\w&-]){token}(?![\w&-])", words, name)
        left = abbreviations(name)
        if left:
            reasons[p.id] = (f"{name!r} holds the abbreviation {', '.join(left)}: write the "
                             "body's full name")
        out.append(replace(p, name=name) if name != p.name else p)
    return out, reasons


def flag_abbreviations(tasks: Sequence[DraftTask], reasons: dict[str, str]) -> None:
    """Mark every field naming a body whose drafted name still holds an abbreviation."""
    for task in tasks:
        for role in _ROLES:
            for ref in getattr(task, role):
                if ref in reasons:
                    task.doubt(role, reasons[ref])
