"""The pure decision of which escalation levels (engine.core.policy) open instances have reached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from engine.core.policy import (
    AUDIENCE_REASONS_VI,
    DEFAULT_POLICY,
    Audience,
    AudienceKind,
    Level,
    Policy,
)
from engine.core.workdays import WorkCalendar


# --- when a level is reached ----------------------------------------------------------
def trigger_date(calendar: WorkCalendar, due_date: dt.date, offset: int) -> dt.date:
    """The working day on which a level `offset` working days from `due_date` is reached.

    Negative offsets count back from the due date (5 working days before), positive ones
    forward (the first working day after is +1), 0 is the due date itself.
    """
    return calendar.add_working_days(due_date, offset)


def level_cutoff(calendar: WorkCalendar, offset: int, *, today: dt.date) -> dt.date:
    """The latest due date whose level at `offset` is reached on or before `today`.

    `trigger_date` never decreases as the due date grows, so "reached by today" is exactly
    "due date <= cutoff": one range condition the sweep hands to SQL.
    """
    if offset > 0:
        # reached iff more than `offset - 1` working days lie in (due, today]
        nth_latest = calendar.add_working_days(today + dt.timedelta(days=1), -offset)
        return nth_latest - dt.timedelta(days=1)
    if offset == 0:
        return calendar.add_working_days(today + dt.timedelta(days=1), -1)
    return calendar.add_working_days(today, -offset)


def working_days_late(calendar: WorkCalendar, due_date: dt.date, *, today: dt.date) -> int:
    """Working days from `due_date` to `today`: positive when late, negative when before."""
    if today >= due_date:
        return calendar.working_days_between(due_date, today)
    return -calendar.working_days_between(today, due_date)


# --- the decision ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlanContext:
    """What deciding and addressing escalations needs to know about one plan."""

    id: str
    issuer: str
    monitor: str
    timezone: str
    calendar: WorkCalendar
    coordinators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # groups expanded
    policies: Mapping[str, Policy] = field(default_factory=dict)  # task id -> override

    def policy(self, task: str) -> Policy:
        return self.policies.get(task, DEFAULT_POLICY)

    def local_date(self, now: dt.datetime) -> dt.date:
        """The plan's local date at `now` (levels are reached by whole working days)."""
        return now.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True, slots=True)
class OpenInstance:
    """An instance as the decision sees it."""

    id: str
    task: str
    agency: str
    due_date: dt.date | None
    completed_at: dt.datetime | None = None
    waived_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.waived_at is None


@dataclass(frozen=True, slots=True)
class Escalation:
    """One (instance, level) newly reached, with who must hear of it and why."""

    instance_id: str
    plan: str
    level: Level
    rank: int                     # position of the level in its policy
    reached_on: dt.date           # the level's trigger date
    days_late: int                # working days after due (negative: before due)
    notify: bool                  # False when a higher level telling the same audiences
                                  # is reached in the same sweep
    to: tuple[str, ...]
    cc: tuple[tuple[str, str], ...]  # (agency id, why it is cc'd)


def resolve(audiences: Iterable[Audience], *, instance: OpenInstance,
            plan: PlanContext) -> list[tuple[str, AudienceKind]]:
    """The agency ids an audience list names for one instance, each with its role."""
    found: dict[str, AudienceKind] = {}
    for audience in audiences:
        for agency in _members(audience, instance, plan):
            found.setdefault(agency, audience.kind)
    return list(found.items())


def _members(audience: Audience, instance: OpenInstance, plan: PlanContext) -> tuple[str, ...]:
    kind = audience.kind
    if kind is AudienceKind.LEAD:
        return (instance.agency,)
    if kind is AudienceKind.COORDINATORS:
        return plan.coordinators.get(instance.task, ())
    if kind is AudienceKind.MONITOR:
        return (plan.monitor,)
    if kind is AudienceKind.ISSUER:
        return (plan.issuer,)
    return (audience.agency,) if audience.agency else ()


# The lead's place in a memoised route: a NUL byte is in no agency id (ids are slugs).
_LEAD = "\0lead"


class Route:
    """Who hears of one level of one task, the lead left as the placeholder _LEAD.

    `cc` is resolved but not yet filtered against `to`: the lead may be among the cc'd
    agencies under its own id (a coordinator, a named agency) as well as in `to`.
    """

    __slots__ = ("_cc_agencies", "_fixed", "_lead_only", "cc", "level", "rank", "to")

    def __init__(self, level: Level, rank: int, to: tuple[str, ...],
                 cc: tuple[tuple[str, str], ...]) -> None:
        self.level, self.rank, self.to, self.cc = level, rank, to, cc
        self._cc_agencies = frozenset(a for a, _ in cc)
        # The two common shapes, answered without building anything per instance: the
        # lead told and others cc'd (reminder, overdue, urge), and no lead at all
        # (leadership: the issuer told, the monitor cc'd).
        self._lead_only = to == (_LEAD,) and _LEAD not in self._cc_agencies
        self._fixed: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
        if _LEAD not in to and _LEAD not in self._cc_agencies:
            self._fixed = (to, tuple(c for c in cc if c[0] not in to))

    def addressed(self, lead: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """(to, cc) for an instance led by `lead`: the agencies its audiences name, the lead
        in place of the placeholder, each cc'd agency once (with the first reason) and none
        also in `to`."""
        if self._fixed is not None:
            return self._fixed
        if self._lead_only:
            if lead not in self._cc_agencies:
                return (lead,), self.cc
            return (lead,), tuple(c for c in self.cc if c[0] != lead)
        to = tuple(dict.fromkeys(lead if a == _LEAD else a for a in self.to))
        cc: dict[str, str] = {}
        for agency, why in self.cc:  # the first audience naming an agency gives the reason
            cc.setdefault(lead if agency == _LEAD else agency, why)
        return to, tuple((a, why) for a, why in cc.items() if a not in to)


@dataclass(frozen=True, slots=True)
class _Step:
    """One level reached by the instances of one task with one due date."""

    route: Route
    reached_on: dt.date
    days_late: int


class Decider:
    """The decision for one plan on one day, memoised for many instances.

    Deciding one instance from scratch costs tens of microseconds (audiences resolved,
    working days counted by bisection); over a set of instances the same few answers
    recur: the levels reached and their timing depend only on (task, due date), and who
    hears only on (task, level) up to the lead. Each is computed once and then looked up,
    so a decision costs a dictionary probe per instance and a tuple or two per escalation.
    tests/test_escalation_decider.py checks it against the plain definition, decided
    instance by instance.
    """

    def __init__(self, plan: PlanContext, today: dt.date) -> None:
        self.plan, self.today = plan, today
        self._steps: dict[tuple[str, dt.date], tuple[_Step, ...]] = {}
        self._cutoffs: dict[str, tuple[dt.date, ...]] = {}
        self._routes: dict[tuple[str, int], Route] = {}
        self._days_late: dict[dt.date, int] = {}

    def steps(self, task: str, due_date: dt.date) -> tuple[_Step, ...]:
        """The levels of `task`'s policy reached by today for this due date, lowest first."""
        key = (task, due_date)
        steps = self._steps.get(key)
        if steps is None:
            calendar, late = self.plan.calendar, self.days_late(due_date)
            steps = self._steps[key] = tuple(
                _Step(route, trigger_date(calendar, due_date, route.level.offset), late)
                for route in (self.route(task, rank) for rank in self.reached(task, due_date)))
        return steps

    def reached(self, task: str, due_date: dt.date) -> list[int]:
        """Ranks of the levels of `task`'s policy reached by today for this due date."""
        cutoffs = self._cutoffs.get(task)
        if cutoffs is None:
            cutoffs = self._cutoffs[task] = tuple(
                level_cutoff(self.plan.calendar, level.offset, today=self.today)
                for level in self.plan.policy(task).levels)
        return [rank for rank, cutoff in enumerate(cutoffs) if due_date <= cutoff]

    def days_late(self, due_date: dt.date) -> int:
        """Working days from `due_date` to today (as working_days_late)."""
        late = self._days_late.get(due_date)
        if late is None:
            late = self._days_late[due_date] = working_days_late(
                self.plan.calendar, due_date, today=self.today)
        return late

    def route(self, task: str, rank: int) -> Route:
        """Who hears of the level of rank `rank` of `task`'s policy, up to the lead."""
        route = self._routes.get((task, rank))
        if route is None:
            level = self.plan.policy(task).levels[rank]
            placeholder = OpenInstance("", task, _LEAD, None)
            to = tuple(a for a, _ in resolve(level.to, instance=placeholder, plan=self.plan))
            cc = tuple((a, AUDIENCE_REASONS_VI[kind])
                       for a, kind in resolve(level.cc, instance=placeholder, plan=self.plan))
            route = self._routes[(task, rank)] = Route(level, rank, to, cc)
        return route

    def escalation(self, instance_id: str, lead: str, step: _Step, *,
                   notify: bool) -> Escalation:
        """The escalation of this instance at this step's level."""
        route = step.route
        to, cc = route.addressed(lead)
        return Escalation(instance_id, self.plan.id, route.level, route.rank, step.reached_on,
                          step.days_late, notify, to, cc)


def decide_escalations(instances: Iterable[OpenInstance], *, plan: PlanContext,
                       told: Collection[tuple[str, str]] = (),
                       now: dt.datetime) -> list[Escalation]:
    """Which (instance, level) pairs are newly reached at `now`, and who must hear of them.

    Continuous instances (no due date), completed and waived ones never escalate. Pairs in
    `told` (instance id, level name) were decided by an earlier sweep and are skipped.
    When one sweep reaches several new levels of an instance at once (the first sweep of a
    plan registered late, a sweep after downtime), all are returned so none fires later,
    but a level is notified only if no higher new level tells the same audiences: to them
    the lower one would say what is no longer true ("due in 5 days"). Levels telling
    others are still notified: when the issuer hears of a task 15 working days late, its
    lead hears of it at the highest level addressed to the lead (urge), not at none.
    """
    decider = Decider(plan, plan.local_date(now))
    decided: list[Escalation] = []
    for instance in instances:
        due = instance.due_date
        if due is None or instance.completed_at is not None or instance.waived_at is not None:
            continue
        steps = decider.steps(instance.task, due)
        if told and steps:
            steps = tuple(s for s in steps if (instance.id, s.route.level.name) not in told)
        if not steps:
            continue
        highest = {step.route.level.audience: step for step in steps}  # steps go up
        decided += [decider.escalation(instance.id, instance.agency, step,
                                       notify=highest[step.route.level.audience] is step)
                    for step in steps]
    return decided
