"""What the webhook API does, on a session the request owns: authorize, record, read.

Authorization is decided before any instance is looked up, from the instance id itself
(`plan:task:agency:period`) and the plan's directory, so a token of another agency gets the
same 403 whether or not the instance exists. Plans are public documents: an unknown plan
is a 404 for any valid token.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.api.auth import ROLE_NAMES_VI, Caller, Role
from engine.api.errors import ConflictError, ForbiddenError, InvalidInputError
from engine.api.models import (
    LOCAL,
    CompletionCreate,
    InstanceListPublic,
    InstancePublic,
    InstanceStatusPublic,
    KeyedCompletionCreate,
    MetricsPublic,
    ProgressCreate,
)
from engine.core.errors import PeriodError
from engine.core.periods import parse_period
from engine.core.spec import SLUG_PATTERN, parse_directory, stored_directory_id
from engine.core.status import (
    REMOVED_PREFIX,
    STATUS_LABELS_VI,
    Event,
    EventKind,
    Status,
    TransitionError,
    status_at,
)
from engine.store.events import (
    CLOCK_SKEW,
    EventValueError,
    InstanceView,
    NotFoundError,
    get_instance,
    instance_id_of,
    local_text,
    record_event,
)
from engine.store.metrics import outside_plan_year, rollup
from engine.store.queries import instance_statuses, require_plan
from engine.store.tables import AgencyRow, InstanceRow, PlanRow, RevisionRow
from engine.store.tables_api import PlanDirectoryRow

# An instance id is plan:task:agency:period (slugs, and a period label as engine.core.periods
# writes them).
_ID_PARTS = (*(re.compile(SLUG_PATTERN),) * 3, re.compile(r"[0-9A-Za-z-]{1,16}"))
# The event values a refusal names, as the request bodies call them.
_BODY_FIELDS = {"at": "completed_at", "count": "count"}
# The reason a revision gives the instances it drops (engine.core.status.REMOVED_PREFIX), read to
# tell the agency in Vietnamese.
_REMOVED_IN = re.compile(rf"{REMOVED_PREFIX} (\d+)")


def link_plan_directory(session: Session, plan_id: str, directory_id: str) -> None:
    """Remember which directory a plan was compiled against (no-op if already known)."""
    values = {"plan_id": plan_id, "directory_id": directory_id}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(PlanDirectoryRow).values(**values).on_conflict_do_nothing())


class PlanDirectories:
    """plan id -> directory id; read from plan_directories, else from the stored spec."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}  # a plan never moves to another city's directory

    def of(self, session: Session, plan_id: str) -> str:
        """The directory of a registered plan; NotFoundError if the plan is unknown.

        Plans registered before the API's tables existed have no plan_directories row: their
        directory is read from the stored spec (and linked by `plans_in`).
        """
        if plan_id in self._known:
            return self._known[plan_id]
        directory = session.scalar(select(PlanDirectoryRow.directory_id)
                                   .where(PlanDirectoryRow.plan_id == plan_id))
        if directory is None:
            text = session.scalar(select(RevisionRow.directory_yaml)
                                  .where(RevisionRow.plan_id == plan_id)
                                  .order_by(RevisionRow.revision.desc()).limit(1))
            if text is None:
                raise NotFoundError("plan", plan_id)
            directory = _directory_id(text)
        self._known[plan_id] = directory
        return str(directory)

    def plans_in(self, session: Session, directory_id: str) -> list[str]:
        """The registered plans compiled against `directory_id`."""
        unlinked = session.scalars(select(PlanRow.id).where(
            ~PlanRow.id.in_(select(PlanDirectoryRow.plan_id))))
        for plan_id in list(unlinked):
            link_plan_directory(session, plan_id, self.of(session, plan_id))
        return list(session.scalars(select(PlanDirectoryRow.plan_id).where(
            PlanDirectoryRow.directory_id == directory_id).order_by(PlanDirectoryRow.plan_id)))


@functools.lru_cache(maxsize=32)
def _directory_id(directory_yaml: str) -> str:
    # Stored directories were validated when their plan was registered: only the id is
    # needed, where the validating parser (line numbers, pydantic) took seconds for a
    # 1,000-agency directory with the event loop blocked.
    found = stored_directory_id(directory_yaml)
    if found is not None:
        return found
    directory, _ = parse_directory(directory_yaml, file="<stored directory>")
    return directory.directory.id


def require_role(caller: Caller, *roles: Role) -> None:
    """Refuse a token whose role may not use this endpoint."""
    if caller.role not in roles:
        wanted = " hoặc ".join(f"token {ROLE_NAMES_VI[r]}" for r in roles)
        raise ForbiddenError("wrong-role", f"Token {ROLE_NAMES_VI[caller.role]} không dùng "
                             f"được cho địa chỉ này; địa chỉ này cần {wanted}.")


def authorize_lead(session: Session, caller: Caller, directories: PlanDirectories, *,
                   plan: str, agency: str, what: str) -> None:
    """Allow an operator, or the agency token of `agency` in the plan's directory.

    `what` says where the request names `agency` (an instance id, or a body's "agency"):
    the refusal says only what is known, never that `agency` leads anything.
    """
    require_role(caller, Role.AGENCY, Role.OPERATOR)
    if caller.role is Role.OPERATOR:
        return
    if agency != caller.agency_id:
        raise ForbiddenError("not-lead", f"Token của cơ quan '{caller.agency_id}' chỉ được "
                             "cập nhật đầu việc do chính cơ quan này chủ trì, không được cập "
                             f"nhật thay cho cơ quan '{agency}' ({what}).")
    directory = directories.of(session, plan)
    if directory != caller.directory_id:
        raise ForbiddenError("not-lead", f"Kế hoạch '{plan}' thuộc danh mục cơ quan "
                             f"'{directory}', còn token này cấp cho '{caller.agency_id}' của "
                             f"danh mục '{caller.directory_id}'.")


def authorize_instance(session: Session, caller: Caller, directories: PlanDirectories,
                       instance_id: str) -> None:
    """Check the caller may change `instance_id`, before looking the instance up."""
    parts = instance_id.split(":")
    if len(parts) != 4 or not all(map(re.fullmatch, _ID_PARTS, parts)):
        # Not an id the compiler makes (PostgreSQL would even refuse some, e.g. NUL bytes).
        require_role(caller, Role.AGENCY, Role.OPERATOR)
        raise NotFoundError("instance", instance_id)
    plan, _, agency, _ = parts
    authorize_lead(session, caller, directories, plan=plan, agency=agency,
                   what=f"mã đầu việc '{instance_id}' ghi cơ quan '{agency}'")


def record_work(session: Session, caller: Caller, instance_id: str,
                body: CompletionCreate, *, now: dt.datetime) -> InstancePublic:
    """Record a completion (or, for a ProgressCreate, progress) as a webhook event."""
    at = body.completed_at or now
    if at > now + CLOCK_SKEW:
        raise InvalidInputError("completed-in-future", f"Thời điểm hoàn thành "
                                f"{local_text(at, LOCAL)} ở tương lai; gửi thời "
                                "điểm đã thực hiện xong (giờ Việt Nam nếu không ghi múi giờ).",
                                errors=[{"field": "completed_at",
                                         "message": "không được ở tương lai"}])
    progress = isinstance(body, ProgressCreate)
    kind = EventKind.PROGRESS if progress else EventKind.COMPLETED
    event = Event(instance_id, kind, at, caller.actor, "webhook",
                  count=body.count if isinstance(body, ProgressCreate) else None,
                  evidence_url=body.evidence_url, note=body.note)
    try:
        view = record_event(session, event)
    except EventValueError as exc:
        raise _value_refusal(exc) from None
    except TransitionError:
        raise _refusal(get_instance(session, instance_id), kind) from None
    return to_public(view, now=max(now, at))


def _value_refusal(exc: EventValueError) -> InvalidInputError:
    field = _BODY_FIELDS.get(exc.field, exc.field)
    kinds = {"too-early": "completed-too-early", "no-target": "no-target"}
    return InvalidInputError(kinds.get(exc.kind, "invalid-count"),
                             f"Trường {field}: {exc.detail}.",
                             errors=[{"field": field, "message": exc.detail}])


def complete_by_key(session: Session, caller: Caller, directories: PlanDirectories, *,
                    plan: str, task: str, body: KeyedCompletionCreate,
                    now: dt.datetime) -> InstancePublic:
    """Complete the instance named by its natural key (plan, task, agency, period)."""
    authorize_lead(session, caller, directories, plan=plan, agency=body.agency,
                   what=f"trường agency của yêu cầu báo nhiệm vụ '{task}' kỳ {body.period}")
    require_period(body.period)
    instance_id = instance_id_of(session, plan=plan, task=task, agency=body.agency,
                                 period=body.period)
    return record_work(session, caller, instance_id, body, now=now)


def _refusal(view: InstanceView, kind: EventKind) -> ConflictError:
    state = view.state
    if state.waived_at:
        return ConflictError("instance-waived", f"Đầu việc '{view.id}' đã được miễn/hủy (lý "
                             f"do: {waived_reason_vi(state.waived_reason)}) nên không ghi nhận "
                             "được. Liên hệ cơ quan theo dõi kế hoạch nếu cần khôi phục.")
    if state.completed_at and kind is EventKind.COMPLETED:
        when = f"{state.completed_at.astimezone(LOCAL):%H:%M %d/%m/%Y}"
        return ConflictError("already-completed", f"Đầu việc '{view.id}' đã được ghi nhận "
                             f"hoàn thành lúc {when}; không cần gửi lại. Để gửi lại an toàn, "
                             "dùng header Idempotency-Key.")
    return ConflictError("transition-refused", f"Không ghi nhận được thay đổi cho đầu việc "
                         f"'{view.id}' ở trạng thái hiện tại.")


def waived_reason_vi(reason: str | None) -> str:
    """A stored waive reason as an agency reads it (the registry's own reason in Vietnamese)."""
    reason = (reason or "").strip()
    if not reason:
        return "không ghi"
    removed = _REMOVED_IN.fullmatch(reason)
    if removed:
        return f"nhiệm vụ đã bỏ khỏi kế hoạch ở lần sửa đổi {removed[1]}"
    return reason


def require_period(label: str) -> str:
    """`label` if it names a period (2024, 2024-Q1, ...); PeriodError (422) otherwise."""
    try:
        parse_period(label)
    except ValueError as exc:
        raise PeriodError(label, str(exc)) from None
    return label


def to_public(view: InstanceView, *, now: dt.datetime) -> InstancePublic:
    """The API's view of an instance after a change, with a Vietnamese message."""
    status = status_at(view.due_at, view.state, now=now)
    done = view.state.completed_at
    if done is not None:
        verdict = "đúng hạn" if status is Status.DONE_ON_TIME else "quá hạn"
        message = (f"Đã ghi nhận hoàn thành {view.id} lúc "
                   f"{done.astimezone(LOCAL):%H:%M %d/%m/%Y} ({verdict}).")
    else:
        message = f"Đã ghi nhận tiến độ {view.id}: {view.state.progress}/{view.target or '?'}."
    return InstancePublic(
        id=view.id, plan=view.plan, task=view.task, agency=view.agency, period=view.period,
        due=view.due_at.astimezone(LOCAL) if view.due_at else None, status=status.value,
        status_label=STATUS_LABELS_VI[status],
        completed_at=done.astimezone(LOCAL) if done else None,
        progress=view.state.progress, target=view.target, message=message)


def readable_plans(session: Session, caller: Caller, directories: PlanDirectories, *,
                   agency: str, plan: str | None) -> list[str]:
    """The plans whose instances of `agency` the caller may read."""
    require_role(caller, Role.AGENCY, Role.OPERATOR)
    if caller.role is Role.OPERATOR:
        if plan is not None:
            return [require_plan(session, plan).id]
        known = session.scalar(select(AgencyRow.id).where(AgencyRow.id == agency).limit(1))
        if known is None:  # in no registered plan's directory: a typo, not an empty list
            raise NotFoundError("agency", agency)
        return list(session.scalars(select(InstanceRow.plan_id).distinct()
                                    .where(InstanceRow.agency_id == agency)))
    if agency != caller.agency_id:
        raise ForbiddenError("not-lead", f"Token của cơ quan '{caller.agency_id}' chỉ xem được "
                             f"danh sách của chính cơ quan này, không phải '{agency}'.")
    plans = directories.plans_in(session, caller.directory_id or "")
    if plan is None:
        return plans
    if plan not in plans:
        require_plan(session, plan)
        raise ForbiddenError("not-lead", f"Kế hoạch '{plan}' không thuộc danh mục cơ quan "
                             f"'{caller.directory_id}' của token này.")
    return [plan]


def calendar_plans(session: Session, caller: Caller, directories: PlanDirectories, *,
                   agency: str) -> list[str]:
    """The plans whose deadlines of `agency` a calendar token may read."""
    require_role(caller, Role.CALENDAR)
    if agency != caller.agency_id:
        raise ForbiddenError("not-lead", f"Token lịch của cơ quan '{caller.agency_id}' chỉ "
                             f"đọc được lịch của chính cơ quan này, không phải '{agency}'.")
    return directories.plans_in(session, caller.directory_id or "")


def list_instances(session: Session, plans: Iterable[str], *, agency: str,
                   status: Status | None, period: str | None,
                   now: dt.datetime) -> InstanceListPublic:
    """The instances `agency` leads in `plans`, with their status as of `now`."""
    lines = [InstanceStatusPublic(
        id=r.id, plan=plan, task=r.task, period=r.period, due=r.due, status=r.status.value,
        status_label=STATUS_LABELS_VI[r.status], completed_at=r.completed_at,
        days_late=r.days_late, progress=r.progress, blocked=r.blocked)
        for plan in plans
        for r in instance_statuses(session, plan=plan, as_of=now, agency=agency,
                                   status=status, period=period)]
    return InstanceListPublic(agency=agency, as_of=now.astimezone(LOCAL), count=len(lines),
                              instances=lines)


def plan_metrics(session: Session, caller: Caller, directories: PlanDirectories, *,
                 plan: str, period: str, by: str) -> MetricsPublic:
    """A plan's metrics for a reporting window (operators, or agencies of its directory)."""
    require_role(caller, Role.AGENCY, Role.OPERATOR)
    require_plan(session, plan)
    if caller.role is Role.AGENCY and directories.of(session, plan) != caller.directory_id:
        raise ForbiddenError("not-lead", f"Kế hoạch '{plan}' không thuộc danh mục cơ quan "
                             f"'{caller.directory_id}' của token này.")
    outside = outside_plan_year(session, plan=plan, period=period)
    if outside is not None and not outside[1]:
        year = outside[0]
        raise InvalidInputError("period-outside-plan", f"Kỳ '{period}' nằm ngoài năm {year} "
                                f"của kế hoạch '{plan}' và không có đầu việc nào đến hạn trong "
                                f"kỳ đó; dùng một kỳ của năm {year} (ví dụ {year}-Q1, "
                                f"{year}-H1, {year}).")
    rows = rollup(session, plan=plan, period=period, by=by)
    return MetricsPublic(plan=plan, period=period, by=by, rows=[r.to_json() for r in rows])
