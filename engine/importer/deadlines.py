"""Deadline cells of plan tables, read with the engine's deadline language plus table forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from engine.core.due_phrases import parse_due
from engine.core.due_rules import DueRule, FixedDate, PeriodEnd
from engine.core.errors import DuePhraseError
from engine.importer.text import ascii_fold, one_line

_ROMAN = {"i": "I", "ii": "II", "iii": "III", "iv": "IV", "1": "I", "2": "II", "3": "III",
          "4": "IV"}
# Document numbers ("61/2018/NĐ-CP", "số 84/KH-UBND") and cited dates of documents: never
# deadlines, so they are blanked before any search for a date.
_DOC_NUMBER = re.compile(r"\b\d+\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ][\w\-Đ]*|\bsố\s+\d+\S*", re.U)
_CITED = re.compile(r"\b(?:ngày|ban hành ngày)\s+\d{1,2}/\d{1,2}/\d{4}\s+(?:của|về)\b", re.I)
_LEAD_WORDS = {"chậm", "trước", "tháng", "quý", "quí", "năm", "trong", "cả", "định", "hằng",
               "hàng", "ngày", "thường", "vào", "cuối", "đầu", "sáu", "chín", "hạn",
               "muộn", "liên", "suốt", "before", "by", "in", "within", "during", "every",
               "monthly", "quarterly", "weekly", "ongoing"}
_PLACE_WORDS = {"tỉnh", "phố", "quận", "huyện", "xã", "phường", "trấn", "số", "định", "án",
                "quyết", "thị"}
_EVERY_YEAR_AFTER = tuple(re.compile(p, re.I) for p in (
    r"^(?:từ\s+)?(?P<head>.+?)\s*,?\s*(?:và\s+)?(?:các|những)\s+năm\s+tiếp\s+theo\.?$",
    r"^(?:từ\s+)?(?P<head>.+?)\s*,?\s*(?:và\s+)?(?:hằng|hàng|mỗi)\s+năm\s+sau\s+đó\.?$",
    r"^(?:tu\s+)?(?P<head>.+?)\s*,?\s*(?:va\s+)?(?:cac|nhung)\s+nam\s+tiep\s+theo\.?$",
    r"^(?:from\s+)?(?P<head>.+?)\s*,?\s*and\s+(?:every|each)\s+year\s+(?:after|thereafter)\.?$",
))


@dataclass(frozen=True)
class Deadline:
    """What a deadline cell says, as phrases `parse_due` accepts.

    Attributes:
        printed: the cell as printed, on one line.
        phrases: one phrase per milestone (several milestones split into several tasks).
        certain: False when the importer guessed; `reason` says what to check.
    """

    printed: str
    phrases: tuple[str, ...]
    certain: bool = True
    reason: str | None = None


def read_deadline(cell: str, *, year: int) -> Deadline:
    """Read a deadline cell of a plan table.

    Beyond `engine.core.due_phrases.parse_due` it reads month and quarter ranges, several
    quarters or milestones in one cell, "<year> và các năm tiếp theo", and a deadline at the
    end of a sentence, without reading document numbers or place names as dates.

    Args:
        cell: the cell text as printed.
        year: the plan year.

    Returns:
        The deadline; never raises: an unreadable cell gives the plan year, flagged.
    """
    text = one_line(cell)
    if not text:
        return Deadline("", (f"Trong năm {year}",), False,
                        "blank deadline cell: the plan year is assumed")
    # The engine reads month spans ("Tháng 01-3/2026") itself: the printed phrase is kept,
    # unflagged, rather than rewritten as its last month.
    if _parses(text, year):
        return _checked(Deadline(text, (text,)), year)
    for reader in _READERS:
        found = reader(text, year)
        if found is not None:
            return _checked(found, year)
    return Deadline(text, (f"Trong năm {year}",), False,
                    f"cannot read {text!r} as a deadline: the plan year is assumed")


def _rule(phrase: str, year: int) -> DueRule | None:
    try:
        return parse_due(phrase, year=year)
    except DuePhraseError:
        return None


def _parses(phrase: str, year: int) -> bool:
    return _rule(phrase, year) is not None


def _checked(found: Deadline, year: int) -> Deadline:
    years = {y for p in found.phrases if (y := _year_of(_rule(p, year))) is not None}
    if years - {year}:
        # A fact, not a guess: the reading stays as sure as it was (validate warns too).
        why = f"falls in {', '.join(map(str, sorted(years)))}, not in the plan year {year}"
        return Deadline(found.printed, found.phrases, found.certain,
                        f"{found.reason}; {why}" if found.reason else why)
    return found


def _year_of(rule: DueRule | None) -> int | None:
    if isinstance(rule, FixedDate):
        return rule.day.year
    if isinstance(rule, PeriodEnd):
        return rule.period.end.year
    return None


def _every_year_after(text: str, year: int) -> Deadline | None:
    for pattern in _EVERY_YEAR_AFTER:
        found = pattern.match(text)
        if found and _parses(found["head"], year):
            return Deadline(text, (found["head"],), False,
                            "read in part: the cell repeats every year after, this plan "
                            "covers its own year only")
    return None


def _month_range(text: str, year: int) -> Deadline | None:
    folded = ascii_fold(text)
    patterns = (
        r"(?:tu )?thang (?P<a>\d{1,2})\s*(?:-|–|den|toi)\s*(?:thang )?(?P<b>\d{1,2})"
        r"\s*(?:/|nam)\s*(?P<y>\d{4})",
        r"(?:tu )?thang (?P<a>\d{1,2})/(?P<ya>\d{4})\s*(?:-|–|den|toi)\s*(?:thang )?"
        r"(?P<b>\d{1,2})/(?P<y>\d{4})",
    )
    for pattern in patterns:
        found = re.fullmatch(pattern, folded)
        if found and _parses(f"Tháng {int(found['b'])}/{found['y']}", year):
            return Deadline(text, (f"Tháng {int(found['b'])}/{found['y']}",), True,
                            "a range of months: due at the end of the last one")
    return None


def _year_bound(text: str, year: int) -> Deadline | None:
    """ "Trước năm 2030" is before 01/01/2030; "Đến năm 2030" is by the end of 2030."""
    found = re.fullmatch(r"(?P<word>truoc|den|den het|cham nhat)\s+(?:nam\s+)?(?P<y>\d{4})\.?",
                         ascii_fold(text))
    if not found:
        return None
    if found["word"] == "truoc":
        phrase = f"trước ngày 01/01/{found['y']}"
        return Deadline(text, (phrase,), True, f"written as {phrase!r}")
    return Deadline(text, (f"Năm {found['y']}",), True, "due by the end of that year")


def _quarter_range(text: str, year: int) -> Deadline | None:
    found = re.fullmatch(r"(?:tu )?quy (?P<a>iv|i{1,3}|[1-4])\s*(?:-|–|den|toi)\s*(?:quy )?"
                         r"(?P<b>iv|i{1,3}|[1-4])\s*(?:/|nam)\s*(?P<y>\d{4})", ascii_fold(text))
    if not found:
        return None
    phrase = f"Quý {_ROMAN[found['b']]}/{found['y']}"
    return Deadline(text, (phrase,), True, "a range of quarters: due at the end of the last one")


def _several_quarters(text: str, year: int) -> Deadline | None:
    found = re.fullmatch(r"(?:trong |cac )?quy (?P<list>(?:iv|i{1,3}|[1-4])(?:\s*(?:,|va|;)\s*"
                         r"(?:quy )?(?:iv|i{1,3}|[1-4]))+)\s*(?:/|nam)\s*(?P<y>\d{4})"
                         r"(?P<more>(?:\s*(?:,|va|;)\s*(?:nam )?\d{4})*)", ascii_fold(text))
    if not found:
        return None
    quarters = re.findall(r"iv|i{1,3}|[1-4]", found["list"])
    phrases = tuple(f"Quý {_ROMAN[q]}/{found['y']}" for q in quarters)
    later = tuple(f"Năm {y}" for y in re.findall(r"\d{4}", found["more"]))
    why = f"{len(phrases)} quarters in one cell: one task per quarter"
    if later:
        why = (f"{len(phrases)} quarters of {found['y']} and then {', '.join(later)}: one task "
               "per quarter and per later year (or did it mean those quarters of each year?)")
    return Deadline(text, phrases + later, False, why)


def _milestones(text: str, year: int) -> Deadline | None:
    parts = [p.strip(" .") for p in re.split(r"\s*(?:;|\n|,|\s+và\s+|\s+-\s+)\s*", text)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or not all(_parses(p, year) for p in parts):
        return None
    return Deadline(text, tuple(parts), False,
                    f"{len(parts)} deadlines in one cell: one task per deadline")


def _sentence_end(text: str, year: int) -> Deadline | None:
    masked = _CITED.sub(lambda m: "#" * len(m.group()), _DOC_NUMBER.sub(
        lambda m: "#" * len(m.group()), text))
    words = list(re.finditer(r"\S+", masked))
    for k, word in enumerate(words[1:], start=1):
        if not _starts_deadline(word.group(), ascii_only=text.isascii()) \
                or _after_place(words[k - 1].group()):
            continue
        suffix = text[word.start():].strip(" .;")
        if "#" not in masked[word.start():] and _plausible(suffix, year):
            return Deadline(text, (suffix,), False,
                            f"deadline read from the end of the sentence: {suffix!r}")
    return None


def _sentences(text: str, year: int) -> Deadline | None:
    """A cell of several sentences ("Ban hành trong quý I năm 2026. Thực hiện rà soát
    hằng năm"): the deadline each sentence states, one milestone per sentence."""
    parts = [p.strip(" .;") for p in re.split(r"[.;]\s+(?=[A-ZĐÀ-Ỹ])", text) if p.strip(" .;")]
    if len(parts) < 2:
        return None
    phrases: list[str] = []
    for part in parts:
        found = Deadline(part, (part,)) if _parses(part, year) else _sentence_end(part, year)
        if found is not None and found.phrases[0] not in phrases:
            phrases.append(found.phrases[0])
    if not phrases:
        return None
    return Deadline(text, tuple(phrases), False,
                    f"read from {len(parts)} sentences: {', '.join(map(repr, phrases))}")


_ASCII_LEAD_WORDS = {ascii_fold(w) for w in _LEAD_WORDS}


def _starts_deadline(word: str, *, ascii_only: bool) -> bool:
    # With diacritics, "Nam" (a place: Hà Nam) is not "năm" (year); without them it may be.
    bare = word.strip("(,;:").lower()
    words = _ASCII_LEAD_WORDS if ascii_only else _LEAD_WORDS
    return bare in words or bool(re.match(r"\d{1,2}[/.-]", bare))


def _after_place(word: str) -> bool:
    return word.strip("(,;:").lower() in _PLACE_WORDS


def _plausible(phrase: str, year: int) -> bool:
    rule = _rule(phrase, year)
    found = _year_of(rule)
    return rule is not None and (found is None or abs(found - year) <= 1)


_READERS: tuple[Callable[[str, int], Deadline | None], ...] = (
    _every_year_after, _year_bound, _month_range, _quarter_range, _several_quarters, _milestones,
    _sentences, _sentence_end,
)
