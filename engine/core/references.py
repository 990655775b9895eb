"""A plan spec's references checked against its agency directory and itself.

Agencies and groups (issuer, monitor, leads, coordinators, media, group members,
escalation audiences), tasks (depends_on, uses) and the directory's years: the first
unknown one is refused, naming its file, line and field and the nearest known names.
"""

from __future__ import annotations

import difflib

from engine.core.errors import Location, SpecError, UnknownReferenceError
from engine.core.policy import PolicyError, policy_from_spec
from engine.core.spec import GROUP_PREFIX, Directory, PlanSpec, TaskSpec
from engine.core.yamltext import SourceText


def check_references(spec: PlanSpec, directory: Directory, *,
                     source: SourceText | None) -> None:
    """Refuse the first reference of `spec` that names nothing.

    Raises:
        SpecError: the directory is not valid for the plan's year, or a bad escalation.
        UnknownReferenceError: an unknown agency, group or task.
    """
    _References(spec, directory, source).check()


class _References:
    def __init__(self, spec: PlanSpec, directory: Directory, source: SourceText | None) -> None:
        self.spec = spec
        self.directory = directory
        self.source = source
        self.agencies = {a.id for a in directory.agencies}
        self.groups = {g.id for g in directory.groups}
        self.tasks = [t.id for t in spec.tasks]

    def check(self) -> None:
        self._directory_years()
        self._references()
        self._escalation()

    def _where(self, *path: str | int) -> Location | None:
        return self.source.locate(path) if self.source else None

    def _directory_years(self) -> None:
        header, year = self.directory.directory, self.spec.plan.year
        if not header.valid_from.year <= year <= header.valid_until.year:
            raise SpecError(
                f"the plan is for {year} but directory {header.id!r} is valid from "
                f"{header.valid_from:%d/%m/%Y} to {header.valid_until:%d/%m/%Y}; "
                "name the directory of the plan's year",
                location=self._where("plan", "directory"), field="plan.directory")

    def _references(self) -> None:
        plan = self.spec.plan
        for key in ("issuer", "monitor"):
            self._agency(getattr(plan, key), field=f"plan.{key}",
                         where=self._where("plan", key), task=None)
        for group in self.directory.groups:
            for member in group.members:
                self._agency(member, field=f"groups.{group.id}.members", where=None, task=None)
        for i, task in enumerate(self.spec.tasks):
            for key in ("lead", "coordinators", "media"):
                for j, ref in enumerate(getattr(task, key)):
                    self._agency(ref, field=key, task=task.id,
                                 where=self._where("tasks", i, key, j))
            for key in ("depends_on", "uses"):
                for j, ref in enumerate(getattr(task, key)):
                    if ref not in self.tasks:
                        raise UnknownReferenceError(
                            "task", ref, location=self._where("tasks", i, key, j),
                            task=task.id, field=key,
                            suggestions=difflib.get_close_matches(ref, self.tasks, 3))

    def _escalation(self) -> None:
        # Checked here, not first at the sweep, where one plan's bad policy stops every plan.
        owners: list[tuple[TaskSpec | None, tuple[str | int, ...]]] = [(None, ("plan",))]
        owners += [(t, ("tasks", i)) for i, t in enumerate(self.spec.tasks)]
        for task, path in owners:
            levels = (task or self.spec.plan).escalation
            if levels is None:
                continue
            where = self._where(*path, "escalation")
            task_id = task.id if task else None
            field = "plan.escalation" if task is None else "escalation"
            try:
                policy = policy_from_spec(levels)
            except PolicyError as exc:
                raise SpecError(str(exc), location=where, task=task_id, field=field) from None
            for level in policy.levels:
                for audience in (*level.to, *level.cc):
                    if audience.agency is not None:
                        self._agency(audience.agency, field=field, where=where, task=task_id)

    def _agency(self, ref: str, *, field: str, where: Location | None,
                task: str | None) -> None:
        if ref.startswith(GROUP_PREFIX):
            name = ref.removeprefix(GROUP_PREFIX)
            if name not in self.groups:
                raise UnknownReferenceError(
                    "group", name, location=where, task=task, field=field,
                    suggestions=difflib.get_close_matches(name, self.groups, 3))
        elif ref not in self.agencies:
            raise UnknownReferenceError(
                "agency", ref, location=where, task=task, field=field,
                suggestions=difflib.get_close_matches(ref, self.agencies, 3))
