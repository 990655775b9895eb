"""Escalation policies: the levels a late task goes through, and whom each level tells."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from engine.core.errors import KehoachError
from engine.core.spec import SLUG_PATTERN, EscalationLevelSpec, PlanHeader, TaskSpec

AGENCY_PREFIX = "agency:"


def _is_slug(text: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, text) is not None


class PolicyError(KehoachError, ValueError):
    """An escalation policy that cannot be used; `level` names the offending level."""

    def __init__(self, reason: str, *, level: str | None = None) -> None:
        self.level = level
        self.reason = reason
        super().__init__(f"escalation level {level!r}: {reason}" if level else reason)


class AudienceKind(StrEnum):
    LEAD = "lead"                  # cơ quan chủ trì of the instance
    COORDINATORS = "coordinators"  # cơ quan phối hợp of the task (groups expanded)
    MONITOR = "monitor"            # đơn vị theo dõi, đôn đốc of the plan
    ISSUER = "issuer"              # cơ quan ban hành (UBND) of the plan
    AGENCY = "agency"              # one named agency


# Why each audience hears of a late task: printed in the mail next to each cc'd agency.
AUDIENCE_REASONS_VI = {
    AudienceKind.LEAD: "cơ quan chủ trì thực hiện nhiệm vụ",
    AudienceKind.COORDINATORS: "cơ quan phối hợp thực hiện nhiệm vụ",
    AudienceKind.MONITOR: "đơn vị theo dõi, đôn đốc thực hiện kế hoạch",
    AudienceKind.ISSUER: "cơ quan ban hành kế hoạch",
    AudienceKind.AGENCY: "đơn vị được chỉ định nhận thông báo trong kế hoạch",
}

LEVEL_LABELS_VI = {
    "reminder": "Nhắc việc",
    "overdue": "Quá hạn",
    "urge": "Đôn đốc",
    "leadership": "Báo cáo lãnh đạo",
}


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears of a level: a role of the plan or task, or one named agency."""

    kind: AudienceKind
    agency: str | None = None

    @classmethod
    def parse(cls, text: str) -> Audience:
        """Read "lead", "coordinators", "monitor", "issuer", "agency:<id>" or a bare agency id.

        Raises:
            PolicyError: the text is none of those.
        """
        word = text.strip()
        if word in AudienceKind.__members__.values() and word != AudienceKind.AGENCY:
            return cls(AudienceKind(word))
        agency = word.removeprefix(AGENCY_PREFIX)
        if not _is_slug(agency):
            raise PolicyError(f"unknown audience {text!r}: use lead, coordinators, monitor, "
                              "issuer or an agency id (agency:<id>)")
        return cls(AudienceKind.AGENCY, agency)

    def __str__(self) -> str:
        return f"{AGENCY_PREFIX}{self.agency}" if self.agency else self.kind.value


LEAD, COORDINATORS = Audience(AudienceKind.LEAD), Audience(AudienceKind.COORDINATORS)
MONITOR, ISSUER = Audience(AudienceKind.MONITOR), Audience(AudienceKind.ISSUER)


@dataclass(frozen=True, slots=True)
class Level:
    """One escalation level: reached `offset` working days from the effective due date."""

    name: str
    offset: int
    to: tuple[Audience, ...]
    cc: tuple[Audience, ...] = ()

    def __post_init__(self) -> None:
        if not _is_slug(self.name):
            raise PolicyError("a level name must be a slug (lower-case ASCII, hyphens)",
                              level=self.name)
        if not self.to:
            raise PolicyError("a level must tell at least one audience ('to')", level=self.name)

    @property
    def label(self) -> str:
        """The Vietnamese name of the level, as mails print it."""
        return LEVEL_LABELS_VI.get(self.name, self.name)

    @property
    def audience(self) -> str:
        """Whom the level tells, as one key: levels with equal keys tell the same agencies
        of an instance, so the higher supersedes the lower when both are newly reached."""
        return " ".join(sorted(str(a) for a in self.to))


@dataclass(frozen=True, slots=True)
class Policy:
    """Levels in the order they are reached (by offset)."""

    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        names = [level.name for level in self.levels]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise PolicyError("the same level name twice in one policy", level=duplicate)
        if not self.levels:
            raise PolicyError("a policy needs at least one level")
        object.__setattr__(self, "levels", tuple(sorted(self.levels, key=lambda lv: lv.offset)))


# DESIGN.md "Escalation": grounded in the plans' own wording ("theo dõi, đôn đốc",
# "báo cáo UBND Thành phố").
DEFAULT_POLICY = Policy((
    Level("reminder", -5, (LEAD,), (COORDINATORS,)),
    Level("overdue", 1, (LEAD,), (MONITOR,)),
    Level("urge", 5, (LEAD,), (MONITOR,)),
    Level("leadership", 15, (ISSUER,), (MONITOR,)),
))


def policy_from_spec(levels: Sequence[EscalationLevelSpec]) -> Policy:
    """The policy a spec's `escalation:` list describes.

    Raises:
        PolicyError: an unknown audience, an unnamed or duplicate level.
    """
    return Policy(tuple(
        Level(spec.name, spec.offset_working_days, tuple(Audience.parse(a) for a in spec.to),
              tuple(Audience.parse(a) for a in spec.cc))
        for spec in levels))


def policy_for(plan: PlanHeader, task: TaskSpec | None = None) -> Policy:
    """The policy of `task`: its own override, else the plan's, else DEFAULT_POLICY."""
    if task is not None and task.escalation is not None:
        return policy_from_spec(task.escalation)
    if plan.escalation is not None:
        return policy_from_spec(plan.escalation)
    return DEFAULT_POLICY
