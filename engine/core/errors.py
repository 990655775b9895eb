"""The kehoach exception tree.

    KehoachError
    ├── SpecError (ValueError)            a spec or directory file is wrong
    │   ├── SpecSyntaxError               not YAML, or not the expected shape
    │   ├── DuePhraseError                a deadline phrase the language does not know
    │   ├── UnknownReferenceError         an agency, group or task id that does not exist
    │   ├── DuplicateIdError              the same id twice
    │   └── CycleError                    task dependencies that loop
    ├── PeriodError (ValueError)          a period label that names no period
    └── StoreError (RuntimeError)         the database refused an operation (engine.store)

Every error keeps the ids it is about as attributes and builds its message from them, so
callers can both print it and act on it. A spec error names the file, line and task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a source file something was written."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class KehoachError(Exception):
    """Base of every error kehoach raises on purpose."""


class SpecError(KehoachError, ValueError):
    """A plan spec or agency directory is wrong; the message says where and why."""

    def __init__(self, message: str, *, location: Location | None = None,
                 task: str | None = None, field: str | None = None) -> None:
        self.location = location
        self.task = task
        self.field = field
        self.reason = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"{self.location}: " if self.location else ""
        about = []
        if self.task:
            about.append(f"task '{self.task}'")
        if self.field:
            about.append(f"field '{self.field}'")
        prefix = f"{', '.join(about)}: " if about else ""
        return f"{where}{prefix}{self.reason}"


class SpecSyntaxError(SpecError):
    """The file is not YAML, or a field has the wrong type or is missing."""


class DuePhraseError(SpecError):
    """A deadline phrase that the deadline language cannot read."""

    def __init__(self, phrase: str, *, location: Location | None = None,
                 task: str | None = None, hint: str = "") -> None:
        self.phrase = phrase
        self.hint = hint
        detail = f" ({hint})" if hint else ""
        super().__init__(f"cannot read the deadline {phrase!r}{detail}",
                         location=location, task=task, field="due")


class UnknownReferenceError(SpecError):
    """An id that names no agency, group or task."""

    def __init__(self, kind: str, ref: str, *, location: Location | None = None,
                 task: str | None = None, field: str | None = None,
                 suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.ref = ref
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {ref!r}{hint}", location=location, task=task,
                         field=field)


class DuplicateIdError(SpecError):
    """The same id used twice where ids must be unique."""

    def __init__(self, kind: str, ref: str, *, location: Location | None = None,
                 first: Location | None = None) -> None:
        self.kind = kind
        self.ref = ref
        also = f" (first defined at {first})" if first else ""
        super().__init__(f"duplicate {kind} id {ref!r}{also}", location=location)


class CycleError(SpecError):
    """Task dependencies that form a loop; `cycle` lists the task ids in order."""

    def __init__(self, cycle: Sequence[str], *, location: Location | None = None) -> None:
        self.cycle = tuple(cycle)
        loop = " -> ".join([*self.cycle, self.cycle[0]]) if self.cycle else "?"
        super().__init__(f"dependency cycle: {loop}", location=location)


class PeriodError(KehoachError, ValueError):
    """A period label that names no period ("2024-Q5")."""

    def __init__(self, label: str, reason: str) -> None:
        self.label = label
        super().__init__(reason)


class StoreError(KehoachError, RuntimeError):
    """A storage operation was refused."""
