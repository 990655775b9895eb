"""The working-day calendar: Vietnamese holidays, decreed overrides and counting days."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from engine.core.workdays import WorkCalendar

CALENDAR = WorkCalendar()
# Decision of 2024: Saturday 04/05 was worked in exchange for Monday 29/04.
MAKE_UP = WorkCalendar(working_days=[date(2024, 5, 4)])


def d(text: str) -> date:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("07/02/2024", True, id="Wednesday 07/02/2024 before Tết is worked"),
        *(pytest.param(f"{n:02d}/02/2024", False, id=f"{n:02d}/02/2024 is Tết")
          for n in range(8, 15)),
        pytest.param("15/02/2024", True, id="Thursday 15/02/2024 after Tết is worked"),
        pytest.param("20/02/2024", True, id="Tuesday 20/02/2024 is worked"),
        pytest.param("18/04/2024", False, id="Hùng Kings' day 18/04/2024 is off"),
        pytest.param("29/04/2024", False, id="Monday 29/04/2024 bridges 30/04 and is off"),
        pytest.param("30/04/2024", False, id="30/04/2024 is off"),
        pytest.param("01/05/2024", False, id="01/05/2024 is off"),
        pytest.param("02/05/2024", True, id="Thursday 02/05/2024 is worked"),
        pytest.param("04/05/2024", False, id="Saturday 04/05/2024 is off unless decreed"),
        pytest.param("02/09/2024", False, id="National Day 02/09/2024 is off"),
        pytest.param("03/09/2024", False, id="03/09/2024 is off too"),
        pytest.param("01/01/2025", False, id="New Year's Day 2025 is off"),
    ],
)
def test_which_days_are_worked(day: str, working: bool) -> None:
    assert CALENDAR.is_working_day(d(day)) is working


def test_a_make_up_saturday_is_worked_only_when_listed() -> None:
    assert MAKE_UP.is_working_day(d("04/05/2024"))
    assert MAKE_UP.day_off_reason(d("04/05/2024")) is None
    assert not CALENDAR.is_working_day(d("04/05/2024"))
    assert not MAKE_UP.is_working_day(d("29/04/2024"))


def test_an_extra_day_off_is_not_worked() -> None:
    bridged = WorkCalendar(days_off=[d("03/05/2024")])
    assert not bridged.is_working_day(d("03/05/2024"))
    assert bridged.day_off_reason(d("03/05/2024")) == "ngày nghỉ theo quyết định"
    assert bridged.roll_forward(d("30/04/2024")) == d("02/05/2024")
    assert bridged.add_working_days(d("02/05/2024"), 1) == d("06/05/2024")


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        pytest.param("06/01/2024", "Thứ Bảy", id="a Saturday"),
        pytest.param("07/01/2024", "Chủ nhật", id="a Sunday"),
        pytest.param("10/02/2024", "Tết Nguyên Đán", id="Tết, even on a Saturday"),
        pytest.param("02/09/2024", "Quốc khánh", id="National Day"),
        pytest.param("01/01/2024", "Tết Dương lịch", id="New Year's Day"),
        pytest.param("20/02/2024", None, id="a working day has no reason"),
    ],
)
def test_day_off_reason_is_in_vietnamese(day: str, reason: str | None) -> None:
    assert CALENDAR.day_off_reason(d(day)) == reason


@pytest.mark.parametrize(
    ("due", "effective"),
    [
        pytest.param("20/02/2024", "20/02/2024", id="a working day stays put"),
        pytest.param("10/02/2024", "15/02/2024", id="a due in Tết moves past Tết"),
        pytest.param("30/04/2024", "02/05/2024", id="a due on 30/04 moves past 01/05"),
        pytest.param("31/03/2024", "01/04/2024", id="Sunday 31/03/2024 moves to Monday"),
        pytest.param("30/06/2024", "01/07/2024", id="Sunday 30/06/2024 moves to Monday"),
        pytest.param("31/08/2024", "04/09/2024", id="a weekend before National Day moves 4 days"),
        pytest.param("01/01/2025", "02/01/2025", id="New Year's Day moves to 02/01"),
    ],
)
def test_roll_forward_moves_a_due_date_off_days_off(due: str, effective: str) -> None:
    assert CALENDAR.roll_forward(d(due)) == d(effective)


def test_roll_forward_crosses_into_the_next_year() -> None:
    closed = WorkCalendar(days_off=[d("30/12/2024"), d("31/12/2024")])
    assert closed.roll_forward(d("28/12/2024")) == d("02/01/2025")


@pytest.mark.parametrize(
    ("start", "n", "reached"),
    [
        # 06, 07 worked; 08-14 Tết; 15, 16 worked; 17-18 weekend; 19 the fifth.
        pytest.param("05/02/2024", 5, "19/02/2024", id="5 working days after 05/02 skip Tết"),
        pytest.param("05/02/2024", 2, "07/02/2024", id="2 working days before Tết stay before"),
        pytest.param("07/02/2024", 1, "15/02/2024", id="the next working day after 07/02"),
        pytest.param("10/02/2024", 1, "15/02/2024", id="counting may start on a day off"),
        pytest.param("19/02/2024", -5, "05/02/2024", id="5 working days before 19/02"),
        pytest.param("15/02/2024", -1, "07/02/2024", id="the working day before 15/02"),
        pytest.param("10/02/2024", -1, "07/02/2024", id="backwards from a day off"),
        pytest.param("10/02/2024", 0, "15/02/2024", id="zero days is the roll-forward"),
        pytest.param("20/02/2024", 0, "20/02/2024", id="zero days from a working day"),
        pytest.param("27/12/2024", 3, "02/01/2025", id="across New Year"),
        pytest.param("02/01/2025", -2, "30/12/2024", id="backwards across New Year"),
    ],
)
def test_add_working_days(start: str, n: int, reached: str) -> None:
    assert CALENDAR.add_working_days(d(start), n) == d(reached)


def test_add_working_days_counts_a_make_up_saturday() -> None:
    # 29/04 to 01/05 off; 02/05 Thursday, 03/05 Friday, 04/05 the decreed Saturday.
    assert MAKE_UP.add_working_days(d("26/04/2024"), 3) == d("04/05/2024")
    assert CALENDAR.add_working_days(d("26/04/2024"), 3) == d("06/05/2024")


def test_add_working_days_over_a_long_span() -> None:
    assert CALENDAR.add_working_days(d("31/12/2023"), 2000) > d("01/01/2031")
    day = CALENDAR.add_working_days(d("31/12/2023"), 2000)
    assert CALENDAR.add_working_days(day, -2000) == d("29/12/2023")


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        pytest.param("05/02/2024", "19/02/2024", 5, id="5 working days across Tết"),
        pytest.param("20/02/2024", "21/02/2024", 1, id="one day late"),
        pytest.param("10/02/2024", "15/02/2024", 1, id="from a day off to the next working day"),
        pytest.param("15/02/2024", "15/02/2024", 0, id="the same day is not late"),
        pytest.param("19/02/2024", "05/02/2024", 0, id="an end before the start counts 0"),
        pytest.param("20/02/2024", "24/02/2024", 3, id="the weekend does not count"),
        pytest.param("31/12/2024", "03/01/2025", 2, id="across New Year"),
        pytest.param("31/12/2023", "31/12/2024", 250, id="a whole year 2024"),
    ],
)
def test_working_days_between(start: str, end: str, count: int) -> None:
    assert CALENDAR.working_days_between(d(start), d(end)) == count


def test_working_days_between_agrees_with_add_working_days() -> None:
    start = d("20/12/2023")
    for n in range(1, 300, 7):
        assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


def test_a_day_both_off_and_worked_is_refused() -> None:
    with pytest.raises(ValueError, match="04/05/2024"):
        WorkCalendar(days_off=[d("04/05/2024")], working_days=[d("04/05/2024")])


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        WorkCalendar(country="XX")


def test_another_country_uses_its_own_holidays() -> None:
    german = WorkCalendar(country="DE")
    assert not german.is_working_day(d("03/10/2024"))
    assert german.day_off_reason(d("03/10/2024"))
    assert german.is_working_day(d("30/04/2024"))


def test_a_hundred_thousand_calls_take_well_under_a_second() -> None:
    calendar = WorkCalendar()
    days = [d("01/01/2024") + timedelta(days=i % 1500) for i in range(100_000)]
    started = time.perf_counter()
    for day in days:
        calendar.add_working_days(calendar.roll_forward(day), 5)
    assert time.perf_counter() - started < 1.0
