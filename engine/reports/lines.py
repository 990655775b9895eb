"""The value types of a period report's sections: who issues it, spans, and its lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.store.metrics import MetricRow


@dataclass(frozen=True)
class Letterhead:
    """Who issues the report: the governing body over the standing unit, and where."""

    issuer: str      # "Ủy ban nhân dân thành phố Hà Nội"
    issuer_short: str  # "UBND Thành phố"
    unit: str        # the plan's monitor, the standing unit that drafts the report
    unit_abbr: str   # "SNV", for the number line "Số: .../BC-SNV"
    city: str        # the place on the date line

    def to_json(self) -> dict[str, str]:
        return {"issuer": self.issuer, "issuer_short": self.issuer_short, "unit": self.unit,
                "unit_abbr": self.unit_abbr, "city": self.city}


@dataclass(frozen=True)
class Figures:
    """The four-way counts over a span of printed deadlines, status as of the report's time."""

    start: dt.date
    end: dt.date
    row: MetricRow

    def to_json(self) -> dict[str, Any]:
        return {"window": [self.start.isoformat(), self.end.isoformat()], **self.row.to_json()}


@dataclass(frozen=True)
class OverdueLine:
    """An instance past its deadline and not done at the report's time."""

    instance: str
    task: str
    title: str
    agency: str
    printed_due: dt.date | None
    due: dt.date | None
    days_late: int | None

    def to_json(self) -> dict[str, Any]:
        return {"instance": self.instance, "task": self.task, "title": self.title,
                "agency": self.agency,
                "printed_due": _iso(self.printed_due), "due": _iso(self.due),
                "days_late": self.days_late}


@dataclass(frozen=True)
class TargetLine:
    """A task with a numeric target: how much of it the window's instances reached."""

    task: str
    title: str
    unit: str
    target: int
    reached: int

    @property
    def rate(self) -> float | None:
        return self.reached / self.target if self.target else None

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "title": self.title, "unit": self.unit,
                "target": self.target, "reached": self.reached, "rate": self.rate}


@dataclass(frozen=True)
class ExtensionLine:
    """A deadline extended ("được gia hạn") within the window, and who granted it."""

    instance: str
    title: str
    agency: str
    previous_due: dt.date | None
    new_due: dt.date | None
    granted_by: str
    granted_on: dt.date
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"instance": self.instance, "title": self.title, "agency": self.agency,
                "previous_due": _iso(self.previous_due), "new_due": _iso(self.new_due),
                "granted_by": self.granted_by, "granted_on": self.granted_on.isoformat(),
                "reason": self.reason}


@dataclass(frozen=True)
class ReturnLine:
    """A completion sent back ("trả lại") by a reviewer within the window."""

    instance: str
    title: str
    agency: str
    completed_on: dt.date | None
    returned_by: str
    returned_on: dt.date
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"instance": self.instance, "title": self.title, "agency": self.agency,
                "completed_on": _iso(self.completed_on), "returned_by": self.returned_by,
                "returned_on": self.returned_on.isoformat(), "reason": self.reason}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True)
class ReviewCounts:
    """The review figures of the window (engine.store.review), agencies by name: instances
    extended and the requests by outcome; completions returned and those still open."""

    extended: int = 0
    requests: int = 0
    approved: int = 0
    refused: int = 0
    pending: int = 0
    by_approver: dict[str, int] = field(default_factory=dict)
    returns: int = 0
    returned_instances: int = 0
    open_after_return: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"extended": self.extended, "requests": self.requests,
                "approved": self.approved, "refused": self.refused, "pending": self.pending,
                "by_approver": self.by_approver, "returns": self.returns,
                "returned_instances": self.returned_instances,
                "open_after_return": self.open_after_return}
