"""Deadline forms of ministry, Government and province plans: spans, yearly-from, "xong"."""

from __future__ import annotations

from datetime import date

import pytest

from engine.core.due_phrases import parse_due
from engine.core.due_rules import EveryYearFrom, PeriodEnd, Span
from engine.core.errors import DuePhraseError
from engine.core.workdays import WorkCalendar

CAL = WorkCalendar()


def _due_dates(phrase: str, year: int) -> list[date | None]:
    rule = parse_due(phrase, year=year)
    return [o.printed for o in rule.occurrences(year=year, calendar=CAL)]


@pytest.mark.parametrize(("phrase", "start", "due"), [
    ("01-4/2021", date(2021, 1, 1), date(2021, 4, 30)),
    ("Từ tháng 1 đến tháng 4/2021", date(2021, 1, 1), date(2021, 4, 30)),
    ("Tháng 3-5/2024", date(2024, 3, 1), date(2024, 5, 31)),
    ("2024-2025", date(2024, 1, 1), date(2025, 12, 31)),
    ("Giai đoạn 2026 – 2030", date(2026, 1, 1), date(2030, 12, 31)),
    ("from March to June 2024", date(2024, 3, 1), date(2024, 6, 30)),
])
def test_a_span_is_due_when_its_last_month_or_year_ends(phrase, start, due):
    rule = parse_due(phrase, year=2024)
    assert isinstance(rule, Span)
    assert (rule.first.start, rule.last.end) == (start, due)
    assert _due_dates(phrase, 2024) == [due]


def test_a_span_backwards_or_past_december_is_refused_with_the_reason():
    with pytest.raises(DuePhraseError, match="ends before it starts"):
        parse_due("2025-2024", year=2024)
    with pytest.raises(DuePhraseError):
        parse_due("01-13/2024", year=2024)


def test_a_month_span_is_not_read_as_a_date():
    # "01-4/2021" mixes separators: it is January to April, not 1 April.
    assert not isinstance(parse_due("01-4/2021", year=2021), PeriodEnd)
    assert parse_due("01-4-2021", year=2021).occurrences(year=2021, calendar=CAL)[0].printed \
        == date(2021, 4, 1)


@pytest.mark.parametrize("phrase", ["Năm 2022 và hàng năm", "Từ năm 2022, hằng năm",
                                    "Hằng năm từ năm 2022", "2022 and every year after"])
def test_every_year_from_a_year_has_no_instance_before_it(phrase):
    rule = parse_due(phrase, year=2024)
    assert rule == EveryYearFrom(phrase, 2022)
    assert _due_dates(phrase, 2024) == [date(2024, 12, 31)]
    assert _due_dates(phrase, 2021) == []


@pytest.mark.parametrize(("phrase", "due"), [
    ("Xong trong Quý II/2026", date(2026, 6, 30)),
    ("Hoàn thành trong năm 2025", date(2025, 12, 31)),
    ("Hoàn thành xong trong tháng 10/2025", date(2025, 10, 31)),
    ("trước ngày 01/01/2030", date(2029, 12, 31)),
])
def test_done_within_reads_as_the_period_itself(phrase, due):
    assert _due_dates(phrase, 2025) == [due]


def test_a_bad_date_after_xong_names_the_phrase_as_given():
    with pytest.raises(DuePhraseError) as caught:
        parse_due("Xong trước ngày 31/02/2026", year=2026)
    assert "31/02/2026" in str(caught.value)


@pytest.mark.parametrize(("phrase", "due"), [
    ("Tháng 8 hằng năm", date(2026, 8, 31)),
    ("Trước ngày 30/6 hằng năm", date(2026, 6, 29)),
    ("Quý II hàng năm", date(2026, 6, 30)),
    ("by 15 March every year", date(2026, 3, 15)),
])
def test_a_month_or_date_of_every_year_falls_in_the_plan_year(phrase, due):
    assert _due_dates(phrase, 2026) == [due]
    assert _due_dates(phrase, 2027)[0].year == 2027


def test_every_year_does_not_turn_a_dated_year_or_a_cadence_into_something_else():
    assert parse_due("Hằng năm", year=2026).occurrences(year=2026, calendar=CAL)[0].printed \
        == date(2026, 12, 31)
    with pytest.raises(DuePhraseError):
        parse_due("Tháng 8/2025 hằng năm", year=2026)
