"""Pydantic models of a plan spec and an agency directory, read from YAML text."""

from __future__ import annotations

import datetime as dt
from email.errors import HeaderDefect, HeaderParseError
from email.headerregistry import Address
from functools import cache
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from engine.core.errors import DuplicateIdError, SpecSyntaxError
from engine.core.yamltext import SourceText, dotted, load_sections, parse_yaml

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
# A lead or coordinator is an agency id, or a group id written "group:<id>".
AgencyRef = Annotated[str, StringConstraints(pattern=r"^(group:)?[a-z0-9]+(?:-[a-z0-9]+)*$")]
GROUP_PREFIX = "group:"


@cache
def _known_zones() -> frozenset[str]:
    # "localtime" is the server's own zone, not a place: a plan must name its city's zone.
    return frozenset(available_timezones()) - {"localtime"}


def _check_timezone(name: str) -> str:
    # Checked here, not left to pendulum or zoneinfo at compile or sweep time: they raise
    # their own errors, which name neither the file nor the line.
    if name not in _known_zones():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as "
                         "'Asia/Ho_Chi_Minh'")
    return name


def _check_email(address: str) -> str:
    # A bare address: the agency's name is added as the display name when a mail is sent.
    try:
        parsed = Address(addr_spec=address)
    except (HeaderDefect, HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.username or "." not in parsed.domain:
        raise ValueError(f"{address!r} is not an e-mail address: write one bare address "
                         "per item (user@example.org), without a name or '<>'")
    return address


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Email = Annotated[str, AfterValidator(_check_email)]

AgencyKind = Literal[
    "issuer",      # UBND thành phố: top of the escalation chain
    "department",  # sở, ban, ngành and bodies of equal rank
    "district",    # UBND quận / huyện / thị xã
    "commune",     # UBND xã / phường / thị trấn
    "press",       # newspapers, radio and television, e-portals
    "party",       # bodies of the city Party Committee (Thành ủy)
    "mass-org",    # Fatherland Front, unions, youth union...
    "collective",  # a set of bodies addressed as one ("UBND các xã, phường, thị trấn")
    "central",     # national bodies (ministries, national press)
    "other",
]


class Strict(BaseModel):
    """Base for spec models: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Agency(Strict):
    """One agency of a directory."""

    id: Slug
    name: str = Field(min_length=1)
    short: str | None = None
    kind: AgencyKind
    emails: tuple[Email, ...] = ()
    aliases: tuple[str, ...] = ()
    parent: Slug | None = None
    note: str | None = None


class Group(Strict):
    """A named set of agencies ("các Sở, ban, ngành"); members may be other groups."""

    id: Slug
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    members: tuple[AgencyRef, ...] = ()
    note: str | None = None


class CalendarOverrides(Strict):
    """Per-year changes to the public-holiday calendar decreed for civil servants."""

    days_off: tuple[dt.date, ...] = ()      # extra days off (e.g. a bridged Monday)
    working_days: tuple[dt.date, ...] = ()  # make-up working days (e.g. Saturday 04/05/2024)


class DirectoryHeader(Strict):
    id: Slug
    city: str
    valid_from: dt.date
    valid_until: dt.date
    source: str | None = None


class Directory(Strict):
    """The agencies of one city as they stood over a span of years."""

    directory: DirectoryHeader
    calendar: CalendarOverrides = CalendarOverrides()
    agencies: tuple[Agency, ...]
    groups: tuple[Group, ...] = ()

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)


class Target(Strict):
    """A count to reach within each instance ("tối thiểu 12 tin/bài")."""

    count: int = Field(gt=0)
    unit: str = Field(min_length=1)


class EscalationLevelSpec(Strict):
    """One escalation level: when (working days from due) and who hears of it."""

    name: Slug
    # Within a year of the due date: the sweep turns offsets into dates, and a typo such as
    # 50000 would land outside the calendar.
    offset_working_days: int = Field(ge=-366, le=366)
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()


ReviewRole = Literal["issuer", "monitor"]


class ReviewPolicySpec(Strict):
    """Who checks reported completions and who may grant more time (engine.core.review).

    The defaults fit the seed plans: the standing unit (monitor) checks the reports it
    collects, and the issuer, who set the deadlines, alone moves them.
    """

    completions_reviewed: bool = True
    reviewer: ReviewRole = "monitor"
    extension_approvers: tuple[ReviewRole, ...] = Field(default=("issuer",), min_length=1)
    # The latest an extension may be asked: N working days after the due date (0: by it).
    extension_request_days_after_due: int = Field(default=0, ge=0, le=60)
    max_extensions: int = Field(default=2, ge=0, le=20)
    # Whether an extension may move a due date past 31 December of the plan's year.
    extend_past_plan_year: bool = False
    # An unanswered extension request is reminded to its approvers after this many working days.
    remind_after_working_days: int = Field(default=2, ge=1, le=60)


class PlanHeader(Strict):
    id: Slug
    number: str = ""
    title: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    issuer: Slug
    monitor: Slug
    directory: str
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    calendar: Literal["VN"] = "VN"
    issued: dt.date | None = None
    source: str | None = None
    escalation: tuple[EscalationLevelSpec, ...] | None = None
    review: ReviewPolicySpec = ReviewPolicySpec()


class TaskSpec(Strict):
    """One row of a plan's task table: a template that expands into instances."""

    id: Slug
    title: str = Field(min_length=1)
    lead: tuple[AgencyRef, ...] = Field(min_length=1)
    coordinators: tuple[AgencyRef, ...] = ()
    due: str = Field(min_length=1)
    depends_on: tuple[Slug, ...] = ()
    # Tasks whose output this task uses (a web page, a platform). Unlike depends_on this
    # does not block: instances due before the output exists are flagged as warnings.
    uses: tuple[Slug, ...] = ()
    target: Target | None = None
    result: str | None = None
    budget_million_vnd: float | None = Field(default=None, ge=0)
    media: tuple[AgencyRef, ...] = ()
    note: str | None = None
    escalation: tuple[EscalationLevelSpec, ...] | None = None
    source: str | None = None


class PlanSpec(Strict):
    """A whole plan: its header and its task table."""

    plan: PlanHeader
    tasks: tuple[TaskSpec, ...] = Field(min_length=1)

    def task(self, task_id: str) -> TaskSpec | None:
        return next((t for t in self.tasks if t.id == task_id), None)


M = TypeVar("M", bound=BaseModel)


def parse_plan_spec(text: str, *, file: str) -> tuple[PlanSpec, SourceText]:
    """Parse a plan spec from YAML text.

    Returns the model and the parsed source, whose `locate()` maps fields to lines.

    Raises:
        SpecSyntaxError: not YAML, a missing or unknown field, a value of the wrong type.
        DuplicateIdError: two tasks with one id.
    """
    source = parse_yaml(text, file=file)
    spec = _validate(PlanSpec, source)
    _check_unique(source, "tasks", "task")
    return spec, source


def stored_directory_id(text: str) -> str | None:
    """The id of a directory stored (validated) with a plan revision, read without building
    its agencies (a national directory lists 10^4); None if the text names none."""
    head = load_sections(text, ("directory",)).get("directory")
    found = head.get("id") if isinstance(head, dict) else None
    return found if isinstance(found, str) else None


def parse_directory(text: str, *, file: str) -> tuple[Directory, SourceText]:
    """Parse an agency directory from YAML text (errors as for `parse_plan_spec`)."""
    source = parse_yaml(text, file=file)
    directory = _validate(Directory, source)
    _check_unique(source, "agencies", "agency", also="groups")
    return directory, source


def _validate(model: type[M], source: SourceText) -> M:
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise SpecSyntaxError(
            _describe(first), location=source.locate(loc),
            task=_task_at(source, loc), field=dotted(loc) or None,
        ) from None


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "string_pattern_mismatch":
        return (f"{error['input']!r} is not a valid id: use lower-case ASCII letters, digits "
                "and single hyphens (an agency group is written 'group:<id>')")
    return f"{error['msg']} (got {error['input']!r})"


def _task_at(source: SourceText, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
        tasks = source.data.get("tasks") if isinstance(source.data, dict) else None
        if isinstance(tasks, list) and loc[1] < len(tasks) and isinstance(tasks[loc[1]], dict):
            task_id = tasks[loc[1]].get("id")
            return str(task_id) if task_id is not None else None
    return None


def _check_unique(source: SourceText, key: str, kind: str, *, also: str | None = None) -> None:
    seen: dict[str, tuple[str | int, ...]] = {}
    for section in (key, also) if also else (key,):
        for i, item in enumerate(source.data.get(section) or ()):
            path: tuple[str | int, ...] = (section, i, "id")
            ident = str(item["id"])
            if ident in seen:
                raise DuplicateIdError(kind, ident, location=source.locate(path),
                                       first=source.locate(seen[ident]))
            seen[ident] = path
