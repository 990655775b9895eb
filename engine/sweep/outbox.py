"""From a sweep's recorded escalations to its queued digests (engine.sweep.run records them).

The escalations this sweep notifies are read back in instance order, routed to who hears of
them (engine.core.escalation.Decider), grouped into one digest per recipient of each agency
directory (agency ids are only unique within a directory) and queued in the outbox, in the
sweep's transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Dialect, Table, Text, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from engine.core.digest import Digest, DigestItem, Notice, Party, PlanInfo, build_digests
from engine.core.escalation import Decider, PlanContext
from engine.mail.render import subject_of
from engine.store.database import json_text
from engine.store.tables import AgencyRow, InstanceRow
from engine.store.tables_escalation import EscalationRow, OutboxRow

QUEUED = "queued"


@dataclass(frozen=True, slots=True)
class SweptPlan:
    """A plan being swept, with what its digests say of it."""

    context: PlanContext
    directory: str  # the id of the agency directory it was compiled against
    number: str
    title: str
    titles: Mapping[str, tuple[str, str | None]]  # task id -> (title, target unit)


@dataclass(frozen=True, slots=True)
class Agencies:
    """What the sweep needs of one directory's agencies, as its swept plans store them."""

    parties: Mapping[str, Party]   # the union over its plans: first name by plan id
    names: Mapping[str, str]       # the name an item gives its lead: the last by plan id


NO_AGENCIES = Agencies({}, {})


def read_directories(session: Session, plans: Mapping[str, SweptPlan]
                      ) -> tuple[dict[str, Agencies], dict[str, PlanInfo]]:
    """The agencies of the swept plans by directory id, and each plan with its monitor.

    One read (by plan id, as a directory's plans' parties are merged). Agencies are merged
    only within a directory: agency ids are unique only there (ubnd-tp is Hà Nội's and
    Hải Phòng's). The e-mails are read as JSON text and parsed by orjson: the JSON type's
    json.loads per row cost more than the read.
    """
    a = AgencyRow
    query = (select(a.plan_id, a.id, a.name, sql_cast(a.emails, Text))
             .where(a.plan_id.in_(list(plans))).order_by(a.plan_id))
    monitors = {(p, loaded.context.monitor) for p, loaded in plans.items()}
    merged: dict[str, tuple[dict[str, str], dict[str, str], dict[str, dict[str, None]]]] = {}
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    emails: dict[str, dict[str, None]] = {}
    own: dict[str, Party] = {}
    current = None
    for plan_id, agency, name, text in session.connection().execute(query).all():
        if plan_id != current:  # rows come plan by plan
            current = plan_id
            first, last, emails = merged.setdefault(plans[plan_id].directory, ({}, {}, {}))
        listed = orjson.loads(text)
        if agency in emails:  # in several plans of this directory
            emails[agency].update(dict.fromkeys(map(str, listed)))
        else:
            first[agency] = name
            emails[agency] = dict.fromkeys(map(str, listed))
        last[agency] = name
        if (plan_id, agency) in monitors:
            own[plan_id] = Party(agency, name, tuple(listed))
    infos = {p: PlanInfo(p, loaded.number, loaded.title,
                         own.get(p) or Party(loaded.context.monitor, loaded.context.monitor))
             for p, loaded in plans.items()}
    return {d: Agencies({a: Party(a, name, tuple(emails[a])) for a, name in first.items()},
                          last) for d, (first, last, emails) in merged.items()}, infos


def notified(session: Session, plans: Mapping[str, SweptPlan],
             names: Mapping[str, Mapping[str, str]], *, sweep_id: int,
             now: dt.datetime) -> Iterator[Notice]:
    """The escalations this sweep notifies, each with whom it tells and its digest item.

    `names` gives, by plan id, the agency names of the plan's own directory.

    Read back in instance order (the order of ix_escalations_sweep, so no sort on SQLite):
    the digests list their items in it. Who hears and how late are looked up in a
    Decider per plan (see engine.core.escalation.Decider), not decided again for every row.
    """
    e, i = EscalationRow, InstanceRow
    query = (select(e.instance_id, e.rank, e.plan_id, i.task_id, i.agency_id, i.period,
                    i.printed_due, i.due_date, i.target, i.progress)
             .join(i, i.id == e.instance_id)
             .where(e.sweep_id == sweep_id, e.notified.is_(True))
             .order_by(e.instance_id)
             .execution_options(yield_per=10_000))
    # What a row needs of its plan, in one lookup: its decider, task titles, agency names.
    looked_up = {p: (Decider(loaded.context, loaded.context.local_date(now)), loaded.titles,
                     names[p]) for p, loaded in plans.items()}
    # Read through Core and unpacked as tuples: the ORM's row loading and a Row's
    # attribute access (about a microsecond per column) cost more than the rest of the
    # loop, for the 10^5 rows of a national first sweep.
    rows = session.connection().execute(query).tuples()
    for (instance_id, rank, plan_id, task, lead, period, printed_due, due_date, target,
         progress) in rows:
        assert due_date is not None  # only instances with a due date are recorded
        decider, titles, agencies = looked_up[plan_id]
        route = decider.route(task, rank)
        to, cc = route.addressed(lead)
        level = route.level
        title, unit = titles.get(task, (task, None))
        yield Notice(to, cc, DigestItem(
            instance_id, plan_id, task, title, lead, agencies.get(lead, lead), period,
            printed_due, due_date, level.name, level.label, level.offset,
            decider.days_late(due_date), target, progress, unit))


def build_digests_by_directory(notices: Iterable[Notice], plans: Mapping[str, SweptPlan],
                   directories: Mapping[str, Agencies], infos: Mapping[str, PlanInfo], *,
                   now: dt.datetime) -> dict[str | None, list[Digest]]:
    """The digests of each directory the swept plans were compiled against, by its id.

    Agency ids are unique only within a directory, so each directory's notices are routed
    apart: a digest goes to an agency of one directory, lists only its plans' items and
    addresses only its agencies. A sweep of one directory's plans (most deployments) keys
    its digests None, and its Message-IDs keep their shorter form (see queue).
    """
    parts: dict[str, dict[str, SweptPlan]] = {}
    for plan_id, loaded in plans.items():
        parts.setdefault(loaded.directory, {})[plan_id] = loaded
    if len(parts) <= 1:
        directory = directories.get(next(iter(parts), ""), NO_AGENCIES)
        return {None: build_digests(notices, parties=directory.parties, plans=infos,
                                    as_of=_local_date(now, plans))}
    routed: dict[str, list[Notice]] = {d: [] for d in sorted(parts)}
    for notice in notices:
        routed[plans[notice.item.plan].directory].append(notice)
    return {d: build_digests(listed, parties=directories.get(d, NO_AGENCIES).parties,
                             plans=infos, as_of=_local_date(now, parts[d]))
            for d, listed in routed.items()}


def _local_date(now: dt.datetime, plans: Mapping[str, SweptPlan]) -> dt.date:
    first = next(iter(plans.values()), None)
    return first.context.local_date(now) if first else now.date()


# The outbox columns a queued digest fills, in the order queue gives their values.
_QUEUE_COLUMNS = ("sweep_id", "message_id", "recipient", "subject", "to_addrs", "cc_addrs",
                  "payload", "status", "attempts", "queued_at")
_OUTBOX = cast(Table, OutboxRow.__table__)
_QUEUE_SQL: dict[str, tuple[str, list[int] | None]] = {}  # see _queue_sql


def queue(session: Session, digests: Mapping[str | None, list[Digest]], *, sweep_id: int,
           now: dt.datetime, domain: str) -> None:
    """One outbox row per digest (by directory id, see build_digests_by_directory), handed to the
    driver as it takes them.

    A Message-ID is `<sweep{sweep id}.{nonce}.{agency id}@{domain}>` when the sweep covered
    one directory (key None), else `<sweep{sweep id}.{nonce}.{directory id}.{agency id}@{domain}>`,
    the nonce 8 random hex digits per sweep: unique within a sweep either way, as agency
    ids are within a directory; ids are slugs (no dots), so the two forms cannot meet.

    The table, not the mapped class: an ORM bulk insert inspects every value of every row
    in Python first, seconds for the 10^5 items of a national first sweep. Nor through
    Connection.execute: its processing of each row's parameters (8 µs a row) cost more than
    SQLite's insert of the row. So the JSON columns are serialized here, as the store's
    JSON type would, and the one datetime is converted once, by its column's type.
    """
    if not any(digests.values()):
        return
    # Sweep ids restart in every database (a rebuilt one, next year's): the nonce keeps two
    # databases' "sweep 1" mails from sharing a Message-ID, which a receiving server may take
    # for a duplicate and drop. Fixed here, so a retried send repeats the same id.
    nonce = secrets.token_hex(4)
    connection = session.connection()
    dialect = connection.dialect
    convert = _OUTBOX.c.queued_at.type.dialect_impl(dialect).bind_processor(dialect)
    queued_at = convert(now) if convert else now
    rows: list[tuple[Any, ...]] = []
    for directory, listed in digests.items():
        scope = "" if directory is None else f"{directory}."
        rows += [(sweep_id, f"<sweep{sweep_id}.{nonce}.{scope}{d.recipient.agency}@{domain}>",
                  d.recipient.agency, subject_of(d), json_text(d.recipient.emails),
                  json_text([a for p in d.cc for a in p.emails]), json_text(d.to_json()),
                  QUEUED, 0, queued_at) for d in listed]
    sql, order = _queue_sql(dialect)
    # Its own INSERT, not engine.store.bulk.bulk_insert: on PostgreSQL that loads by COPY,
    # outside SQLAlchemy's statement events, where tests/test_dispatch_crash.py stops a sweep
    # mid-queue; and a sweep's few thousand digests gain nothing from COPY.
    if order is None:  # named parameters (psycopg)
        connection.exec_driver_sql(sql, [dict(zip(_QUEUE_COLUMNS, r, strict=True))
                                         for r in rows])
    else:
        connection.exec_driver_sql(sql, rows if order == list(range(len(order)))
                                   else [tuple(r[i] for i in order) for r in rows])


def _queue_sql(dialect: Dialect) -> tuple[str, list[int] | None]:
    """The outbox INSERT as `dialect`'s driver takes it (with a cast to JSON on PostgreSQL),
    and where each positional parameter is in _QUEUE_COLUMNS (None: named parameters).
    Compiled once per driver: the text never changes."""
    key = f"{dialect.name}+{dialect.driver}"
    if key not in _QUEUE_SQL:
        compiled = _OUTBOX.insert().compile(dialect=dialect, column_keys=list(_QUEUE_COLUMNS),
                                            for_executemany=True)
        names = compiled.positiontup
        _QUEUE_SQL[key] = (compiled.string, None if names is None
                           else [_QUEUE_COLUMNS.index(n) for n in names])
    return _QUEUE_SQL[key]

