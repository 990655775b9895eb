"""Report figures of completion review and deadline extensions: how many instances of a
reporting window were extended ("được gia hạn") and by whom, how many completions were
returned. engine.store.review re-exports them (its callers import them from there).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.review import APPROVED, REFUSED, REQUESTED
from engine.store.events import NotFoundError
from engine.store.metrics import end_of_window, window, window_filter
from engine.store.tables import EventRow, InstanceRow, PlanRow
from engine.store.tables_review import ExtensionRow


@dataclass
class ExtensionFigures:
    """Extensions of one plan's instances in a reporting window, as of a moment.

    `extended`: instances with at least one approved extension ("được gia hạn");
    `by_approver`: the same instances by who approved their latest extension (an agency
    id, or "operator:<token>"); `by_agency`: by lead; `requests`, `approved`, `refused`,
    `pending`: the requests themselves, by their state as of the moment.
    """

    extended: int = 0
    requests: int = 0
    approved: int = 0
    refused: int = 0
    pending: int = 0
    by_approver: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)


@dataclass
class ReturnedFigures:
    """Returned completions of one plan's instances in a reporting window, as of a moment.

    `returns`: completions returned (one instance may be returned twice); `instances`:
    instances returned at least once; `open_after_return`: of those, the ones not
    reported done again by the moment; `by_agency`: returns by lead.
    """

    returns: int = 0
    instances: int = 0
    open_after_return: int = 0
    by_agency: dict[str, int] = field(default_factory=dict)


def extension_figures(session: Session, *, plan: str, period: str,
                      as_of: dt.datetime | None = None) -> ExtensionFigures:
    """The extension figures of `plan` in the window `period` ("2024-Q1", "2024"...),
    scoped as engine.store.metrics.rollup scopes its figures (by printed deadline), as of
    `as_of` (default the window's end)."""
    win, as_of, sqlite = _window_of(session, plan, period, as_of)
    e, c = ExtensionRow, InstanceRow
    rows = session.execute(
        select(e.instance_id, e.agency_id, e.state, e.requested_at, e.decided_at, e.decided_by)
        .join(c, c.id == e.instance_id)
        .where(e.plan_id == plan, e.requested_at <= as_of, window_filter(win, sqlite=sqlite))
        .order_by(e.id)).all()
    figures = ExtensionFigures()
    latest: dict[str, tuple[str, str]] = {}
    for iid, agency, state, _, decided_at, decided_by in rows:
        decided = decided_at is not None and decided_at <= as_of
        shown = state if decided else REQUESTED
        figures.requests += 1
        figures.approved += shown == APPROVED
        figures.refused += shown == REFUSED
        figures.pending += shown == REQUESTED
        if shown == APPROVED:
            latest[iid] = (str(decided_by), agency)
    figures.extended = len(latest)
    figures.by_approver = dict(Counter(who for who, _ in latest.values()))
    figures.by_agency = dict(Counter(agency for _, agency in latest.values()))
    return figures


def returned_figures(session: Session, *, plan: str, period: str,
                     as_of: dt.datetime | None = None) -> ReturnedFigures:
    """The returned-completion figures of `plan` in the window `period`, scoped and timed
    as extension_figures."""
    win, as_of, sqlite = _window_of(session, plan, period, as_of)
    v, c = EventRow, InstanceRow
    rows = session.execute(
        select(v.instance_id, c.agency_id, v.kind, v.at).join(c, c.id == v.instance_id)
        .where(v.plan_id == plan, v.at <= as_of, window_filter(win, sqlite=sqlite),
               v.kind.in_(("returned", "completed", "progress", "reopened")))
        .order_by(v.id)).all()
    figures = ReturnedFigures()
    by_agency: Counter[str] = Counter()
    still_open: dict[str, bool] = {}
    for iid, agency, kind, _ in rows:
        if kind == "returned":
            figures.returns += 1
            by_agency[agency] += 1
            still_open[iid] = True
        elif iid in still_open and kind in ("completed", "progress"):
            still_open[iid] = False
    figures.instances = len(still_open)
    figures.open_after_return = sum(still_open.values())
    figures.by_agency = dict(by_agency)
    return figures


def _window_of(session: Session, plan: str, period: str, as_of: dt.datetime | None,
               ) -> tuple[Any, dt.datetime, bool]:
    row = session.get(PlanRow, plan)
    if row is None:
        raise NotFoundError("plan", plan)
    win = window(row.year, period)
    moment = as_of or end_of_window(win, ZoneInfo(row.timezone))
    return win, moment, session.get_bind().dialect.name == "sqlite"
