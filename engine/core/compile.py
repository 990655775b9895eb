"""Compile a plan spec and its agency directory into a graph of dated task instances."""

from __future__ import annotations

import datetime as dt
import difflib
import gc
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from engine.core.due_phrases import parse_due
from engine.core.due_rules import DueRule, Occurrence, Relative, end_of_day
from engine.core.errors import (
    CycleError,
    DuePhraseError,
    Location,
    UnknownReferenceError,
)
from engine.core.references import check_references
from engine.core.spec import GROUP_PREFIX, Directory, PlanSpec, TaskSpec
from engine.core.workdays import WorkCalendar
from engine.core.yamltext import SourceText


@dataclass(frozen=True, slots=True)
class Instance:
    """One task for one agency for one period, with one due time (None: continuous)."""

    id: str
    task: str
    agency: str
    period: str
    printed_due: dt.date | None
    due_date: dt.date | None
    due: dt.datetime | None
    target: int | None


@dataclass(frozen=True, slots=True)
class CompileWarning:
    """Something compile accepted but a person should look at."""

    code: str
    message: str
    task: str | None = None
    location: Location | None = None


@dataclass
class CompiledPlan:
    """The outcome of `compile_plan`: instances, the "must finish before" graph, warnings."""

    spec: PlanSpec
    directory: Directory
    calendar: WorkCalendar
    graph: Any  # networkx.DiGraph: nodes are instance ids, attribute "instance"
    instances: list[Instance]
    occurrences: dict[str, list[Occurrence]]
    leads: dict[str, tuple[str, ...]]
    groups: dict[str, tuple[str, ...]]  # "group:<id>" -> agency ids, for every group used
    warnings: list[CompileWarning] = field(default_factory=list)

    def edges(self) -> Iterator[tuple[str, str]]:
        return iter(self.graph.edges())

    def to_json(self) -> dict[str, Any]:
        """The `kehoach compile --json` contract (see DESIGN.md, "Compilation")."""
        plan = self.spec.plan
        return {
            "plan": {"id": plan.id, "year": plan.year, "title": plan.title},
            "instances": [_instance_json(i) for i in self.instances],
            "edges": [[a, b] for a, b in self.graph.edges()],
            "warnings": [{"code": w.code, "message": w.message, "task": w.task}
                         for w in self.warnings],
        }


def instance_id(plan: str, task: str, agency: str, period: str) -> str:
    """The stable id of an instance: the same inputs give the same id in every compile."""
    return f"{plan}:{task}:{agency}:{period}"


def compile_plan(spec: PlanSpec, directory: Directory, *,
                 source: SourceText | None = None) -> CompiledPlan:
    """Compile `spec` against `directory`.

    Args:
        spec: the plan.
        directory: the agency directory the plan was written against.
        source: the parsed spec text, so errors and warnings can name file and line.

    Raises:
        UnknownReferenceError, CycleError, DuePhraseError, SpecError: compile refuses.
    """
    with collector_paused():
        return _Compiler(spec, directory, source).run()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around work that allocates millions of small
    objects and no reference cycles (compiling a national plan, building its rows for the
    store): every generation-2 pass would rescan them all, a third of compile's time and
    most of building the rows."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _instance_json(i: Instance) -> dict[str, Any]:
    return {
        "id": i.id, "task": i.task, "agency": i.agency, "period": i.period,
        "due": i.due.isoformat() if i.due else None,
        "printed_due": i.printed_due.isoformat() if i.printed_due else None,
        "target": i.target,
    }


class _Compiler:
    def __init__(self, spec: PlanSpec, directory: Directory, source: SourceText | None) -> None:
        self.spec = spec
        self.directory = directory
        self.source = source
        self.plan_id = spec.plan.id
        self.year = spec.plan.year
        self.tz = spec.plan.timezone
        self.calendar = WorkCalendar(days_off=directory.calendar.days_off,
                                     working_days=directory.calendar.working_days)
        self.warnings: list[CompileWarning] = []
        self.groups = {g.id: g for g in directory.groups}
        self.task_index = {t.id: i for i, t in enumerate(spec.tasks)}

    def run(self) -> CompiledPlan:
        check_references(self.spec, self.directory, source=self.source)
        rules = {t.id: self._parse_due(t) for t in self.spec.tasks}
        order = self._task_order(rules)
        leads = {t.id: self._expand_all(t.lead, t.id) for t in self.spec.tasks}
        occurrences = self._occurrences(rules, order)
        graph = nx.DiGraph()
        instances = self._instances(leads, occurrences, graph)
        self._link(rules, leads, occurrences, graph)
        groups = {f"{GROUP_PREFIX}{g}": tuple(self._expand(f"{GROUP_PREFIX}{g}", None, ()))
                  for g in self.groups}
        return CompiledPlan(self.spec, self.directory, self.calendar, graph, instances,
                            occurrences, leads, groups, self.warnings)

    # --- locations and warnings -------------------------------------------------------
    def _where(self, *path: str | int) -> Location | None:
        return self.source.locate(path) if self.source else None

    def _task_where(self, task_id: str, *path: str | int) -> Location | None:
        return self._where("tasks", self.task_index[task_id], *path)

    def _warn(self, code: str, message: str, task: str | None = None) -> None:
        where = self._task_where(task) if task else self._where("plan")
        self.warnings.append(CompileWarning(code, message, task, where))

    # --- deadlines and order ---------------------------------------------------------
    def _parse_due(self, task: TaskSpec) -> DueRule:
        try:
            rule = parse_due(task.due, year=self.year)
        except DuePhraseError as exc:
            raise DuePhraseError(exc.phrase, location=self._task_where(task.id, "due"),
                                 task=task.id, hint=exc.hint) from None
        if isinstance(rule, Relative) and rule.after not in self.task_index:
            raise UnknownReferenceError(
                "task", rule.after, location=self._task_where(task.id, "due"), task=task.id,
                field="due", suggestions=difflib.get_close_matches(rule.after, self.task_index))
        return rule

    def _task_order(self, rules: dict[str, DueRule]) -> list[str]:
        deps = nx.DiGraph()
        deps.add_nodes_from(self.task_index)
        for task in self.spec.tasks:
            for before in _prerequisites(task, rules[task.id]):
                deps.add_edge(before, task.id)
        try:
            cycle = nx.find_cycle(deps)
        except nx.NetworkXNoCycle:
            return list(nx.lexicographical_topological_sort(deps, key=self.task_index.get))
        tasks = [edge[0] for edge in cycle]
        raise CycleError(tasks, location=self._task_where(tasks[0], "depends_on"))

    # --- expansion --------------------------------------------------------------------
    def _expand_all(self, refs: Sequence[str], task: str) -> tuple[str, ...]:
        members: dict[str, None] = {}
        for ref in refs:
            members.update(dict.fromkeys(self._expand(ref, task, ())))
        return tuple(members)

    def _expand(self, ref: str, task: str | None, seen: tuple[str, ...]) -> list[str]:
        if not ref.startswith(GROUP_PREFIX):
            return [ref]
        name = ref.removeprefix(GROUP_PREFIX)
        if name in seen:
            raise CycleError([*seen, name])
        group = self.groups[name]
        if not group.members and task is not None:
            self._warn("empty-group", f"group {name!r} has no members, so it adds no "
                       "instance", task)
        return [a for m in group.members for a in self._expand(m, task, (*seen, name))]

    def _occurrences(self, rules: dict[str, DueRule],
                     order: list[str]) -> dict[str, list[Occurrence]]:
        result: dict[str, list[Occurrence]] = {}
        for task_id in order:
            rule = rules[task_id]
            if isinstance(rule, Relative):
                occs = [_relative(rule, o, self.calendar) for o in result[rule.after]]
            else:
                occs = rule.occurrences(year=self.year, calendar=self.calendar)
            result[task_id] = occs
            self._date_warnings(task_id, occs)
        return {t.id: result[t.id] for t in self.spec.tasks}

    def _date_warnings(self, task_id: str, occs: list[Occurrence]) -> None:
        moved = [o for o in occs if o.printed and o.moved]
        if moved:
            shown = ", ".join(f"{p:%d/%m} ({self.calendar.day_off_reason(p)}) -> {e:%d/%m/%Y}"
                              for p, e in ((o.printed, o.effective) for o in moved[:3]) if p and e)
            more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
            self._warn("due-moved", f"{len(moved)} of {len(occs)} deadlines fall on a day off "
                       f"and move to the next working day: {shown}{more}", task_id)
        outside = [o for o in occs if o.printed and o.printed.year != self.year]
        if outside:
            dates = ", ".join(f"{o.printed:%d/%m/%Y}" for o in outside[:3])
            self._warn("due-outside-year", f"{len(outside)} deadline(s) outside the plan "
                       f"year {self.year}: {dates}", task_id)

    def _instances(self, leads: dict[str, tuple[str, ...]],
                   occurrences: dict[str, list[Occurrence]], graph: Any) -> list[Instance]:
        instances: list[Instance] = []
        for task in self.spec.tasks:
            target = task.target.count if task.target else None
            timed = [(o, end_of_day(o.effective, self.tz) if o.effective else None)
                     for o in occurrences[task.id]]
            for agency in leads[task.id]:
                for occ, due in timed:
                    label = occ.period.label
                    instances.append(Instance(
                        instance_id(self.plan_id, task.id, agency, label), task.id, agency,
                        label, occ.printed, occ.effective, due, target))
        graph.add_nodes_from((i.id, {"instance": i}) for i in instances)
        return instances

    # --- dependencies -----------------------------------------------------------------
    def _link(self, rules: dict[str, DueRule], leads: dict[str, tuple[str, ...]],
              occurrences: dict[str, list[Occurrence]], graph: Any) -> None:
        for task in self.spec.tasks:
            for before in _prerequisites(task, rules[task.id]):
                matched = self._match(task.id, before, occurrences, strict=True)
                pairs = [(a, b) for b, a in enumerate(matched) if a is not None]
                graph.add_edges_from(self._edges(task.id, before, leads, occurrences, pairs))
            for used in task.uses:
                matched = self._match(task.id, used, occurrences, strict=False)
                pairs = [(a, b) for b, a in enumerate(matched) if a is not None]
                graph.add_edges_from(self._edges(task.id, used, leads, occurrences, pairs))

    def _match(self, task: str, before: str, occurrences: dict[str, list[Occurrence]], *,
               strict: bool) -> list[int | None]:
        """For each occurrence of `task`, the index of the `before` occurrence it waits for.

        The same period if `before` has it, else the latest one due on or before it. With
        `strict` (depends_on) an occurrence with no earlier prerequisite waits for the first
        one anyway, and is warned about; without (uses) it does not wait, since the output
        it would use does not exist yet, and is warned about.
        """
        pre = occurrences[before]
        by_label = {o.period.label: i for i, o in enumerate(pre)}
        dated = sorted((o.effective, i) for i, o in enumerate(pre) if o.effective)
        days = [d for d, _ in dated]
        matched: list[int | None] = []
        early: list[Occurrence] = []
        for occ in occurrences[task]:
            index = by_label.get(occ.period.label)
            if index is None and occ.effective and days:
                pos = bisect_right(days, occ.effective)
                index = dated[pos - 1][1] if pos else None
            elif index is None:
                index = dated[-1][1] if dated else len(pre) - 1
            if index is None:  # every prerequisite deadline comes after this one
                early.append(occ)
                index = dated[0][1] if strict else None
            elif _later(pre[index], occ):  # the same period, but due later
                early.append(occ)
                index = index if strict else None
            matched.append(index)
        if early:
            self._early_warning(task, before, early, pre, strict=strict)
        return matched

    def _early_warning(self, task: str, before: str, early: list[Occurrence],
                       pre: list[Occurrence], *, strict: bool) -> None:
        periods = ", ".join(o.period.label for o in early[:6])
        first = min((o.effective for o in pre if o.effective), default=None)
        when = f"{first:%d/%m/%Y}" if first else "later"
        if strict:
            self._warn("prerequisite-after-dependent",
                       f"depends on {before!r}, which is due {when}, after {len(early)} of "
                       f"this task's deadlines ({periods})", task)
        else:
            self._warn("output-later",
                       f"uses the output of {before!r}, due {when}, but {len(early)} "
                       f"deadline(s) come before it exists ({periods})", task)

    def _edges(self, task: str, before: str, leads: dict[str, tuple[str, ...]],
               occurrences: dict[str, list[Occurrence]],
               pairs: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
        pre_leads = leads[before]
        pre_set = set(pre_leads)
        pre_occ = occurrences[before]
        occ = occurrences[task]
        for agency in leads[task]:
            # The same agency's instance if it leads both tasks; otherwise every lead of
            # the prerequisite (one for a single-agency task) must finish first.
            sources = (agency,) if agency in pre_set else pre_leads
            for a, b in pairs:
                to = instance_id(self.plan_id, task, agency, occ[b].period.label)
                for source in sources:
                    yield instance_id(self.plan_id, before, source, pre_occ[a].period.label), to


def _prerequisites(task: TaskSpec, rule: DueRule) -> list[str]:
    before = list(task.depends_on)
    if isinstance(rule, Relative) and rule.after not in before:
        before.append(rule.after)
    return before


def _later(pre: Occurrence, occ: Occurrence) -> bool:
    return bool(pre.effective and occ.effective and pre.effective > occ.effective)


def _relative(rule: Relative, pre: Occurrence, calendar: WorkCalendar) -> Occurrence:
    due = rule.due_after(pre.effective, calendar) if pre.effective else None
    return Occurrence(period=pre.period, printed=None, effective=due)

