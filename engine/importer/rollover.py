"""Roll a plan spec and its directory over to the next year, carrying open work along."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core.due_phrases import parse_due
from engine.core.errors import DuePhraseError, UnknownReferenceError
from engine.core.spec import Directory, PlanSpec, TaskSpec
from engine.importer.emit import comment_lines, render_mapping, render_sequence
from engine.importer.text import ascii_fold

CARRIED_OVER = "Nhiệm vụ chuyển tiếp năm {year}"
_CARRIED_NOTE = re.compile(r"nhiem vu chuy[eê]n tiep nam \d{4}")

OpenInstance = tuple[str, str, str]
"""(task id, agency id, period) of an instance still open at the end of the year."""


@dataclass
class Rollover:
    """The next year's spec and, when the old one does not cover that year, its directory.

    Attributes:
        spec: the new spec (validated).
        comments: per task id, notes for the operator written above the task.
        directory: a new directory for the year, or None when the old one still applies.
        directory_ref: how the new spec names its directory.
        notes: what the operator must check (calendar overrides, moved dates...).
    """

    spec: PlanSpec
    comments: dict[str, list[str]] = field(default_factory=dict)
    directory: Directory | None = None
    directory_ref: str = ""
    notes: list[str] = field(default_factory=list)

    def spec_yaml(self) -> str:
        """The new spec as YAML, with the notes as comments."""
        data = self.spec.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
        lines = [f"# Rolled over to {self.spec.plan.year} by kehoach rollover."]
        lines += comment_lines(self.notes, 0)
        lines.append("plan:")
        lines += render_mapping(data["plan"], indent=2)
        lines.append("tasks:")
        notes = [{"id": self.comments.get(t["id"], [])} for t in data["tasks"]]
        lines += render_sequence(data["tasks"], indent=2, comments=notes)
        return "\n".join(lines) + "\n"

    def directory_yaml(self) -> str | None:
        """The new directory as YAML, or None when no new directory is needed."""
        if self.directory is None:
            return None
        data = self.directory.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
        lines = [f"# Directory for {self.spec.plan.year}, copied by kehoach rollover from the "
                 "previous year's.",
                 "# Apply this year's changes of agencies (mergers, renames) and calendar "
                 "overrides (days off, make-up working days) before registering the plan."]
        lines += render_mapping({"directory": data["directory"]})
        lines += render_mapping({"calendar": data.get("calendar", {})})
        lines.append("agencies:")
        lines += render_sequence(data["agencies"], indent=2)
        if data.get("groups"):
            lines.append("groups:")
            lines += render_sequence(data["groups"], indent=2)
        return "\n".join(lines) + "\n"


def roll_over(spec: PlanSpec, directory: Directory, *, to_year: int,
              open_instances: Iterable[OpenInstance] | None = None) -> Rollover:
    """The spec of the next year's plan, with dates moved and open work carried over.

    Args:
        spec: this year's spec.
        directory: the directory this year's spec is written against.
        to_year: the year of the new plan (after the spec's year).
        open_instances: (task id, agency id, period) of every instance still open at the end
            of the year, e.g. read from the store; each task with some becomes a carried-over
            task "<task>-chuyen-tiep-<year>" led by those agencies, noted "Nhiệm vụ chuyển
            tiếp năm <year>" as the Hải Phòng plan writes it. None when there is no store.

    Raises:
        ValueError: `to_year` is not after the spec's year.
        UnknownReferenceError: an open instance names a task or agency that does not exist.
    """
    from_year = spec.plan.year
    if to_year <= from_year:
        raise ValueError(f"cannot roll over to {to_year}: the plan is for {from_year}")
    result = Rollover(spec)
    new_directory, result.directory_ref = _roll_directory(directory, spec, to_year, result)
    result.directory = new_directory
    tasks = [_roll_task(task, from_year, to_year, result) for task in spec.tasks]
    tasks += _carried_over(spec, directory, open_instances or (), to_year, result)
    plan = spec.plan.model_copy(update={
        "id": _shift(spec.plan.id, from_year, to_year), "number": "", "issued": None,
        "title": _shift(spec.plan.title, from_year, to_year), "year": to_year,
        "directory": result.directory_ref, "source": f"kehoach rollover of {spec.plan.id}"})
    result.spec = PlanSpec.model_validate({"plan": plan.model_dump(), "tasks": tasks})
    result.notes.insert(0, f"From {spec.plan.id} ({from_year}): number and issue date blank "
                           "until the new plan is signed.")
    return result


def _shift(text: str, from_year: int, to_year: int) -> str:
    """`text` with the plan year replaced, leaving document numbers ("61/2024/NĐ-CP") alone."""
    pattern = rf"(?<!\d){from_year}(?!\d)(?!\s*/\s*[A-ZĐ])"
    return re.sub(pattern, str(to_year), text)


def _roll_task(task: TaskSpec, from_year: int, to_year: int, result: Rollover) -> dict[str, Any]:
    data = task.model_dump(exclude_defaults=True, exclude_none=True)
    for name in ("title", "result", "source"):
        if name in data:
            data[name] = _shift(data[name], from_year, to_year)
    data["due"] = _roll_due(task, from_year, to_year, result)
    note = data.get("note")
    if note and _CARRIED_NOTE.search(ascii_fold(note)):
        del data["note"]
        result.comments.setdefault(task.id, []).append(
            f"the note {note!r} belonged to {from_year}: removed")
    elif note:
        data["note"] = _shift(note, from_year, to_year)
    return data


def _roll_due(task: TaskSpec, from_year: int, to_year: int, result: Rollover) -> str:
    due = _shift(task.due, from_year, to_year)
    try:
        parse_due(due, year=to_year)
    except DuePhraseError:
        # Only 29/02 fails: a leap day moved to a common year becomes 28/02.
        due = re.sub(r"\b29\s*/\s*0?2\b", "28/02", due)
        result.comments.setdefault(task.id, []).append(
            f"due {task.due!r} has no date in {to_year}: moved to {due!r}")
    if due != task.due:
        result.comments.setdefault(task.id, []).append(f"due was {task.due!r}")
    return due


def _roll_directory(directory: Directory, spec: PlanSpec, to_year: int, result: Rollover
                    ) -> tuple[Directory | None, str]:
    head = directory.directory
    if head.valid_from <= dt.date(to_year, 1, 1) and head.valid_until >= dt.date(to_year, 12, 31):
        result.notes.append(f"directory {head.id} is valid through {to_year}: kept")
        return None, spec.plan.directory
    old_id, old_year = head.id, spec.plan.year
    new_id = _shift(old_id, old_year, to_year) if str(old_year) in old_id else f"{old_id}-{to_year}"
    header = head.model_copy(update={"id": new_id, "valid_from": dt.date(to_year, 1, 1),
                                     "valid_until": dt.date(to_year, 12, 31),
                                     "source": f"kehoach rollover of {old_id}"})
    new = directory.model_copy(update={"directory": header,
                                       "calendar": type(directory.calendar)()})
    result.notes.append(f"new directory {new_id}: a copy of {old_id}; apply {to_year}'s changes "
                        "of agencies and its calendar overrides")
    ref = spec.plan.directory
    name = ref.rsplit("/", 1)[-1]
    new_name = name.replace(old_id, new_id) if old_id in name else f"{new_id}.yaml"
    return new, ref[: len(ref) - len(name)] + new_name


def _carried_over(spec: PlanSpec, directory: Directory, open_instances: Iterable[OpenInstance],
                  to_year: int, result: Rollover) -> list[dict[str, Any]]:
    periods = _open_by_task(spec, directory, open_instances)
    known = [a.id for a in directory.agencies]
    tasks = []
    for task_id, by_agency in periods.items():
        task = spec.task(task_id)
        assert task is not None  # checked by _open_by_task
        new_id = f"{task.id}-chuyen-tiep-{spec.plan.year}"
        lead = sorted(by_agency, key=known.index)
        data: dict[str, Any] = {
            "id": new_id, "title": task.title, "lead": lead,
            "coordinators": [c for c in task.coordinators if c not in lead],
            "due": f"Trong năm {to_year}",
            "note": CARRIED_OVER.format(year=spec.plan.year),
            "source": f"{spec.plan.id}, nhiệm vụ {task.id}"}
        if task.target:
            data["target"] = task.target.model_dump()
        tasks.append(data)
        result.comments[new_id] = [
            f"still open at the end of {spec.plan.year}: " +
            "; ".join(f"{a} ({', '.join(sorted(by_agency[a]))})" for a in lead),
            f"due set to the whole of {to_year}: give an earlier date to catch up sooner"]
    return tasks


def _open_by_task(spec: PlanSpec, directory: Directory, open_instances: Iterable[OpenInstance]
                  ) -> Mapping[str, Mapping[str, set[str]]]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for task_id, agency_id, period in open_instances:
        if spec.task(task_id) is None:
            raise UnknownReferenceError("task", task_id, field="open_instances")
        if directory.agency(agency_id) is None:
            raise UnknownReferenceError("agency", agency_id, task=task_id,
                                        field="open_instances")
        found[task_id][agency_id].add(period)
    order = [t.id for t in spec.tasks]
    return {t: found[t] for t in sorted(found, key=order.index)}
