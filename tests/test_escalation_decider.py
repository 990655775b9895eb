"""The memoised Decider gives exactly what the plain definition, decided instance by instance,
gives (reached_ranks and escalation_of below)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from engine.core.escalation import (
    Decider,
    Escalation,
    OpenInstance,
    PlanContext,
    decide_escalations,
    level_cutoff,
    resolve,
    trigger_date,
    working_days_late,
)
from engine.core.policy import (
    AUDIENCE_REASONS_VI,
    COORDINATORS,
    ISSUER,
    LEAD,
    MONITOR,
    Audience,
    AudienceKind,
    Level,
    Policy,
)
from tests.test_escalation_policy import CALENDAR, moment

D = dt.date
NAMED = Audience(AudienceKind.AGENCY, "so-tu-phap")
# Shapes of levels the memo must get right: the lead cc'd by two audiences at once, the lead
# also a coordinator or the named agency, no lead at all, the lead both told and cc'd.
ODD = Policy((
    Level("a", -3, (MONITOR,), (COORDINATORS, LEAD)),
    Level("b", 0, (NAMED, LEAD), (LEAD, COORDINATORS, ISSUER)),
    Level("c", 2, (ISSUER,), (MONITOR, NAMED)),
    Level("d", 4, (LEAD, MONITOR), (NAMED, LEAD, MONITOR)),
))
PLAN = PlanContext(id="p", issuer="ubnd-tp", monitor="so-noi-vu", timezone="Asia/Ho_Chi_Minh",
                   calendar=CALENDAR,
                   coordinators={"t": ("so-tu-phap", "so-noi-vu"), "u": ("so-y-te",)},
                   policies={"u": ODD})
AGENCIES = ("so-y-te", "so-tu-phap", "so-noi-vu", "ubnd-tp", "so-xay-dung")
DUES = [D(2024, 2, 1) + dt.timedelta(days=n) for n in range(0, 60, 3)]
INSTANCES = [OpenInstance(f"{task}:{lead}:{due}", task, lead, due)
             for task, lead, due in itertools.product(("t", "u"), AGENCIES, DUES)]


def reached_ranks(instance: OpenInstance, *, plan: PlanContext, today: dt.date) -> list[int]:
    """Ranks of the levels of the instance's policy reached by `today` (if it is open)."""
    if not instance.is_open or instance.due_date is None:
        return []
    levels = plan.policy(instance.task).levels
    return [rank for rank, level in enumerate(levels)
            if instance.due_date <= level_cutoff(plan.calendar, level.offset, today=today)]


def escalation_of(instance: OpenInstance, *, plan: PlanContext, rank: int, today: dt.date,
                  notify: bool) -> Escalation:
    """The escalation of `instance` at the level of rank `rank` of its policy."""
    assert instance.due_date is not None
    level = plan.policy(instance.task).levels[rank]
    to = [agency for agency, _ in resolve(level.to, instance=instance, plan=plan)]
    cc = tuple((agency, AUDIENCE_REASONS_VI[kind])
               for agency, kind in resolve(level.cc, instance=instance, plan=plan)
               if agency not in to)
    return Escalation(instance.id, plan.id, level, rank,
                      trigger_date(plan.calendar, instance.due_date, level.offset),
                      working_days_late(plan.calendar, instance.due_date, today=today),
                      notify, tuple(to), cc)


@pytest.mark.parametrize("today", [D(2024, 2, 6), D(2024, 2, 21), D(2024, 3, 12)],
                         ids=lambda d: d.isoformat())
def test_the_decider_agrees_with_escalation_of(today: dt.date) -> None:
    decider = Decider(PLAN, today)
    for instance in INSTANCES:
        assert instance.due_date is not None
        ranks = reached_ranks(instance, plan=PLAN, today=today)
        assert [s.route.rank for s in decider.steps(instance.task, instance.due_date)] == ranks
        for step in decider.steps(instance.task, instance.due_date):
            expected = escalation_of(instance, plan=PLAN, rank=step.route.rank, today=today,
                                     notify=True)
            got = decider.escalation(instance.id, instance.agency, step, notify=True)
            assert got == expected
            assert step.route.addressed(instance.agency) == (expected.to, expected.cc)
            assert decider.days_late(instance.due_date) == expected.days_late


def test_decide_escalations_is_the_plain_decision_instance_by_instance() -> None:
    now = moment(D(2024, 3, 12))
    told = {(i.id, "reminder") for i in INSTANCES[::2]} | {(i.id, "b") for i in INSTANCES[::3]}
    expected = []
    for instance in INSTANCES:
        levels = PLAN.policy(instance.task).levels
        new = [r for r in reached_ranks(instance, plan=PLAN, today=now.date())
               if (instance.id, levels[r].name) not in told]
        # Notified: no higher new level tells the same audiences.
        expected += [escalation_of(instance, plan=PLAN, rank=r, today=now.date(),
                                   notify=not any(set(levels[h].to) == set(levels[r].to)
                                                  for h in new if h > r)) for r in new]
    assert decide_escalations(INSTANCES, plan=PLAN, told=told, now=now) == expected
