"""The rules of the deadline language (one class per form) and their dated occurrences."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import pendulum

from engine.core.periods import (
    Period,
    half,
    iso_week,
    month,
    nine_months,
    quarter,
    weeks_in_year,
    year_period,
)
from engine.core.workdays import WorkCalendar

RECURRENCES = ("week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated instance of a deadline.

    Attributes:
        period: the period the instance is about.
        printed: the due date the text implies; None for continuous and relative rules.
        effective: `printed` moved to a working day (Civil Code 2015, art. 148(5)).
    """

    period: Period
    printed: date | None
    effective: date | None

    @property
    def moved(self) -> bool:
        """Whether the due date moved because it fell on a day off."""
        return self.effective != self.printed


def _occur(period: Period, printed: date, calendar: WorkCalendar) -> Occurrence:
    return Occurrence(period, printed, calendar.roll_forward(printed))


@dataclass(frozen=True, slots=True)
class DueRule(ABC):
    """A parsed deadline phrase; one subclass per form of the language."""

    phrase: str

    @abstractmethod
    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        """The dated instances of this deadline in plan year `year`, in date order.

        Args:
            year: the plan year; forms that repeat (hằng tháng...) repeat within it. Forms
                with a date or period of their own were resolved when parsed.
            calendar: the working-day calendar that moves due dates off days off.
        """


@dataclass(frozen=True, slots=True)
class FixedDate(DueRule):
    """A single date: "Chậm nhất ngày 20/02/2024", "ngày 10/10", or the eve of "trước ngày"."""

    day: date

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        return [_occur(year_period(self.day.year), self.day, calendar)]


@dataclass(frozen=True, slots=True)
class PeriodEnd(DueRule):
    """Due by the last day of a period: "Tháng 9/2024", "Quý II/2024", "Cả năm 2019"."""

    period: Period

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        return [_occur(self.period, self.period.end, calendar)]


@dataclass(frozen=True, slots=True)
class Recurring(DueRule):
    """Due at the end of every week, month, quarter or year of the plan year."""

    every: str

    def __post_init__(self) -> None:
        if self.every not in RECURRENCES:
            raise ValueError(f"cannot recur every {self.every!r}")

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        return [_occur(p, p.end, calendar) for p in _periods_of(self.every, year)]


def _periods_of(every: str, year: int) -> list[Period]:
    if every == "week":
        # Weeks are ISO weeks of the ISO year, so that no week is split or counted twice.
        return [iso_week(year, w) for w in range(1, weeks_in_year(year) + 1)]
    if every == "month":
        return [month(year, m) for m in range(1, 13)]
    if every == "quarter":
        return [quarter(year, q) for q in range(1, 5)]
    return [year_period(year)]


@dataclass(frozen=True, slots=True)
class ReportCadence(DueRule):
    """The cumulative report windows Q1, H1, 9M and the year, all counted from 1 January."""

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        windows = (quarter(year, 1), half(year, 1), nine_months(year), year_period(year))
        return [_occur(p, p.end, calendar) for p in windows]


@dataclass(frozen=True, slots=True)
class Continuous(DueRule):
    """Ongoing work ("Thường xuyên") with no due date, so it is never overdue."""

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        return [Occurrence(year_period(year), None, None)]


@dataclass(frozen=True, slots=True)
class Span(DueRule):
    """Work over a run of months or years, due when the last one ends: "01-4/2021" (January
    to April 2021), "2024-2025". The instance is about the last period of the span, as a
    "Tháng 4/2021" deadline would be; `first` says where the work starts."""

    first: Period
    last: Period

    def __post_init__(self) -> None:
        if self.last.end < self.first.start:
            raise ValueError(f"the span {self.first.label}..{self.last.label} ends before "
                             "it starts")

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        return [_occur(self.last, self.last.end, calendar)]


@dataclass(frozen=True, slots=True)
class EveryYearFrom(DueRule):
    """Due at the end of the year, every year from `first` on: "Năm 2022 và hàng năm". A
    plan year before `first` has no instance."""

    first: int

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        if year < self.first:
            return []
        period = year_period(year)
        return [_occur(period, period.end, calendar)]


class DayCounter(Protocol):
    """What a relative deadline asks of a calendar (engine.core.workdays.WorkCalendar, or the
    stored ordinals of engine.store.relative.OrdinalCalendar)."""

    def add_working_days(self, day: date, n: int) -> date: ...

    def roll_forward(self, day: date) -> date: ...


@dataclass(frozen=True, slots=True)
class Relative(DueRule):
    """Due a number of days after another task is done: "trong 05 ngày làm việc sau x"."""

    days: int
    working: bool
    after: str

    def occurrences(self, *, year: int, calendar: WorkCalendar) -> list[Occurrence]:
        # The date depends on when `after` is done; the compiler resolves it from there.
        return []

    def due_after(self, event_day: date, calendar: DayCounter) -> date:
        """The due date when the predecessor was done on `event_day`.

        A period in days starts the day after its event (Civil Code 2015, art. 147), and
        a due date on a day off moves to the next working day (art. 148(5)).
        """
        if self.working:
            return calendar.add_working_days(event_day, self.days)
        return calendar.roll_forward(event_day + timedelta(days=self.days))


def end_of_day(day: date, tz: str = "Asia/Ho_Chi_Minh") -> datetime:
    """The last second of `day` in time zone `tz`, when a due date expires.

    Args:
        day: the due date.
        tz: an IANA zone name; a plan's deadlines are in its local time.

    Returns:
        An aware datetime at 23:59:59 local time.
    """
    return pendulum.datetime(day.year, day.month, day.day, 23, 59, 59, tz=tz)
