"""Reporting periods of a plan year: year, quarter, half, nine months, month and ISO week."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

PERIOD_KINDS = ("year", "quarter", "half", "9m", "month", "week")

_LABEL = re.compile(
    r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>\d)|H(?P<half>\d)|(?P<nine>9M)|W(?P<week>\d{2})"
    r"|(?P<month>\d{2})))?"
)


@dataclass(frozen=True, slots=True)
class Period:
    """A span of whole days that a deadline or a report covers.

    Attributes:
        label: "2024", "2024-Q1", "2024-H2", "2024-9M", "2024-03" or "2024-W07".
        start: first day, inclusive.
        end: last day, inclusive.
        kind: one of "year", "quarter", "half", "9m", "month", "week".
    """

    label: str
    start: date
    end: date
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {self.kind!r} for {self.label!r}")
        if self.end < self.start:
            raise ValueError(f"period {self.label!r} ends before it starts")


def _check_year(year: int) -> None:
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")


def _month_end(year: int, m: int) -> date:
    return date(year, m, calendar.monthrange(year, m)[1])


def year_period(year: int) -> Period:
    """The calendar year `year`, 1 January to 31 December.

    Args:
        year: the calendar year.

    Returns:
        The period labelled "YYYY".
    """
    _check_year(year)
    return Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31), "year")


def quarter(year: int, q: int) -> Period:
    """Quarter `q` (1-4) of `year`, e.g. Q2 is 1 April to 30 June.

    Raises:
        ValueError: if `q` is not 1-4.
    """
    _check_year(year)
    if not 1 <= q <= 4:
        raise ValueError(f"there is no quarter {q}; quarters are 1 to 4")
    first = 3 * q - 2
    return Period(f"{year:04d}-Q{q}", date(year, first, 1), _month_end(year, first + 2),
                  "quarter")


def half(year: int, h: int) -> Period:
    """Half `h` of `year`: h=1 is January-June, h=2 is July-December.

    Raises:
        ValueError: if `h` is not 1 or 2.
    """
    _check_year(year)
    if h not in (1, 2):
        raise ValueError(f"there is no half {h}; halves are 1 and 2")
    first = 6 * h - 5
    return Period(f"{year:04d}-H{h}", date(year, first, 1), _month_end(year, first + 5), "half")


def nine_months(year: int) -> Period:
    """The first nine months of `year`, 1 January to 30 September (a cumulative report window)."""
    _check_year(year)
    return Period(f"{year:04d}-9M", date(year, 1, 1), date(year, 9, 30), "9m")


def month(year: int, m: int) -> Period:
    """Month `m` (1-12) of `year`.

    Raises:
        ValueError: if `m` is not 1-12.
    """
    _check_year(year)
    if not 1 <= m <= 12:
        raise ValueError(f"there is no month {m}; months are 1 to 12")
    return Period(f"{year:04d}-{m:02d}", date(year, m, 1), _month_end(year, m), "month")


def weeks_in_year(year: int) -> int:
    """How many ISO weeks ISO year `year` has: 52, or 53 when it has 53 Thursdays."""
    _check_year(year)
    # 28 December always falls in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


def iso_week(year: int, week: int) -> Period:
    """ISO week `week` (Monday to Sunday) of ISO year `year`.

    Week 1 is the week holding the year's first Thursday, so it may start in December of
    the year before, and the last week may end in January of the year after.

    Raises:
        ValueError: if the ISO year has no such week.
    """
    last = weeks_in_year(year)
    if not 1 <= week <= last:
        raise ValueError(f"ISO year {year} has weeks 1 to {last}, not {week}")
    monday = date.fromisocalendar(year, week, 1)
    return Period(f"{year:04d}-W{week:02d}", monday, date.fromisocalendar(year, week, 7), "week")


def parse_period(label: str) -> Period:
    """Read a period label back into its period.

    Args:
        label: "2024", "2024-Q1", "2024-H1", "2024-9M", "2024-03" or "2024-W07".

    Returns:
        The period whose `label` equals `label`.

    Raises:
        ValueError: naming the label, if it is malformed or names no period.
    """
    found = _LABEL.fullmatch(label)
    if found is None:
        raise ValueError(f"malformed period label {label!r}; expected e.g. 2024, 2024-Q1, "
                         "2024-H1, 2024-9M, 2024-03 or 2024-W07")
    year = int(found["year"])
    try:
        return _build(found, year)
    except ValueError as exc:
        raise ValueError(f"bad period label {label!r}: {exc}") from exc


def _build(found: re.Match[str], year: int) -> Period:
    if found["quarter"]:
        return quarter(year, int(found["quarter"]))
    if found["half"]:
        return half(year, int(found["half"]))
    if found["nine"]:
        return nine_months(year)
    if found["week"]:
        return iso_week(year, int(found["week"]))
    if found["month"]:
        return month(year, int(found["month"]))
    return year_period(year)
