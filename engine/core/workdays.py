"""The working-day calendar: weekends, public holidays, decreed days off and make-up days."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date
from typing import Any

import holidays

EXTRA_DAY_OFF = "ngày nghỉ theo quyết định"
_WEEKEND = {5: "Thứ Bảy", 6: "Chủ nhật"}
_LANGUAGE = "vi"


class WorkCalendar:
    """Which days are working days, for due-date arithmetic.

    A working day is Monday to Friday, minus the public holidays that the `holidays`
    package knows for `country`, minus `days_off`, plus `working_days`. The two overrides
    exist because the government moves days every year by decision: extra days off to
    bridge a holiday, and Saturdays worked in exchange (04/05/2024 for 29/04/2024).
    Holidays are loaded lazily, one year at a time, and cached.
    """

    def __init__(self, *, days_off: Iterable[date] = (), working_days: Iterable[date] = (),
                 country: str = "VN") -> None:
        """Build a calendar.

        Args:
            days_off: extra days off decided for the year (weekdays that are not worked).
            working_days: make-up working days (usually Saturdays) that are worked.
            country: ISO 3166 code of the country whose public holidays apply.

        Raises:
            ValueError: if the `holidays` package does not know `country`, or a day is
                both in `days_off` and in `working_days`.
        """
        self._days_off = frozenset(days_off)
        self._working_days = frozenset(working_days)
        both = self._days_off & self._working_days
        if both:
            listed = ", ".join(d.strftime("%d/%m/%Y") for d in sorted(both))
            raise ValueError(f"days both off and worked: {listed}")
        self._country = country
        self._language = _pick_language(country)
        self._holidays: dict[int, dict[date, str]] = {}
        # Sorted ordinals of every working day in the years [_low, _high]; index arithmetic
        # on it makes counting working days a bisection instead of a day-by-day walk.
        self._ordinals: list[int] = []
        self._low = self._high = 0

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is worked."""
        if day in self._working_days:
            return True
        if day.weekday() >= 5 or day in self._days_off:
            return False
        return day not in self._holidays_of(day.year)

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not worked, in Vietnamese, or None if it is a working day.

        Returns:
            The public holiday's name, "ngày nghỉ theo quyết định" for an extra day off,
            "Thứ Bảy" or "Chủ nhật"; None for a working day.
        """
        if day in self._working_days:
            return None
        name = self._holidays_of(day.year).get(day)
        if name is not None:
            return name
        if day in self._days_off:
            return EXTRA_DAY_OFF
        return _WEEKEND.get(day.weekday())

    def roll_forward(self, day: date) -> date:
        """`day` if it is worked, else the next working day.

        A deadline that falls on a day off moves to the next working day (Civil Code 2015,
        art. 148(5)).
        """
        if self.is_working_day(day):
            return day
        ordinal = day.toordinal()
        self._cover(day.year)
        while True:
            at = bisect_left(self._ordinals, ordinal)
            if at < len(self._ordinals):
                return date.fromordinal(self._ordinals[at])
            self._cover(self._high + 1)

    def add_working_days(self, day: date, n: int) -> date:
        """Count `n` working days from `day`.

        Args:
            day: the day counting starts from; it is not counted itself.
            n: n > 0 gives the n-th working day after `day`, n < 0 the |n|-th working day
                before it, and 0 gives `roll_forward(day)`.

        Returns:
            The working day reached.
        """
        if n == 0:
            return self.roll_forward(day)
        ordinal = day.toordinal()
        self._cover(day.year)
        while True:
            if n > 0:
                at = bisect_right(self._ordinals, ordinal) + n - 1
            else:
                at = bisect_left(self._ordinals, ordinal) + n
            if 0 <= at < len(self._ordinals):
                return date.fromordinal(self._ordinals[at])
            self._cover(self._high + 1 if n > 0 else self._low - 1)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days d satisfy start < d <= end; 0 when end <= start.

        This is how late something finished: done on the first working day after its
        due date is one working day late.
        """
        if end <= start:
            return 0
        self._cover(start.year)
        self._cover(end.year)
        return (bisect_right(self._ordinals, end.toordinal())
                - bisect_right(self._ordinals, start.toordinal()))

    def _holidays_of(self, year: int) -> dict[date, str]:
        known = self._holidays.get(year)
        if known is None:
            known = _load_holidays(self._country, year, self._language)
            self._holidays[year] = known
        return known

    def _cover(self, year: int) -> None:
        """Extend the working-day index so that it spans `year`, keeping it contiguous."""
        if not self._ordinals:
            self._low = self._high = year
            self._ordinals = self._working_ordinals(year)
        while year < self._low:
            self._low -= 1
            self._ordinals[:0] = self._working_ordinals(self._low)
        while year > self._high:
            self._high += 1
            self._ordinals.extend(self._working_ordinals(self._high))

    def _working_ordinals(self, year: int) -> list[int]:
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        return [o for o in range(first, last + 1) if self.is_working_day(date.fromordinal(o))]


def _pick_language(country: str) -> str | None:
    try:
        entity: Any = holidays.country_holidays(country)
    except NotImplementedError as exc:
        raise ValueError(f"no public holidays known for country {country!r}") from exc
    languages = getattr(entity, "supported_languages", ())
    return _LANGUAGE if _LANGUAGE in languages else None


def _load_holidays(country: str, year: int, language: str | None) -> dict[date, str]:
    entity: Any = holidays.country_holidays(country, years=year, language=language)
    return {day: str(name) for day, name in entity.items() if day.year == year}

