"""The pure escalation core: levels across Tết and weekends, overrides, the decision."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.core.escalation import (
    OpenInstance,
    PlanContext,
    decide_escalations,
    level_cutoff,
    trigger_date,
    working_days_late,
)
from engine.core.policy import DEFAULT_POLICY, Audience, AudienceKind, PolicyError, policy_for
from engine.core.spec import EscalationLevelSpec, PlanHeader, TaskSpec
from engine.core.workdays import WorkCalendar
from tests.test_sweep_support import HN

D = dt.date
# Hà Nội 2024: Tết 08/02-14/02, 29/04-01/05 and 02-03/09 off, Saturday 04/05 worked.
CALENDAR = WorkCalendar(working_days=[D(2024, 5, 4)])
LEVEL_OFFSETS = {level.name: level.offset for level in DEFAULT_POLICY.levels}

TRIGGERS = [
    ("reminder", D(2024, 2, 20), D(2024, 2, 6)),
    ("overdue", D(2024, 2, 20), D(2024, 2, 21)),
    ("urge", D(2024, 2, 20), D(2024, 2, 27)),
    ("leadership", D(2024, 2, 20), D(2024, 3, 12)),
    ("overdue", D(2024, 2, 7), D(2024, 2, 15)),
    ("reminder", D(2024, 2, 16), D(2024, 2, 2)),
    ("overdue", D(2024, 3, 1), D(2024, 3, 4)),
    ("urge", D(2024, 4, 26), D(2024, 5, 7)),
    ("reminder", D(2024, 5, 6), D(2024, 4, 25)),
    ("overdue", D(2024, 8, 30), D(2024, 9, 4)),
]
TRIGGER_IDS = [
    "a reminder for 20/02 reaches back across Tet to 06/02",
    "overdue for 20/02 is the next day 21/02",
    "urge for 20/02 skips the weekend and lands on 27/02",
    "leadership for 20/02 comes 15 working days later on 12/03",
    "overdue for 07/02 waits until the first working day after Tet, 15/02",
    "a reminder for 16/02 (right after Tet) is sent on 02/02, before Tet",
    "overdue for Friday 01/03 is Monday 04/03",
    "urge for 26/04 skips the 29/04-01/05 holidays and counts Saturday 04/05",
    "a reminder for 06/05 counts the worked Saturday 04/05 and skips the holidays",
    "overdue for Friday 30/08 skips the National Day holidays to 04/09",
]


@pytest.mark.parametrize(("level", "due", "reached_on"), TRIGGERS, ids=TRIGGER_IDS)
def test_a_level_is_reached_on_its_working_day(level: str, due: dt.date,
                                               reached_on: dt.date) -> None:
    offset = LEVEL_OFFSETS[level]
    assert trigger_date(CALENDAR, due, offset) == reached_on
    assert due <= level_cutoff(CALENDAR, offset, today=reached_on)
    assert not due <= level_cutoff(CALENDAR, offset, today=reached_on - dt.timedelta(days=1))


@pytest.mark.parametrize("offset", [-15, -5, -1, 0, 1, 5, 15],
                         ids=lambda o: f"offset {o:+d} working days")
def test_the_cutoff_agrees_with_the_trigger_date_every_day_of_2024(offset: int) -> None:
    for n in range(366):
        today = D(2024, 1, 1) + dt.timedelta(days=n)
        cutoff = level_cutoff(CALENDAR, offset, today=today)
        for shift in range(-30, 31):
            due = today + dt.timedelta(days=shift)
            assert (trigger_date(CALENDAR, due, offset) <= today) == (due <= cutoff), (due, today)


@pytest.mark.parametrize(("due", "today", "late"), [
    (D(2024, 2, 7), D(2024, 2, 15), 1),
    (D(2024, 2, 20), D(2024, 2, 6), -5),
    (D(2024, 3, 1), D(2024, 3, 3), 0),
    (D(2024, 2, 20), D(2024, 2, 20), 0),
], ids=["one working day late on the first day after Tet",
        "five working days early on the reminder day",
        "not a working day late over the weekend",
        "zero on the due day itself"])
def test_working_days_late(due: dt.date, today: dt.date, late: int) -> None:
    assert working_days_late(CALENDAR, due, today=today) == late


def context(**policies: object) -> PlanContext:
    return PlanContext(id="p", issuer="ubnd-tp", monitor="so-noi-vu", timezone="Asia/Ho_Chi_Minh",
                       calendar=CALENDAR, coordinators={"t": ("so-tu-phap", "so-noi-vu")},
                       policies=policies)  # type: ignore[arg-type]


def moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8), HN)


DUE = D(2024, 2, 20)
DECISIONS = [
    (D(2024, 2, 5), OpenInstance("i", "t", "so-y-te", DUE), [], []),
    (D(2024, 2, 6), OpenInstance("i", "t", "so-y-te", DUE), [], ["reminder*"]),
    (D(2024, 2, 13), OpenInstance("i", "t", "so-y-te", DUE), ["reminder"], []),
    (D(2024, 2, 21), OpenInstance("i", "t", "so-y-te", DUE), ["reminder"], ["overdue*"]),
    (D(2024, 3, 12), OpenInstance("i", "t", "so-y-te", DUE), [],
     ["reminder", "overdue", "urge*", "leadership*"]),
    (D(2024, 2, 27), OpenInstance("i", "t", "so-y-te", DUE,
                                  completed_at=moment(D(2024, 2, 9))), ["reminder"], []),
    (D(2024, 2, 27), OpenInstance("i", "t", "so-y-te", DUE,
                                  waived_at=moment(D(2024, 2, 9))), [], []),
    (D(2024, 12, 31), OpenInstance("i", "t", "so-y-te", None), [], []),
]
DECISION_IDS = [
    "nothing the day before the reminder",
    "the reminder on 06/02 for a task due 20/02",
    "nothing new on 13/02 (a Tet holiday) once the reminder was sent",
    "overdue on 21/02 after the reminder",
    "a first sweep long after due records all levels; the lead hears of urge, the issuer "
    "of leadership",
    "a task completed after its reminder gets no later level",
    "a waived task never escalates",
    "a continuous task (no deadline) is never overdue",
]


@pytest.mark.parametrize(("today", "instance", "told", "expected"), DECISIONS, ids=DECISION_IDS)
def test_decide_escalations(today: dt.date, instance: OpenInstance, told: list[str],
                            expected: list[str]) -> None:
    decided = decide_escalations([instance], plan=context(), now=moment(today),
                                 told={(instance.id, level) for level in told})
    assert [e.level.name + ("*" if e.notify else "") for e in decided] == expected


def test_the_audiences_of_the_default_levels() -> None:
    instance = OpenInstance("i", "t", "so-y-te", DUE)
    decided = decide_escalations([instance], plan=context(), now=moment(D(2024, 3, 12)))
    by_level = {e.level.name: e for e in decided}
    assert by_level["reminder"].to == ("so-y-te",)
    assert [a for a, _ in by_level["reminder"].cc] == ["so-tu-phap", "so-noi-vu"]
    assert by_level["overdue"].cc == (("so-noi-vu", "đơn vị theo dõi, đôn đốc thực hiện kế hoạch"),)
    assert by_level["leadership"].to == ("ubnd-tp",)
    assert by_level["leadership"].days_late == 15


def header(**extra: object) -> PlanHeader:
    return PlanHeader(id="p", title="Kế hoạch", year=2024, issuer="ubnd-tp", monitor="so-noi-vu",
                      directory="d.yaml", **extra)  # type: ignore[arg-type]


def test_a_task_override_wins_over_the_plan_override_and_the_default() -> None:
    plan_levels = (EscalationLevelSpec(name="nhac", offset_working_days=-3, to=("lead",)),)
    task_levels = (EscalationLevelSpec(name="bao-cao", offset_working_days=2,
                                       to=("agency:vp-ubnd-tp",), cc=("monitor", "issuer")),)
    task = TaskSpec(id="t", title="T", lead=("so-y-te",), due="20/02", escalation=task_levels)
    plain = TaskSpec(id="u", title="U", lead=("so-y-te",), due="20/02")
    assert policy_for(header(), plain) is DEFAULT_POLICY
    assert [lv.name for lv in policy_for(header(escalation=plan_levels), plain).levels] == ["nhac"]
    level = policy_for(header(escalation=plan_levels), task).levels[0]
    assert (level.name, level.offset) == ("bao-cao", 2)
    assert level.to == (Audience(AudienceKind.AGENCY, "vp-ubnd-tp"),)
    assert level.cc == (Audience(AudienceKind.MONITOR), Audience(AudienceKind.ISSUER))


@pytest.mark.parametrize("word", ["Lead!", "group:so-ban-nganh", ""],
                         ids=["punctuation", "a group", "nothing"])
def test_an_unknown_audience_is_a_policy_error(word: str) -> None:
    with pytest.raises(PolicyError, match="unknown audience"):
        Audience.parse(word)


def test_a_policy_with_a_level_twice_is_refused() -> None:
    twice = [EscalationLevelSpec(name="a", offset_working_days=1, to=("lead",))] * 2
    with pytest.raises(PolicyError, match="twice"):
        policy_for(header(escalation=tuple(twice)))
