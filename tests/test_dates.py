"""The deadline language: every phrase of the seed plans, its variants, and its errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.core.due_phrases import parse_due
from engine.core.due_rules import (
    Continuous,
    DueRule,
    FixedDate,
    Occurrence,
    PeriodEnd,
    Recurring,
    Relative,
    ReportCadence,
    end_of_day,
)
from engine.core.errors import DuePhraseError
from engine.core.workdays import WorkCalendar

CALENDAR = WorkCalendar()


def d(text: str) -> date:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def instances(phrase: str, year: int = 2024) -> list[Occurrence]:
    return parse_due(phrase, year=year).occurrences(year=year, calendar=CALENDAR)


def table(phrase: str) -> list[tuple[str, str | None, str | None]]:
    """Each instance as (period label, printed dd/mm/yyyy, effective dd/mm/yyyy)."""
    def show(day: date | None) -> str | None:
        return day.strftime("%d/%m/%Y") if day else None
    return [(o.period.label, show(o.printed), show(o.effective)) for o in instances(phrase)]


def variants(*phrases: str, expected: object) -> list[object]:
    """The same expectation for a seed phrase, its spelling without diacritics, and English."""
    return [pytest.param(p, expected, id=f"{p!r} is read") for p in phrases]


# --- phrases that occur in the seeds, one instance each ---------------------------------

SINGLE = [
    *variants("Chậm nhất ngày 20/02/2024", "Cham nhat ngay 20/02/2024", "by 20 February 2024",
              "no later than 20/02/2024", "20 Feb 2024",
              expected=[("2024", "20/02/2024", "20/02/2024")]),
    *variants("Trong năm", "Trong nam", "within the year",
              expected=[("2024", "31/12/2024", "31/12/2024")]),
    *variants("Trong năm 2024", "Trong nam 2024", "during 2024", "throughout 2024", "Năm 2024",
              expected=[("2024", "31/12/2024", "31/12/2024")]),
    *variants("Tháng 6/2024", "Thang 6/2024", "June 2024", "tháng 6", "in June",
              expected=[("2024-06", "30/06/2024", "01/07/2024")]),
    *variants("Tháng 9/2024", "Thang 9/2024", "September 2024",
              expected=[("2024-09", "30/09/2024", "30/09/2024")]),
    *variants("trước ngày 02/11", "truoc ngay 02/11", "before 2 November",
              expected=[("2024", "01/11/2024", "01/11/2024")]),
    *variants("ngày 10/10", "ngay 10/10", "on 10 October",
              expected=[("2024", "10/10/2024", "10/10/2024")]),
    *variants("Thường xuyên", "Thuong xuyen", "liên tục", "ongoing", "continuous",
              expected=[("2024", None, None)]),
    *variants("định kỳ hằng năm", "dinh ky hang nam", "hàng năm", "annually", "yearly",
              expected=[("2024", "31/12/2024", "31/12/2024")]),
]


@pytest.mark.parametrize(("phrase", "expected"), SINGLE)
def test_a_seed_phrase_gives_one_instance(phrase: str, expected: object) -> None:
    assert table(phrase) == expected


def test_a_whole_year_of_2019_is_due_at_the_end_of_2019() -> None:
    for phrase in ("Cả năm 2019", "Ca nam 2019", "throughout 2019"):
        [only] = instances(phrase, year=2019)
        assert (only.period.label, only.printed, only.effective) == (
            "2019", d("31/12/2019"), d("31/12/2019"))


def test_the_2019_report_due_before_02_11_is_due_on_01_11() -> None:
    [only] = instances("trước ngày 02/11", year=2019)
    assert only.printed == only.effective == d("01/11/2019")


QUARTERS = [("2024-Q1", "31/03/2024", "01/04/2024"), ("2024-Q2", "30/06/2024", "01/07/2024"),
            ("2024-Q3", "30/09/2024", "30/09/2024"), ("2024-Q4", "31/12/2024", "31/12/2024")]
REPORTS = [("2024-Q1", "31/03/2024", "01/04/2024"), ("2024-H1", "30/06/2024", "01/07/2024"),
           ("2024-9M", "30/09/2024", "30/09/2024"), ("2024", "31/12/2024", "31/12/2024")]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        *variants("Định kỳ hằng quý", "Dinh ky hang quy", "Hằng quý", "Hàng quý",
                  "Định kỳ hàng quý", "quarterly", "every quarter", expected=QUARTERS),
        *variants("Định kỳ quý I, 6 tháng, 9 tháng, năm", "Dinh ky quy I, 6 thang, 9 thang, nam",
                  "Định kỳ quý 1, 6 tháng, 9 tháng và năm", "Q1, H1, 9M and annual",
                  "quarterly cumulative reports", expected=REPORTS),
    ],
)
def test_quarterly_phrases_give_four_instances(phrase: str, expected: object) -> None:
    assert table(phrase) == expected


def test_report_windows_are_cumulative_from_1_january() -> None:
    for occurrence in instances("Định kỳ quý I, 6 tháng, 9 tháng, năm"):
        assert occurrence.period.start == d("01/01/2024")


@pytest.mark.parametrize(
    "phrase",
    [pytest.param(p, id=f"{p!r} is due at every month's end")
     for p in ("Định kỳ hằng tháng", "Dinh ky hang thang", "hàng tháng", "1 lần/tháng",
               "monthly", "every month")],
)
def test_monthly_gives_twelve_instances(phrase: str) -> None:
    rows = table(phrase)
    assert [label for label, _, _ in rows] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert rows[1] == ("2024-02", "29/02/2024", "29/02/2024")
    # 31/08/2024 is a Saturday and 02-03/09 are National Day: the due moves to 04/09.
    assert rows[7] == ("2024-08", "31/08/2024", "04/09/2024")


@pytest.mark.parametrize(
    "phrase",
    [pytest.param(p, id=f"{p!r} is due every Sunday")
     for p in ("Định kỳ hằng tuần", "Dinh ky hang tuan", "hàng tuần", "01 lần/1 tuần",
               "01 lan/1 tuan", "1 lần/tuần", "weekly", "every week")],
)
def test_weekly_gives_one_instance_per_iso_week(phrase: str) -> None:
    rows = instances(phrase)
    assert len(rows) == 52
    assert [o.period.label for o in rows[:2]] == ["2024-W01", "2024-W02"]
    assert all(o.printed is not None and o.printed.weekday() == 6 for o in rows)
    assert (rows[0].printed, rows[0].effective) == (d("07/01/2024"), d("08/01/2024"))
    assert rows[-1].printed == d("29/12/2024")


@pytest.mark.parametrize(("year", "weeks"), [pytest.param(2020, 53, id="2020 has 53 weeks"),
                                             pytest.param(2026, 53, id="2026 has 53 weeks")])
def test_weekly_in_a_53_week_year(year: int, weeks: int) -> None:
    rows = instances("Định kỳ hằng tuần", year=year)
    assert len(rows) == weeks
    assert rows[-1].period.label == f"{year}-W53"


# --- forms the language offers beyond the seeds ------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        *variants("20/02/2024", "20/02", "2024-02-20", "February 20, 2024",
                  "ngày 20 tháng 2 năm 2024",
                  expected=[("2024", "20/02/2024", "20/02/2024")]),
        *variants("ngày 10/02/2024", "10/02",
                  expected=[("2024", "10/02/2024", "15/02/2024")]),
        *variants("Quý II/2024", "Quy II/2024", "quý 2 năm 2024", "Q2 2024",
                  "second quarter of 2024",
                  expected=[("2024-Q2", "30/06/2024", "01/07/2024")]),
        *variants("6 tháng đầu năm", "6 thang dau nam", "first half of 2024", "H1 2024",
                  expected=[("2024-H1", "30/06/2024", "01/07/2024")]),
        *variants("6 tháng cuối năm", "6 thang cuoi nam", "second half",
                  expected=[("2024-H2", "31/12/2024", "31/12/2024")]),
        *variants("9 tháng đầu năm", "9 thang dau nam", "first nine months of 2024",
                  expected=[("2024-9M", "30/09/2024", "30/09/2024")]),
        *variants("2024-W07", expected=[("2024-W07", "18/02/2024", "19/02/2024")]),
        *variants("trước ngày 01/05/2024", expected=[("2024", "30/04/2024", "02/05/2024")]),
        *variants("before 1 January 2025", expected=[("2024", "31/12/2024", "31/12/2024")]),
    ],
)
def test_other_forms(phrase: str, expected: object) -> None:
    assert table(phrase) == expected


@pytest.mark.parametrize(
    "phrase",
    [
        pytest.param("chậm nhất ngày 20/02/2024.", id="a trailing full stop"),
        pytest.param("  CHẬM NHẤT   NGÀY  20/02/2024 ", id="upper case and extra spaces"),
        pytest.param("CHAM NHAT NGAY 20/02/2024", id="upper case without diacritics"),
        pytest.param("Chậm nhất ngày 20 / 02 / 2024", id="spaces around the slashes"),
        pytest.param("Chậm nhất là ngày 20/02/2024", id="with 'là'"),
    ],
)
def test_spelling_does_not_matter(phrase: str) -> None:
    rule = parse_due(phrase, year=2024)
    assert rule == FixedDate(phrase, d("20/02/2024"))


@pytest.mark.parametrize(
    ("phrase", "kind"),
    [
        pytest.param("Chậm nhất ngày 20/02/2024", FixedDate, id="a date is a FixedDate"),
        pytest.param("Tháng 9/2024", PeriodEnd, id="a month is a PeriodEnd"),
        pytest.param("Định kỳ hằng tuần", Recurring, id="weekly is Recurring"),
        pytest.param("Định kỳ quý I, 6 tháng, 9 tháng, năm", ReportCadence,
                     id="the report windows are a ReportCadence"),
        pytest.param("Thường xuyên", Continuous, id="ongoing work is Continuous"),
        pytest.param("05 ngày sau a", Relative, id="days after a task are Relative"),
    ],
)
def test_each_form_has_its_rule_and_keeps_the_phrase(phrase: str, kind: type[DueRule]) -> None:
    rule = parse_due(f" {phrase}. ", year=2024)
    assert isinstance(rule, kind)
    assert rule.phrase == f" {phrase}. "


def test_an_occurrence_says_whether_its_due_date_moved() -> None:
    [june] = instances("Tháng 6/2024")
    [september] = instances("Tháng 9/2024")
    [ongoing] = instances("Thường xuyên")
    assert june.moved and not september.moved and not ongoing.moved


# --- relative deadlines -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "days", "working", "after"),
    [
        pytest.param("trong 05 ngày làm việc sau lap-ke-hoach", 5, True, "lap-ke-hoach",
                     id="working days after a task"),
        pytest.param("trong 05 ngay lam viec sau lap-ke-hoach", 5, True, "lap-ke-hoach",
                     id="working days after a task, without diacritics"),
        pytest.param("05 ngày sau khao-sat", 5, False, "khao-sat", id="calendar days"),
        pytest.param("within 5 working days after task-a", 5, True, "task-a",
                     id="working days in English"),
        pytest.param("10 days after task-a", 10, False, "task-a", id="calendar days in English"),
    ],
)
def test_relative_phrases(phrase: str, days: int, working: bool, after: str) -> None:
    rule = parse_due(phrase, year=2024)
    assert rule == Relative(phrase, days, working, after)
    assert rule.occurrences(year=2024, calendar=CALENDAR) == []


@pytest.mark.parametrize(
    ("phrase", "done", "due"),
    [
        pytest.param("trong 05 ngày làm việc sau a", "05/02/2024", "19/02/2024",
                     id="5 working days after 05/02/2024 skip Tết"),
        pytest.param("10 ngày sau a", "01/02/2024", "15/02/2024",
                     id="10 days after 01/02 land in Tết and move to 15/02"),
        pytest.param("05 ngày sau a", "25/04/2024", "02/05/2024",
                     id="5 days after 25/04 land on 30/04 and move to 02/05"),
        pytest.param("05 ngày sau a", "13/02/2024", "19/02/2024",
                     id="counting starts the day after the event even in Tết"),
        pytest.param("5 days after a", "05/03/2024", "11/03/2024",
                     id="a Sunday due moves to Monday"),
    ],
)
def test_relative_due_dates(phrase: str, done: str, due: str) -> None:
    rule = parse_due(phrase, year=2024)
    assert isinstance(rule, Relative)
    assert rule.due_after(d(done), CALENDAR) == d(due)


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "hint"),
    [
        pytest.param("", "empty", id="an empty phrase"),
        pytest.param("   ", "empty", id="a blank phrase"),
        pytest.param("soon", "Chậm nhất ngày 20/02/2024", id="an unknown phrase lists forms"),
        pytest.param("31/02/2024", "02/2024 has 29 days", id="31 February"),
        pytest.param("Chậm nhất ngày 29/02/2023", "02/2023 has 28 days", id="29 February 2023"),
        pytest.param("tháng 13/2024", "no month 13", id="month 13"),
        pytest.param("Quý V/2024", "no quarter 5", id="quarter V"),
        pytest.param("61/2018/NĐ-CP", "accepted forms", id="a decree number is not a date"),
        pytest.param("Nghị định số 61/2018/NĐ-CP", "accepted forms",
                     id="a decree citation is not a date"),
        pytest.param("ngày 24/6/2022 của Chính phủ", "accepted forms",
                     id="a document date in prose is not a deadline"),
        pytest.param("trước ngày hoàn thành", "accepted forms", id="'before' with no date"),
    ],
)
def test_a_bad_phrase_is_an_error_quoting_it(phrase: str, hint: str) -> None:
    with pytest.raises(DuePhraseError) as caught:
        parse_due(phrase, year=2024)
    assert caught.value.phrase == phrase
    assert repr(phrase) in str(caught.value)
    assert hint in str(caught.value)
    assert isinstance(caught.value, ValueError)


# --- end of the due day -------------------------------------------------------------------

def test_a_due_date_ends_at_23_59_59_in_hanoi() -> None:
    moment = end_of_day(d("20/02/2024"))
    assert moment.isoformat() == "2024-02-20T23:59:59+07:00"
    assert moment.utcoffset() == timedelta(hours=7)


def test_end_of_day_in_another_zone() -> None:
    assert end_of_day(d("20/02/2024"), "UTC").isoformat() == "2024-02-20T23:59:59+00:00"
