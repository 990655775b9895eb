"""The phrase grammar of the deadline language: Vietnamese and English due phrases read into
rules (engine.core.due_rules)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from engine.core.due_rules import (
    Continuous,
    DueRule,
    EveryYearFrom,
    FixedDate,
    PeriodEnd,
    Recurring,
    Relative,
    ReportCadence,
    Span,
)
from engine.core.errors import DuePhraseError
from engine.core.periods import (
    half,
    month,
    nine_months,
    parse_period,
    quarter,
    year_period,
)

ACCEPTED_EXAMPLES = (
    "Chậm nhất ngày 20/02/2024", "trước ngày 02/11", "Tháng 9/2024", "Quý II/2024",
    "6 tháng đầu năm", "Trong năm 2024", "Định kỳ hằng quý",
    "Định kỳ quý I, 6 tháng, 9 tháng, năm", "Thường xuyên",
    "trong 05 ngày làm việc sau <task-id>", "01-4/2021", "2024-2025", "Năm 2022 và hàng năm",
    "Xong trong Quý II/2026",
)
_UNKNOWN_HINT = "accepted forms include " + ", ".join(f"'{e}'" for e in ACCEPTED_EXAMPLES)

# --- reading phrases -------------------------------------------------------------------

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        ("jan january", "feb february", "mar march", "apr april", "may", "jun june",
         "jul july", "aug august", "sep sept september", "oct october", "nov november",
         "dec december"), start=1)
    for name in names.split()
}
_MONTH_WORD = "(?:" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + ")"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}  # "v" only to say there is no quarter 5
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_YEAR = r"(?P<year>\d{4})"
# "9/2024", "9-2024", "9 năm 2024", "9 2024": one group, as a name may be defined only once.
_AND_YEAR = r"(?:(?: ?[/-] ?| nam | )(?P<year>\d{4}))?"

_DATE_FORMS = tuple(re.compile(p, re.I | re.A) for p in (
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})",
    r"(?P<day>\d{1,2})\s*([/.-])\s*(?P<month>\d{1,2})(?:\s*\2\s*(?P<year>\d{4}))?",
    r"(?P<day>\d{1,2}) thang (?P<month>\d{1,2})(?:,? nam (?P<year>\d{4}))?",
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<name>{_MONTH_WORD})\.?(?:,? {_YEAR})?",
    rf"(?P<name>{_MONTH_WORD})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,? {_YEAR})?",
))


def _normalise(phrase: str) -> str:
    """ASCII, single-spaced, without trailing full stop; case is kept for task ids."""
    decomposed = unicodedata.normalize("NFD", phrase.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("\u2013", "-").replace("\u2014", "-").split()).rstrip(" .;,")


def _checked_date(year: int, month_number: int, day: int) -> date:
    last = month(year, month_number).end.day
    if not 1 <= day <= last:
        raise ValueError(f"{day:02d}/{month_number:02d}/{year} is not a date: "
                         f"{month_number:02d}/{year} has {last} days")
    return date(year, month_number, day)


def _read_date(text: str, plan_year: int) -> date | None:
    """The date `text` spells, None if it spells no date; ValueError for 31/02 and such."""
    for form in _DATE_FORMS:
        found = form.fullmatch(text)
        if found is None:
            continue
        groups = found.groupdict()
        name = groups.get("name")
        number = _MONTH_NAMES[name.lower()] if name else int(groups["month"])
        year = int(groups["year"]) if groups["year"] else plan_year
        return _checked_date(year, number, int(groups["day"]))
    return None


class _NotADate(Exception):
    """The phrase has the shape of a dated form, but what follows is no date."""


_Builder = Callable[[re.Match[str], int], DueRule]
# Patterns in the order they are declared below; the first full match wins. The dated
# forms come last because their date part takes any text and only then is checked.
_GRAMMAR: list[tuple[re.Pattern[str], _Builder]] = []


def _form(*patterns: str) -> Callable[[_Builder], _Builder]:
    """Register a builder for phrases that fully match one of `patterns` (ASCII, any case)."""
    def register(builder: _Builder) -> _Builder:
        _GRAMMAR.extend((re.compile(p, re.I | re.A), builder) for p in patterns)
        return builder
    return register


def _year_of(found: re.Match[str], plan_year: int) -> int:
    text = found.groupdict().get("year")
    return int(text) if text else plan_year


@_form(
    rf"(?:trong (?:vong )?)?(?P<days>\d+) ngay(?P<working> lam viec)? (?:ke )?(?:tu|sau)"
    rf"(?: khi)?(?: hoan thanh)? (?P<after>{_SLUG})",
    rf"(?:within )?(?P<days>\d+) (?:(?P<working>working|business) |calendar )?days? "
    rf"(?:after|from|following|of)(?: (?:the )?completion of)? (?P<after>{_SLUG})",
)
def _relative(found: re.Match[str], plan_year: int) -> DueRule:
    return Relative(found.string, int(found["days"]), bool(found["working"]), found["after"])


@_form(r"(?:thuong xuyen|lien tuc)(?:,? (?:va )?(?:thuong xuyen|lien tuc))?",
       r"on-?going|continu(?:ous|ously|al)")
def _continuous(found: re.Match[str], plan_year: int) -> DueRule:
    return Continuous(found.string)


@_form(
    r"(?:dinh ky )?(?:bao cao )?quy (?:i|1|01), ?6 thang, ?9 thang(?:,? va|,) (?:ca )?nam",
    r"(?:reports? )?(?:for )?q1, ?h1, ?9m(?:,? and|,) (?:annual|year|full[- ]year|fy|y)"
    r"(?: reports?)?",
    r"(?:quarterly cumulative|cumulative quarterly)(?: reports?)?",
)
def _report_cadence(found: re.Match[str], plan_year: int) -> DueRule:
    return ReportCadence(found.string)


_UNIT = {"tuan": "week", "thang": "month", "quy": "quarter", "nam": "year",
         "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


@_form(
    r"(?:dinh ky )?(?:hang|moi) (?P<unit>tuan|thang|quy|nam)",
    r"(?:dinh ky )?0*1 lan ?/ ?(?:0*1 )?(?P<unit>tuan|thang|quy|nam)",
    r"(?:every|each|once (?:a|per|every)) (?P<unit>week|month|quarter|year)",
    r"(?P<adverb>weekly|monthly|quarterly|yearly|annually)",
)
def _recurring(found: re.Match[str], plan_year: int) -> DueRule:
    adverb = found.groupdict().get("adverb")
    unit = adverb.lower().removesuffix("ly") if adverb else _UNIT[found["unit"].lower()]
    return Recurring(found.string, "year" if unit == "annual" else unit)


@_form(
    rf"(?:trong|ca|suot|trong ca|trong suot) nam(?: {_YEAR})?",
    rf"nam {_YEAR}",
    r"(?:within|during|throughout) the year|(?:all|the whole|the full) year",
    rf"(?:in|within|during|throughout|all of|full year) {_YEAR}",
)
def _whole_year(found: re.Match[str], plan_year: int) -> DueRule:
    return PeriodEnd(found.string, year_period(_year_of(found, plan_year)))


@_form(
    rf"(?:trong |vao |cuoi |het )?thang (?P<month>\d{{1,2}}){_AND_YEAR}",
    rf"(?P<month>\d{{1,2}}) ?/ ?{_YEAR}",
    rf"(?:in |by |during |by the end of |end of )?(?P<name>{_MONTH_WORD})(?:,? {_YEAR})?",
)
def _month(found: re.Match[str], plan_year: int) -> DueRule:
    name = found.groupdict().get("name")
    number = _MONTH_NAMES[name.lower()] if name else int(found["month"])
    return PeriodEnd(found.string, month(_year_of(found, plan_year), number))


@_form(
    rf"(?:trong |cuoi )?quy (?P<roman>iv|v|i{{1,3}}){_AND_YEAR}",
    rf"(?:trong |cuoi )?quy (?P<q>\d{{1,2}}){_AND_YEAR}",
    rf"(?:in |by |by the end of |end of )?(?:the )?q(?P<q>\d){_AND_YEAR}",
    rf"(?:in |by |by the end of |end of )?(?:the )?(?P<ordinal>first|second|third|fourth)"
    rf" quarter(?: of(?: the year)?)?(?: {_YEAR})?",
)
def _quarter(found: re.Match[str], plan_year: int) -> DueRule:
    groups = found.groupdict()
    if groups.get("roman"):
        number = _ROMAN[groups["roman"].lower()]
    elif groups.get("ordinal"):
        number = _ORDINAL[groups["ordinal"].lower()]
    else:
        number = int(groups["q"])
    return PeriodEnd(found.string, quarter(_year_of(found, plan_year), number))


@_form(
    rf"(?:trong )?(?:6 thang|sau thang|nua) (?P<part>dau|cuoi) nam(?: {_YEAR})?",
    rf"(?:in |by the end of )?(?:the )?(?P<part>first|second) half(?: of(?: the year)?)?"
    rf"(?: {_YEAR})?",
    rf"h(?P<part>1|2){_AND_YEAR}",
)
def _half(found: re.Match[str], plan_year: int) -> DueRule:
    first = found["part"].lower() in ("dau", "first", "1")
    return PeriodEnd(found.string, half(_year_of(found, plan_year), 1 if first else 2))


@_form(
    rf"(?:trong )?(?:9|chin) thang dau nam(?: {_YEAR})?",
    rf"(?:in |by the end of )?(?:the )?first (?:9|nine) months(?: of(?: the year)?)?(?: {_YEAR})?",
    rf"9m{_AND_YEAR}",
)
def _nine_months(found: re.Match[str], plan_year: int) -> DueRule:
    return PeriodEnd(found.string, nine_months(_year_of(found, plan_year)))


@_form(
    rf"(?:tu )?thang (?P<a>\d{{1,2}}) ?(?:-|den|toi) ?(?:thang )?(?P<b>\d{{1,2}})"
    rf" ?(?:/|nam) ?{_YEAR}",
    rf"(?:trong )?(?P<a>\d{{1,2}}) ?- ?(?P<b>\d{{1,2}}) ?/ ?{_YEAR}",
    rf"(?:from )?(?P<na>{_MONTH_WORD}) ?(?:-|to|until|through) ?(?P<nb>{_MONTH_WORD}),? {_YEAR}",
)
def _month_span(found: re.Match[str], plan_year: int) -> DueRule:
    groups = found.groupdict()
    first = _MONTH_NAMES[groups["na"].lower()] if groups.get("na") else int(groups["a"])
    last = _MONTH_NAMES[groups["nb"].lower()] if groups.get("nb") else int(groups["b"])
    year = int(found["year"])
    return Span(found.string, month(year, first), month(year, last))


@_form(
    r"(?:tu |trong )?(?:giai doan |cac nam |nam )?(?P<a>\d{4}) ?(?:-|den|toi) ?(?:nam )?"
    r"(?P<b>\d{4})",
    r"(?:from |during |in )?(?P<a>\d{4}) ?(?:-|to|until|through) ?(?P<b>\d{4})",
)
def _year_span(found: re.Match[str], plan_year: int) -> DueRule:
    return Span(found.string, year_period(int(found["a"])), year_period(int(found["b"])))


@_form(
    rf"(?:tu )?(?:nam )?{_YEAR},? (?:va )?(?:hang|moi) nam(?: tiep theo| sau do)?",
    rf"(?:dinh ky )?(?:hang|moi) nam,? (?:tu|ke tu|bat dau tu) (?:nam )?{_YEAR}",
    rf"(?:from |in )?{_YEAR},? (?:and )?(?:every|each) year(?: after| thereafter)?",
    rf"(?:every|each) year (?:from|since|starting) {_YEAR}",
)
def _every_year_from(found: re.Match[str], plan_year: int) -> DueRule:
    return EveryYearFrom(found.string, int(found["year"]))


@_form(r"\d{4}(?:-(?:q\d|h\d|9m|w\d{2}|\d{2}))?")
def _period_label(found: re.Match[str], plan_year: int) -> DueRule:
    return PeriodEnd(found.string, parse_period(found.string.upper()))


@_form(r"(?:hoan thanh )?truoc ngay (?P<date>.+)", r"(?:truoc|before) (?P<date>.+)")
def _before(found: re.Match[str], plan_year: int) -> DueRule:
    stated = _read_date(found["date"], plan_year)
    if stated is None:
        raise _NotADate
    return FixedDate(found.string, stated - timedelta(days=1))


@_form(r"(?:(?:cham nhat|muon nhat|han chot|han|hoan thanh|den)(?: la)?(?: vao)? |vao )?"
       r"(?:ngay )?(?P<date>.+)",
       r"(?:by|on|no later than|not later than|due(?: by| on)?|deadline)(?: the)? (?P<date>.+)")
def _fixed(found: re.Match[str], plan_year: int) -> DueRule:
    stated = _read_date(found["date"], plan_year)
    if stated is None:
        raise _NotADate
    return FixedDate(found.string, stated)


def parse_due(phrase: str, *, year: int) -> DueRule:
    """Read a deadline phrase.

    Vietnamese phrases are read with or without diacritics; case, extra spaces and a
    trailing full stop do not matter.

    Args:
        phrase: the deadline as written in the plan, e.g. "Chậm nhất ngày 20/02/2024".
        year: the plan year, for phrases that do not name one ("20/02", "Trong năm").

    Returns:
        The rule; its `phrase` is `phrase` as given.

    Raises:
        DuePhraseError: if the phrase is empty, unknown, or names an impossible date or
            period; its hint says why or lists accepted forms. It has no location: the
            caller adds the file and task.
    """
    text = _normalise(phrase)
    rule = _match(text, year, phrase=phrase) or _match(_DONE.sub("", text), year, phrase=phrase) \
        or _every_year_at(text, year, phrase=phrase)
    if rule is not None:
        return replace(rule, phrase=phrase)
    hint = _UNKNOWN_HINT if text else f"the deadline is empty; {_UNKNOWN_HINT}"
    raise DuePhraseError(phrase, hint=hint)


# "Xong trong Quý II/2026", "Hoàn thành trong năm 2025": the same deadline as without.
_DONE = re.compile(r"^(?:phan dau )?(?:hoan thanh xong|hoan thanh|xong)(?: trong| vao)? ",
                   re.I | re.A)


# "Tháng 8 hằng năm", "Trước ngày 30/6 hằng năm": a month or a date of every year. A plan
# covers one year, so it is that month or date of the plan year; a rollover reads the
# phrase again for the next year.
_EVERY_YEAR_AT = re.compile(r"^(?P<head>.+?),? (?:vao )?(?:hang|moi) nam$|"
                            r"^(?P<en>.+?),? (?:every|each) year$", re.I | re.A)


def _every_year_at(text: str, year: int, *, phrase: str) -> DueRule | None:
    found = _EVERY_YEAR_AT.match(text)
    head = found and (found["head"] or found["en"])
    if not head or re.search(r"\d{4}", head):
        return None
    rule = _match(head, year, phrase=phrase)
    return rule if isinstance(rule, PeriodEnd | FixedDate) else None


def _match(text: str, year: int, *, phrase: str) -> DueRule | None:
    """The rule of the first form `text` fully matches; DuePhraseError for a bad date."""
    for pattern, builder in _GRAMMAR:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        try:
            rule = builder(found, year)
        except _NotADate:
            continue
        except ValueError as exc:
            raise DuePhraseError(phrase, hint=str(exc)) from exc
        return rule
    return None


