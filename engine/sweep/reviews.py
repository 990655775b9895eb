"""The review notes of a sweep's digests: extension requests named to their approvers (and
reminded while unanswered), and outcomes told to the leads (a returned completion, an
approved or refused extension). Read and marked in the sweep's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.core.digest import Digest, Party, PlanInfo, ReviewNote
from engine.core.review import REQUESTED, remind_on
from engine.store.review import review_policy
from engine.store.tables import InstanceRow
from engine.store.tables_review import ExtensionRow, ReviewNoticeRow
from engine.sweep.outbox import NO_AGENCIES, Agencies, SweptPlan

Addressed = tuple[str, str, ReviewNote]  # (plan id, recipient agency id, note)


def add_review_notes(session: Session, digests: dict[str | None, list[Digest]],
                     plans: Mapping[str, SweptPlan], directories: Mapping[str, Agencies],
                     infos: Mapping[str, PlanInfo], names: Mapping[str, Mapping[str, str]], *,
                     sweep_id: int, now: dt.datetime) -> dict[str | None, list[Digest]]:
    """`digests` with this sweep's review notes added, each to its recipient's digest (a
    new digest for a recipient with no escalation to hear of). `names` gives, by plan id,
    the agency names of the plan's own directory."""
    notes = [*_requests(session, plans, now=now), *_outcomes(session, plans, sweep_id=sweep_id)]
    if not notes:
        return digests
    single = None in digests
    for plan_id, agency, unnamed in notes:
        loaded = plans[plan_id]
        note = replace(unnamed, agency_name=names.get(plan_id, {}).get(unnamed.agency,
                                                                       unnamed.agency))
        key = None if single else loaded.directory
        listed = digests.setdefault(key, [])
        at = next((n for n, d in enumerate(listed) if d.recipient.agency == agency), None)
        if at is None:
            party = (directories.get(loaded.directory, NO_AGENCIES).parties.get(agency)
                     or Party(agency, agency))
            listed.append(Digest(party, loaded.context.local_date(now), (infos[plan_id],), ()))
            at = len(listed) - 1
        digest = listed[at]
        known = {p.id for p in digest.plans}
        listed[at] = replace(digest, notes=(*digest.notes, note), plans=digest.plans if
                             plan_id in known else (*digest.plans, infos[plan_id]))
    for listed in digests.values():
        listed.sort(key=lambda d: d.recipient.agency)
    return digests


def _requests(session: Session, plans: Mapping[str, SweptPlan], *,
              now: dt.datetime) -> list[Addressed]:
    """Requests awaiting a decision, to each approver: once when first swept, then again
    every `remind_after_working_days` working days while unanswered."""
    e, i = ExtensionRow, InstanceRow
    rows = session.execute(
        select(e.id, e.plan_id, e.instance_id, e.told_on, e.reminded_on, e.previous_due,
               e.requested_due, e.reason, i.task_id, i.agency_id, i.period)
        .join(i, i.id == e.instance_id)
        .where(e.plan_id.in_(list(plans)), e.state == REQUESTED).order_by(e.id)).all()
    found: list[Addressed] = []
    for (rid, plan_id, iid, told_on, reminded_on, previous, asked, reason, task, lead,
         period) in rows:
        loaded = plans[plan_id]
        today = loaded.context.local_date(now)
        policy = review_policy(session, plan_id)
        if told_on is None:
            kind, values = "extension_requested", {"told_on": today}
        elif today >= remind_on(policy, told_on=reminded_on or told_on,
                                calendar=loaded.context.calendar):
            kind, values = "extension_reminder", {"reminded_on": today}
        else:
            continue
        session.execute(update(e).where(e.id == rid).values(**values))
        note = _note(loaded, kind, instance=(iid, plan_id, task, lead, period),
                     dates=(previous, asked), reason=reason, request_id=rid)
        found += [(plan_id, approver, note) for approver in policy.approvers]
    return found


def _outcomes(session: Session, plans: Mapping[str, SweptPlan], *,
              sweep_id: int) -> list[Addressed]:
    """Outcomes not yet told, to the lead, marked as told by this sweep."""
    n, i = ReviewNoticeRow, InstanceRow
    rows = session.execute(
        select(n.id, n.plan_id, n.agency_id, n.instance_id, n.kind, n.reason, n.previous_due,
               n.due_on, i.task_id, i.period)
        .join(i, i.id == n.instance_id)
        .where(n.plan_id.in_(list(plans)), n.sweep_id.is_(None)).order_by(n.id)).all()
    if not rows:
        return []
    session.execute(update(n).where(n.id.in_([r[0] for r in rows])).values(sweep_id=sweep_id))
    return [(plan_id, lead, _note(plans[plan_id], kind, instance=(iid, plan_id, task, lead, period),
                                  dates=(previous, granted), reason=reason, request_id=None))
            for _, plan_id, lead, iid, kind, reason, previous, granted, task, period in rows]


def _note(loaded: SweptPlan, kind: str, *, instance: tuple[str, str, str, str, str],
          dates: tuple[dt.date | None, dt.date | None], reason: str | None,
          request_id: int | None) -> ReviewNote:
    """A note on `instance` (id, plan, task, lead, period), its lead named by its id until
    add_review_notes names it."""
    iid, plan_id, task, lead, period = instance
    due, new_due = dates
    title, _ = loaded.titles.get(task, (task, None))
    return ReviewNote(kind, iid, plan_id, task, title, lead, lead, period, due, new_due,
                      reason, request_id)
