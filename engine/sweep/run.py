"""The sweep: decide escalations set-wise in SQL and queue one digest per recipient."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Date,
    Exists,
    Integer,
    String,
    Subquery,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.core.compile import collector_paused
from engine.core.escalation import PlanContext, level_cutoff
from engine.core.policy import DEFAULT_POLICY, Policy, policy_for
from engine.core.spec import GROUP_PREFIX, CalendarOverrides, Group, PlanSpec, parse_plan_spec
from engine.core.workdays import WorkCalendar
from engine.core.yamltext import load_sections
from engine.store.events import NotFoundError
from engine.store.tables import InstanceRow, PlanRow, RevisionRow, TaskRow
from engine.store.tables_escalation import OPEN_INSTANCE, EscalationRow, SweepRow
from engine.sweep.outbox import (
    NO_AGENCIES,
    SweptPlan,
    build_digests_by_directory,
    notified,
    queue,
    read_directories,
)
from engine.sweep.reviews import add_review_notes

log = logging.getLogger(__name__)
# Message-IDs are fixed when a digest is queued; ".invalid" (RFC 2606) can name no real host.
MESSAGE_DOMAIN = "kehoach.invalid"


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep recorded and queued."""

    sweep_id: int
    as_of: dt.datetime
    plans: tuple[str, ...]                 # plans swept
    skipped: tuple[str, ...]               # already swept as of this moment or later
    reached: Mapping[str, int] = field(default_factory=dict)  # level -> new escalations
    notified: int = 0                      # escalations listed in a digest
    # Recipients (agency ids) of the queued digests; an id twice when the sweep covered
    # two directories that both have that agency.
    messages: tuple[str, ...] = ()

    @property
    def escalations(self) -> int:
        return sum(self.reached.values())


def run_sweep(session: Session, *, now: dt.datetime, plan: str | None = None,
              message_domain: str = MESSAGE_DOMAIN) -> SweepResult:
    """Record every newly reached (instance, level) and queue the digests, in `session`.

    Only open instances with a due date escalate (completed, waived and continuous ones
    never do). A plan already swept as of `now` or later is skipped: sweeping again for
    the same or an earlier moment writes nothing new.

    Args:
        session: the caller's transaction; everything is written in it or not at all.
        now: the moment the policy is applied at (aware).
        plan: sweep only this plan (default: every plan).
        message_domain: the right-hand side of the queued messages' Message-IDs.

    Raises:
        NotFoundError: `plan` names no registered plan.
    """
    with collector_paused():  # the 10^5 digest items of a national first sweep form no cycles
        return _sweep(session, now=now, plan=plan, domain=message_domain)


def _sweep(session: Session, *, now: dt.datetime, plan: str | None,
           domain: str) -> SweepResult:
    due, skipped = _plans_to_sweep(session, plan=plan, now=now)
    connection = session.connection()
    sweep_id = _start_sweep(connection, now=now, plan=plan)
    plans = {row.id: _load_plan(session, row) for row in due}
    for loaded in plans.values():
        _record_reached(session, loaded.context, sweep_id=sweep_id, now=now)
    reached = _reached_counts(session, sweep_id)
    directories, infos = read_directories(session, plans)
    names = {p: directories.get(loaded.directory, NO_AGENCIES).names
             for p, loaded in plans.items()}
    notices = list(notified(session, plans, names, sweep_id=sweep_id, now=now))
    digests = build_digests_by_directory(notices, plans, directories, infos, now=now)
    digests = add_review_notes(session, digests, plans, directories, infos, names,
                               sweep_id=sweep_id, now=now)
    queue(session, digests, sweep_id=sweep_id, now=now, domain=domain)
    recipients = tuple(d.recipient.agency for listed in digests.values() for d in listed)
    escalations = sum(reached.values())
    connection.execute(update(SweepRow).where(SweepRow.id == sweep_id).values(
        escalations=escalations, messages=len(recipients)))
    log.info("sweep %d as of %s: %d escalations, %d digests", sweep_id, now.isoformat(),
             escalations, len(recipients))
    return SweepResult(sweep_id, now, tuple(plans), tuple(skipped), dict(reached),
                       len(notices), recipients)


def _start_sweep(connection: Connection, *, now: dt.datetime, plan: str | None) -> int:
    """The id of a new sweeps row (its counts filled in at the end).

    Core, not a mapped SweepRow: the unit of work's two flushes cost a millisecond or two.
    """
    key = connection.execute(insert(SweepRow).values(
        as_of=now, plan_id=plan, escalations=0, messages=0)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _plans_to_sweep(session: Session, *, plan: str | None,
                    now: dt.datetime) -> tuple[list[PlanRow], list[str]]:
    # Locking the plan rows makes concurrent sweeps of one plan queue up (PostgreSQL);
    # SQLite's BEGIN IMMEDIATE already serialises writers.
    query = select(PlanRow).order_by(PlanRow.id).with_for_update()
    if plan is not None:
        query = query.where(PlanRow.id == plan)
    rows = list(session.scalars(query))
    if plan is not None and not rows:
        raise NotFoundError("plan", plan)
    swept = _swept_until(session)
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)

    def last_swept(plan_id: str) -> dt.datetime:
        return max(swept.get(plan_id, floor), swept.get(None, floor))

    due = [r for r in rows if last_swept(r.id) < now]
    return due, [r.id for r in rows if last_swept(r.id) >= now]


def _swept_until(session: Session) -> dict[str | None, dt.datetime]:
    """The latest moment each plan (None: all plans at once) was swept as of."""
    query = select(SweepRow.plan_id, func.max(SweepRow.as_of)).group_by(SweepRow.plan_id)
    return {plan: moment for plan, moment in session.execute(query)}


# Parsed plan texts by PlanRow.spec_hash (which covers spec and directory): a daily sweep
# would otherwise re-parse the same YAML every morning. A revision changes the hash.
_PARSED: dict[str, tuple[PlanSpec, WorkCalendar, dict[str, tuple[str, ...]], str]] = {}


def _parsed(session: Session, row: PlanRow) -> tuple[PlanSpec, WorkCalendar,
                                                     dict[str, tuple[str, ...]], str]:
    if row.spec_hash not in _PARSED:
        revision = session.get(RevisionRow, (row.id, row.revision))
        if revision is None:
            raise NotFoundError("plan revision", f"{row.id}@{row.revision}")
        spec, _ = parse_plan_spec(revision.spec_yaml,
                                  file=f"{row.id} (revision {row.revision})")
        overrides, groups, directory = _read_stored_directory(revision.directory_yaml)
        calendar = WorkCalendar(days_off=overrides.days_off,
                                working_days=overrides.working_days)
        _PARSED[row.spec_hash] = (spec, calendar, groups, directory)
    return _PARSED[row.spec_hash]


def _load_plan(session: Session, row: PlanRow) -> SweptPlan:
    spec, calendar, groups, directory = _parsed(session, row)
    overridden = spec.plan.escalation is not None
    context = PlanContext(
        id=row.id, issuer=row.issuer, monitor=row.monitor, timezone=row.timezone,
        calendar=calendar,
        coordinators={t.id: _expand(t.coordinators, groups) for t in spec.tasks},
        policies={t.id: policy_for(spec.plan, t) for t in spec.tasks
                  if overridden or t.escalation is not None})
    titles = select(TaskRow.id, TaskRow.title, TaskRow.target_unit).where(
        TaskRow.plan_id == row.id)
    return SweptPlan(context, directory, row.number, row.title, {
        task: (title, unit) for task, title, unit in session.connection().execute(titles)})


def _read_stored_directory(directory_yaml: str) -> tuple[
        CalendarOverrides, dict[str, tuple[str, ...]], str]:
    """The calendar overrides, groups and id of a stored directory.

    The directory was validated when the plan was registered; a national one lists
    thousands of agencies, so only the sections the sweep needs are built.
    The id is the stored text's rather than plan_directories': plans registered before
    that table existed have no row there, and the text is parsed here anyway.
    """
    data = load_sections(directory_yaml, ("directory", "groups", "calendar"))
    groups = [Group.model_validate(g) for g in data.get("groups") or ()]
    return (CalendarOverrides.model_validate(data.get("calendar") or {}),
            {g.id: g.members for g in groups}, str(data["directory"]["id"]))


def _expand(refs: Sequence[str], groups: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    pending, seen = list(refs), set()
    while pending:
        ref = pending.pop(0)
        if not ref.startswith(GROUP_PREFIX):
            found[ref] = None
        elif ref not in seen:
            seen.add(ref)
            pending[:0] = groups.get(ref.removeprefix(GROUP_PREFIX), ())
    return tuple(found)


def _record_reached(session: Session, plan: PlanContext, *, sweep_id: int,
                    now: dt.datetime) -> None:
    """INSERT ... SELECT the open instances past each level's cutoff and not yet told.

    One statement per policy: the open instances are joined with the policy's levels (a
    constant table of name, rank and cutoff), so the partial index is read once per level
    inside one statement. A lower level reached in the same sweep as a higher one that
    tells the same audiences is recorded but not notified (see decide_escalations):
    `notified` is "no higher level of the policy with the level's audience is newly reached
    by the instance too" (see _highest). Every row of one instance comes from the same
    policy.
    """
    today = plan.local_date(now)
    sqlite = session.connection().dialect.name == "sqlite"
    i = InstanceRow
    for policy, condition in _policy_groups(plan):
        cutoffs = _level_cutoffs(policy, plan, today=today)
        levels = _levels_table(policy, cutoffs, name="levels")
        highest = _highest(levels, _levels_table(policy, cutoffs, name="higher") if sqlite
                           else None, audiences=sorted({lv.audience for lv in policy.levels}))
        chosen = (select(i.id, i.plan_id, levels.c.level, literal(sweep_id), levels.c.rank,
                         highest)
                  .join_from(i, levels, i.due_date <= levels.c.cutoff)
                  .where(i.plan_id == plan.id, i.due_date.is_not(None),
                         i.due_date <= max(cutoffs), OPEN_INSTANCE, condition,
                         ~_told(levels)))
        if sqlite:  # see _highest
            chosen = chosen.order_by(i.id, levels.c.rank)
        # The sweep's own INSERT: its rows are chosen in SQL and never reach Python, so the
        # store's bulk insert (engine.store.bulk, which takes rows) has nothing to take.
        session.execute(insert(EscalationRow).from_select(
            ["instance_id", "plan_id", "level", "sweep_id", "rank", "notified"], chosen))


def _highest(levels: Subquery, higher: Subquery | None, *,
             audiences: Sequence[str]) -> ColumnElement[bool]:
    """Whether a row's level is the highest with its audience (Level.audience) that its
    instance newly reaches in the statement.

    With `higher` (a second copy of the levels), for SQLite: no higher level is reached
    and not yet told; the rows must then be ordered by instance, the order of both of
    the table's indexes (in the join's order a national first sweep's 2 x 10^5 inserts
    took 60% longer). SQLite evaluates the plain window by sorting every row into a
    temporary b-tree first: 15% more for that sweep, 45% more for 1,000 instances.
    Without, for PostgreSQL: the window, which it streams, and whose output is in instance
    order already; it estimates the correlated NOT EXISTS per row, so its JIT compiled
    the statement with full optimization, 0.4 s even when no row was new.
    """
    if higher is None:  # one window per audience, all over the same partition: one pass
        if len(audiences) == 1:
            return levels.c.rank == func.max(levels.c.rank).over(partition_by=InstanceRow.id)
        return case(*[(levels.c.audience == audience, levels.c.rank == func.max(
            case((levels.c.audience == audience, levels.c.rank))).over(
            partition_by=InstanceRow.id)) for audience in audiences])
    return ~exists().where(higher.c.rank > levels.c.rank,
                           higher.c.audience == levels.c.audience,
                           InstanceRow.due_date <= higher.c.cutoff, ~_told(higher))


def _told(levels: Subquery) -> Exists:
    """Whether the instance's level (a row of `levels`) was recorded by an earlier sweep.

    Correlated by name: nested in the EXISTS over `higher`, it would otherwise correlate
    only to that one and read instances afresh.
    """
    e = EscalationRow
    return (exists().where(e.instance_id == InstanceRow.id, e.level == levels.c.level)
            .correlate(InstanceRow, levels))


def _level_cutoffs(policy: Policy, plan: PlanContext, *, today: dt.date) -> list[dt.date]:
    """The cutoff due date of each level of `policy` (see level_cutoff), by rank."""
    return [level_cutoff(plan.calendar, level.offset, today=today) for level in policy.levels]


def _levels_table(policy: Policy, cutoffs: Sequence[dt.date], *, name: str) -> Subquery:
    """The levels of `policy` as a constant table (level, rank, cutoff, audience).

    A UNION ALL of one-row SELECTs rather than VALUES: SQLite cannot name the columns of
    a VALUES list in FROM.
    """
    rows = [select(literal(level.name, String).label("level"),
                   literal(rank, Integer).label("rank"),
                   literal(cutoff, Date).label("cutoff"),
                   literal(level.audience, String).label("audience"))
            for rank, (level, cutoff) in enumerate(zip(policy.levels, cutoffs, strict=True))]
    return union_all(*rows).subquery(name)


def _reached_counts(session: Session, sweep_id: int) -> Counter[str]:
    # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT.
    e = EscalationRow
    query = select(e.level, func.count()).where(e.sweep_id == sweep_id).group_by(e.level)
    return Counter({level: count for level, count in session.connection().execute(query)})


def _policy_groups(plan: PlanContext) -> list[tuple[Policy, ColumnElement[bool]]]:
    """Each distinct policy with the SQL condition selecting the tasks that follow it."""
    by_policy: dict[Policy, list[str]] = {}
    for task, policy in plan.policies.items():
        by_policy.setdefault(policy, []).append(task)
    groups = [(policy, InstanceRow.task_id.in_(tasks)) for policy, tasks in by_policy.items()
              if policy != DEFAULT_POLICY]
    special = [t for p, tasks in by_policy.items() if p != DEFAULT_POLICY for t in tasks]
    default = InstanceRow.task_id.not_in(special) if special else true()
    return [(DEFAULT_POLICY, default), *groups]
