"""The plan header of a draft (number, title, year, issuer, monitor) read from the document."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.core.spec import Directory
from engine.importer.agencies import Vocabulary
from engine.importer.text import slugify

_NUMBER = re.compile(r"^\s*Số\s*:\s*(?P<number>[^\n]{0,40}?/\s*[A-ZĐ][A-ZĐ\-]*)", re.M)
_ANNEXED = re.compile(r"kèm theo Kế hoạch số\s*(?P<number>\d+\s*/\s*KH-[A-ZĐ]+)", re.I)
# What follows a title when no blank line ends it (PDF text): a heading, the grounds.
_AFTER_TITLE = re.compile(r"^(?:[IVX]+\.|\d+\.|[A-Z]\.\s|Căn cứ|Thực hiện|Điều\s+\d|PHỤ LỤC|"
                          r"Phụ lục|\(|Kính gửi)")
_KE_HOACH = re.compile(r"^\s*(?:KẾ\s+HOẠCH|CHƯƠNG\s+TRÌNH(?:\s+HÀNH\s+ĐỘNG)?)\s*$", re.M)
# Where a plan names its monitor: "(qua Sở Nội vụ tổng hợp)", "đơn vị thường trực (Văn
# phòng UBND Thành phố)", "giao Sở Nội vụ theo dõi".
_MONITOR = re.compile(r"(?:qua|giao|về|thường trực\s*\(|đầu mối\s*\(?)\s*"
                      r"(?P<name>[^,;()\n]{3,60}?)\s*(?:để\s+)?(?:tổng hợp|theo dõi|\))", re.I)


@dataclass
class Header:
    """The `plan:` block of a draft and the doubts about its fields."""

    data: dict[str, Any]
    doubts: dict[str, list[str]] = field(default_factory=dict)


def read_header(text: str, *, directory: Directory, directory_ref: str,
                year: int | None = None) -> Header:
    """Read the plan header from the document's opening and its body.

    Args:
        text: the document as text (only the header lines and the body are used).
        directory: the agency directory the plan is written against.
        directory_ref: how the spec names the directory (a path relative to the spec).
        year: the plan year if known; otherwise read from the title or the date line.
    """
    doubts: dict[str, list[str]] = {}
    title = _title(text)
    own_title = title  # an appendix heading's years are its subject's, not the plan's
    if not title and (title := _appendix_title(text)):
        doubts["title"] = ["read from the appendix heading: the plan's own title is in the "
                           "plan the appendix belongs to"]
    elif not title:
        doubts["title"] = ["no title found under 'KẾ HOẠCH': fill it in"]
        title = "Kế hoạch (chưa có tên)"
    plan_year = year or _year(own_title, text)
    if plan_year is None:
        doubts["year"] = ["no year in the title or the date line: give --year"]
        plan_year = directory.directory.valid_from.year
    number = _number(text)
    if not number:
        found = _ANNEXED.search(text)
        number = re.sub(r"\s+", "", found["number"]) if found else ""
        doubts["number"] = (["read from the appendix caption ('kèm theo Kế hoạch số ...')"]
                            if number else ["no number printed ('Số: /KH-UBND'): a draft?"])
    issuer = next((a.id for a in directory.agencies if a.kind == "issuer"), "ubnd-tp")
    monitor, why = _monitor(text, Vocabulary.of(directory), issuer)
    doubts["monitor"] = [why]
    doubts["id"] = ["made from the city, year, number and title: shorten it if you like"]
    data = {"id": _plan_id(directory.directory.city, plan_year, title, number), "number": number,
            "title": title, "year": plan_year, "issuer": issuer, "monitor": monitor,
            "directory": directory_ref}
    return Header(data, doubts)


def _title(text: str) -> str:
    found = _KE_HOACH.search(text)
    if not found:
        return ""
    lines: list[str] = []
    for line in text[found.end():].splitlines()[1:6]:
        if not line.strip() or (lines and _AFTER_TITLE.match(line.strip())):
            if lines:
                break
            continue
        lines.append(line.strip())
    return " ".join(lines)


_HEADING = re.compile(r"^\W*(?:PHỤ LỤC|Phụ lục)\b[^\n]*$", re.M)


def _appendix_title(text: str) -> str:
    """The upper-case heading under "PHỤ LỤC" of an appendix exported alone."""
    found = _HEADING.search(text[:3000])
    if not found:
        return ""
    lines: list[str] = []
    rest = re.sub(r"^\W*(?:PHỤ LỤC|Phụ lục)\s*[IVX\d]*\s*[:.]?\s*", "", found[0]).strip("*# ")
    for line in [rest, *text[found.end():].splitlines()[:6]]:
        bare = line.strip().strip("*#: ")
        letters = [c for c in bare if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
            lines.append(bare)
        elif lines and (not bare or bare.startswith("(")):
            break
    return " ".join(lines)[:300]


def _year(title: str, text: str) -> int | None:
    in_title = re.findall(r"năm\s+(\d{4})\b", title, re.I)
    if in_title:
        return int(in_title[-1])
    # The plan's own date is the latest in its opening: the documents it cites ("Nghị quyết
    # số 57-NQ/TW ngày 22 tháng 12 năm 2024") come before it; an unissued draft prints
    # "ngày   /  /2025".
    dated = re.findall(r"ngày\s+[\d\s]*tháng\s+[\d\s]*năm\s+(\d{4})|ngày\s*[\d\s]*/\s*[\d\s]*/"
                       r"\s*(\d{4})", text[:3000], re.I)
    years = [int(a or b) for a, b in dated]
    return max(years) if years else None


def _number(text: str) -> str:
    found = _NUMBER.search(text[:3000])
    if not found:
        return ""
    number = re.sub(r"\s+", "", found["number"])
    return "" if number.startswith("/") else number


def _monitor(text: str, vocab: Vocabulary, issuer: str) -> tuple[str, str]:
    votes: Counter[str] = Counter()
    for found in _MONITOR.finditer(text):
        match = vocab.lookup(found["name"])
        if match and not match[0].startswith("group:") and match[0] != issuer:
            votes[match[0]] += 1
    if votes:
        best, n = votes.most_common(1)[0]
        return best, f"the text names {best} as the unit that follows up ({n} time(s))"
    fallback = "so-noi-vu" if "so-noi-vu" in vocab.refs.values() else issuer
    return fallback, "the text names no monitoring unit: guessed"


def _plan_id(city: str, year: int, title: str, number: str = "") -> str:
    """City initials, year, the plan's number if printed, and the title's first words:
    hn-2024-84-thong-tin-tuyen-truyen. The number keeps two plans of one city and year on
    one topic (a draft and the issued plan of another subject) from getting one id, which
    would make registering the second a silent revision of the first."""
    initials = "".join(word[0] for word in slugify(city).split("-")) or "kh"
    words = [w for w in slugify(title, max_words=30).split("-")
             if w not in {"ve", "cua", "cac", "va", "nam", "thanh", "pho", str(year)}]
    topic = "-".join(words[:4]) or "ke-hoach"
    digits = re.match(r"\d+", number)
    return f"{initials}-{year}-{digits[0]}-{topic}" if digits else f"{initials}-{year}-{topic}"


def plan_year_hint(text: str) -> int | None:
    """The plan year the document states, if any (for callers that need it early)."""
    return _year(_title(text), text)
