"""Reporting periods: labels, bounds, ISO weeks and reading labels back."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

import pytest

from engine.core.periods import (
    Period,
    half,
    iso_week,
    month,
    nine_months,
    parse_period,
    quarter,
    weeks_in_year,
    year_period,
)


@pytest.mark.parametrize(
    ("period", "label", "start", "end", "kind"),
    [
        pytest.param(year_period(2024), "2024", date(2024, 1, 1), date(2024, 12, 31), "year",
                     id="the year 2024 runs from 1 January to 31 December"),
        pytest.param(quarter(2024, 1), "2024-Q1", date(2024, 1, 1), date(2024, 3, 31),
                     "quarter", id="Q1 ends on 31 March"),
        pytest.param(quarter(2024, 2), "2024-Q2", date(2024, 4, 1), date(2024, 6, 30),
                     "quarter", id="Q2 runs from April to June"),
        pytest.param(quarter(2024, 4), "2024-Q4", date(2024, 10, 1), date(2024, 12, 31),
                     "quarter", id="Q4 ends on 31 December"),
        pytest.param(half(2024, 1), "2024-H1", date(2024, 1, 1), date(2024, 6, 30), "half",
                     id="the first half ends on 30 June"),
        pytest.param(half(2024, 2), "2024-H2", date(2024, 7, 1), date(2024, 12, 31), "half",
                     id="the second half runs from July to December"),
        pytest.param(nine_months(2024), "2024-9M", date(2024, 1, 1), date(2024, 9, 30), "9m",
                     id="nine months are cumulative from 1 January to 30 September"),
        pytest.param(month(2024, 2), "2024-02", date(2024, 2, 1), date(2024, 2, 29), "month",
                     id="February 2024 has 29 days and a two-digit label"),
        pytest.param(month(2023, 2), "2023-02", date(2023, 2, 1), date(2023, 2, 28), "month",
                     id="February 2023 has 28 days"),
        pytest.param(iso_week(2024, 7), "2024-W07", date(2024, 2, 12), date(2024, 2, 18),
                     "week", id="ISO week 7 of 2024 runs Monday 12 to Sunday 18 February"),
        pytest.param(iso_week(2020, 1), "2020-W01", date(2019, 12, 30), date(2020, 1, 5),
                     "week", id="ISO week 1 of 2020 starts in December 2019"),
        pytest.param(iso_week(2020, 53), "2020-W53", date(2020, 12, 28), date(2021, 1, 3),
                     "week", id="ISO week 53 of 2020 ends in January 2021"),
        pytest.param(iso_week(2026, 53), "2026-W53", date(2026, 12, 28), date(2027, 1, 3),
                     "week", id="2026 also has a week 53"),
    ],
)
def test_period_bounds_and_label(period: Period, label: str, start: date, end: date,
                                 kind: str) -> None:
    assert (period.label, period.start, period.end, period.kind) == (label, start, end, kind)


@pytest.mark.parametrize(
    ("year", "weeks"),
    [
        pytest.param(2024, 52, id="2024 has 52 ISO weeks"),
        pytest.param(2020, 53, id="2020 has 53 ISO weeks"),
        pytest.param(2026, 53, id="2026 has 53 ISO weeks"),
        pytest.param(2015, 53, id="2015 has 53 ISO weeks"),
        pytest.param(2019, 52, id="2019 has 52 ISO weeks"),
    ],
)
def test_weeks_in_year(year: int, weeks: int) -> None:
    assert weeks_in_year(year) == weeks


def _every_period(year: int) -> list[Period]:
    return [
        year_period(year), nine_months(year),
        *(quarter(year, q) for q in range(1, 5)),
        *(half(year, h) for h in (1, 2)),
        *(month(year, m) for m in range(1, 13)),
        *(iso_week(year, w) for w in range(1, weeks_in_year(year) + 1)),
    ]


@pytest.mark.parametrize("year", [pytest.param(2024, id="in 2024"),
                                  pytest.param(2020, id="in 2020, a 53-week year")])
def test_every_label_reads_back_as_its_period(year: int) -> None:
    for period in _every_period(year):
        assert parse_period(period.label) == period


def test_iso_weeks_tile_the_iso_year_without_gaps() -> None:
    weeks = [iso_week(2026, w) for w in range(1, weeks_in_year(2026) + 1)]
    for before, after in pairwise(weeks):
        assert (after.start - before.end).days == 1


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("2024-Q5", id="there is no fifth quarter"),
        pytest.param("2024-H3", id="there is no third half"),
        pytest.param("2024-13", id="there is no month 13"),
        pytest.param("2024-W53", id="2024 has no week 53"),
        pytest.param("2024-3", id="months need two digits"),
        pytest.param("24-Q1", id="years need four digits"),
        pytest.param("2024-q1", id="the letter is upper case"),
        pytest.param("", id="an empty label"),
    ],
)
def test_a_bad_label_is_an_error_that_names_it(label: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(label))):
        parse_period(label)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: quarter(2024, 0), "no quarter 0", id="quarter 0"),
        pytest.param(lambda: half(2024, 3), "no half 3", id="half 3"),
        pytest.param(lambda: month(2024, 13), "no month 13", id="month 13"),
        pytest.param(lambda: iso_week(2024, 53), "weeks 1 to 52", id="week 53 of 2024"),
    ],
)
def test_building_a_period_that_does_not_exist_fails(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(ValueError, match=message):
        build()


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        Period("2024", date(2024, 12, 31), date(2024, 1, 1), "year")
