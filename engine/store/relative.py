"""Relative deadlines follow their predecessor's actual completion.

"trong 05 ngày làm việc sau x" counts from the day x is done (DESIGN, deadline language).
A compiled plan cannot know that day, so the compiler dates such an instance from its
predecessor's deadline: a provisional date that gives the plan a full schedule up front.
Once the predecessor instance (the source of the instance's edge from task x) is completed,
the instance is dated from the local day of that completion instead; reopened, it goes back
to the provisional date. The change carries on down a chain of relative tasks whose own
predecessors are not done yet.

The days are counted on the plan's stored working-day ordinals (table workdays), so no
calendar has to be rebuilt from the directory: `OrdinalCalendar` answers the two questions
a relative rule asks, as engine.core.workdays.WorkCalendar would.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select, update

from engine.core.due_phrases import parse_due
from engine.core.due_rules import Relative, end_of_day
from engine.core.errors import DuePhraseError
from engine.store.tables import EdgeRow, InstanceRow, PlanRow, TaskRow, WorkdayRow


class OrdinalCalendar:
    """Working days from a plan's `workdays` rows: day -> ordinal, where the ordinal counts
    the working days up to and including the day (so it rises exactly on working days)."""

    def __init__(self, rows: Iterable[tuple[dt.date, int]]) -> None:
        ordinals = sorted(rows)
        self._ordinal = dict(ordinals)
        # The working days in order: those whose ordinal rose (the first day counts if 1).
        previous = 0
        self._working: list[dt.date] = []
        for day, ordinal in ordinals:
            if ordinal > previous:
                self._working.append(day)
            previous = ordinal

    def ordinal(self, day: dt.date) -> int | None:
        return self._ordinal.get(day)

    def roll_forward(self, day: dt.date) -> dt.date:
        at = bisect_left(self._working, day)
        if at == len(self._working):
            raise _OutOfRange(day)
        return self._working[at]

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        if n == 0:
            return self.roll_forward(day)
        ordinal = self._ordinal.get(day)
        if ordinal is None or not 0 < ordinal + n <= len(self._working):
            raise _OutOfRange(day)
        return self._working[ordinal + n - 1]


class _OutOfRange(Exception):
    """A day outside the stored calendar (1 January of the year before the plan's to the
    end of three years after): the instance keeps the date it has."""


@dataclass(frozen=True, slots=True)
class _Successor:
    task: str
    rule: Relative


# (plan id, spec hash) -> predecessor task -> its relative successor tasks. A revision
# changes the hash, so a long-running API process never uses an old plan's rules.
_RULES: dict[tuple[str, str], dict[str, tuple[_Successor, ...]]] = {}

_INSTANCES = cast(Table, InstanceRow.__table__)
_TASKS = (select(PlanRow.year, TaskRow.id, TaskRow.due_phrase)
          .join(PlanRow, PlanRow.id == TaskRow.plan_id)
          .where(TaskRow.plan_id == bindparam("plan"), TaskRow.removed_in.is_(None)))
_WORKDAYS = (select(WorkdayRow.day, WorkdayRow.ordinal)
             .where(WorkdayRow.plan_id == bindparam("plan")))
_Pre, _Next = _INSTANCES.alias("pre"), _INSTANCES.alias("next")
_SUCCESSORS = (
    select(_Next.c.id, _Next.c.task_id, _Next.c.due_date, _Next.c.completed_at,
           _Pre.c.task_id, _Pre.c.due_date, _Pre.c.completed_on)
    .select_from(EdgeRow.__table__)
    .join(_Pre, _Pre.c.id == EdgeRow.src).join(_Next, _Next.c.id == EdgeRow.dst)
    .where(EdgeRow.src == bindparam("src")))
# An instance whose due an approved extension moved (engine.store.review) keeps it.
_REDATE = (update(_INSTANCES).where(_INSTANCES.c.id == bindparam("instance_id"),
                                    _INSTANCES.c.original_due_date.is_(None))
           .values(due_date=bindparam("due_date"), due_at=bindparam("due_at"),
                   due_wd=bindparam("due_wd")))
_INSTANCES_OF = (select(_INSTANCES.c.id).where(
    _INSTANCES.c.plan_id == bindparam("plan"), _INSTANCES.c.task_id == bindparam("task"))
    .order_by(_INSTANCES.c.id))


def relative_successors(connection: Connection, *, plan: str, spec_hash: str,
                        ) -> dict[str, tuple[_Successor, ...]]:
    """Predecessor task -> the tasks due relative to it, for one revision of a plan."""
    key = (plan, spec_hash)
    found = _RULES.get(key)
    if found is None:
        by_predecessor: dict[str, list[_Successor]] = {}
        for year, task, phrase in connection.execute(_TASKS, {"plan": plan}):
            try:
                rule = parse_due(phrase, year=year)
            except DuePhraseError:  # validated at registration; never here in practice
                continue
            if isinstance(rule, Relative):
                by_predecessor.setdefault(rule.after, []).append(_Successor(task, rule))
        found = _RULES[key] = {k: tuple(v) for k, v in by_predecessor.items()}
    return found


def follow_predecessor(connection: Connection, *, plan: str, spec_hash: str, timezone: str,
                       task: str, instance_id: str) -> list[str]:
    """Re-date the relative successors of `instance_id` (and theirs, down the chain) from its
    current state: its completion day if it is completed, else its own due date.

    Call it after the instance's completion was written or undone, in the same
    transaction. Cheap when no task of the plan is relative to `task` (a dictionary
    lookup). Returns the ids of the instances whose due date changed.
    """
    rules = relative_successors(connection, plan=plan, spec_hash=spec_hash)
    if task not in rules:
        return []
    return _redate(connection, rules, [instance_id], plan=plan, timezone=timezone)


def reschedule_plan(connection: Connection, *, plan: str, spec_hash: str,
                    timezone: str) -> list[str]:
    """Re-date every relative instance of `plan` from its predecessor's state: after a
    registration, which writes the compiler's provisional dates.

    Every predecessor's instances are sources, in any order: a re-dated instance that is
    not done is followed down its chain again, so the last word on each date comes from
    its predecessor's final state.
    """
    rules = relative_successors(connection, plan=plan, spec_hash=spec_hash)
    sources = [iid for task in sorted(rules)
               for iid in connection.scalars(_INSTANCES_OF, {"plan": plan, "task": task})]
    return _redate(connection, rules, sources, plan=plan, timezone=timezone)


def _redate(connection: Connection, rules: dict[str, tuple[_Successor, ...]],
            sources: Sequence[str], *, plan: str, timezone: str) -> list[str]:
    calendar: OrdinalCalendar | None = None
    changed: list[str] = []
    pending = list(sources)
    while pending:
        src = pending.pop(0)
        for nid, ntask, ndue, ncompleted, ptask, pdue, pdone in connection.execute(
                _SUCCESSORS, {"src": src}).all():
            rule = next((s.rule for s in rules.get(ptask, ()) if s.task == ntask), None)
            base = pdone or pdue
            if rule is None or base is None:
                continue
            if calendar is None:
                calendar = OrdinalCalendar(
                    connection.execute(_WORKDAYS, {"plan": plan}).tuples())
            try:
                due = rule.due_after(base, calendar)
            except _OutOfRange:
                continue
            if due != ndue:
                connection.execute(_REDATE, {"instance_id": nid, "due_date": due,
                                             "due_at": end_of_day(due, timezone),
                                             "due_wd": calendar.ordinal(due)})
                changed.append(nid)
                if ncompleted is None and ntask in rules:
                    pending.append(nid)  # its own successors count from its due date
    return changed
