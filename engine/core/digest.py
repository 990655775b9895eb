"""Digests: one notice per recipient per sweep, its instances grouped by level and plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Party:
    """An agency as a mail addresses it, and why it receives the mail."""

    agency: str
    name: str
    emails: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlanInfo:
    """The plan a digest section is about, and whom to contact about it."""

    id: str
    number: str
    title: str
    monitor: Party


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One instance at one level, with everything a mail says about it."""

    instance_id: str
    plan: str
    task: str
    task_title: str
    agency: str                    # the lead
    agency_name: str
    period: str
    printed_due: dt.date | None
    due_date: dt.date
    level: str
    level_label: str
    level_offset: int
    days_late: int                 # working days; negative: before due
    target: int | None = None
    progress: int = 0
    unit: str | None = None


# What a review note tells its recipient (engine.core.review), in Vietnamese.
NOTE_LABELS_VI = {
    "extension_requested": "Đề nghị gia hạn chờ quyết định",
    "extension_reminder": "Nhắc lại: đề nghị gia hạn chưa được trả lời",
    "completion_returned": "Báo cáo hoàn thành bị trả lại",
    "extension_approved": "Đề nghị gia hạn được chấp thuận",
    "extension_refused": "Đề nghị gia hạn không được chấp thuận",
}


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """One review or extension step a digest tells of: a request awaiting its approver
    (told, then reminded), or an outcome for the lead (returned, approved, refused)."""

    kind: str                      # a key of NOTE_LABELS_VI
    instance_id: str
    plan: str
    task: str
    task_title: str
    agency: str                    # the lead
    agency_name: str
    period: str
    due_date: dt.date | None       # the due before the step (in force when asked)
    new_due: dt.date | None        # asked, or granted
    reason: str | None
    request_id: int | None = None

    @property
    def label(self) -> str:
        return NOTE_LABELS_VI.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class Section:
    """The items of one level of one plan, as a digest lists them."""

    level: str
    level_label: str
    plan: PlanInfo
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one recipient is told by one sweep."""

    recipient: Party
    as_of: dt.date
    plans: tuple[PlanInfo, ...]
    items: tuple[DigestItem, ...]
    cc: tuple[Party, ...] = ()
    notes: tuple[ReviewNote, ...] = ()

    def sections(self) -> list[Section]:
        """Items grouped by level (the gravest first), then by plan, then by due date."""
        plans = {p.id: p for p in self.plans}
        keys = sorted({(i.level_offset, i.level, i.level_label, i.plan) for i in self.items},
                      key=lambda k: (-k[0], k[3]))
        return [Section(level, label, plans[plan], tuple(sorted(
                    (i for i in self.items if i.level == level and i.plan == plan),
                    key=lambda i: (i.due_date, i.task, i.agency, i.period))))
                for _, level, label, plan in keys]

    def levels(self) -> list[str]:
        """Vietnamese labels of the levels listed, the gravest first (as sections() orders).

        Every queued digest's subject needs this; the sections themselves (every item
        sorted) are only needed to render the mail.
        """
        if len(self.items) == 1 and not self.notes:  # most digests: nothing to sort
            return [self.items[0].level_label]
        keys = sorted({(i.level_offset, i.level, i.level_label, i.plan) for i in self.items},
                      key=lambda k: (-k[0], k[3]))
        return list(dict.fromkeys([*(label for _, _, label, _ in keys),
                                   *(n.label for n in self.notes)]))

    def to_json(self) -> dict[str, Any]:
        # Written out by hand: dataclasses.asdict deep-copies, which costs seconds for the
        # 10^5 items of a national plan's first sweep.
        return {"recipient": _party_json(self.recipient), "as_of": self.as_of.isoformat(),
                "plans": [{"id": p.id, "number": p.number, "title": p.title,
                           "monitor": _party_json(p.monitor)} for p in self.plans],
                "items": [_item_json(i) for i in self.items],
                "cc": [_party_json(p) for p in self.cc],
                "notes": [_note_json(n) for n in self.notes]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Digest:
        return cls(
            recipient=_party(data["recipient"]), as_of=dt.date.fromisoformat(data["as_of"]),
            plans=tuple(PlanInfo(**{**p, "monitor": _party(p["monitor"])})
                        for p in data["plans"]),
            items=tuple(_item(i) for i in data["items"]),
            cc=tuple(_party(p) for p in data["cc"]),
            notes=tuple(_note(n) for n in data.get("notes", ())))


class Notice(NamedTuple):
    """One escalation to notify: who hears of it (as Escalation.to and .cc) and the item."""

    to: tuple[str, ...]
    cc: tuple[tuple[str, str], ...]  # (agency id, why it is cc'd)
    item: DigestItem


class _Draft:
    """One recipient's digest while the notices are routed."""

    __slots__ = ("cc", "items", "noted", "recipient")

    def __init__(self, recipient: Party) -> None:
        self.recipient = recipient
        self.items: list[DigestItem] = []
        self.cc: dict[str, dict[str, None]] = {}  # cc'd agency -> its reasons, in order
        # (cc list, level label) pairs already noted: a national digest lists 10^4 items
        # that share a handful of them, and each would otherwise format a reason per agency.
        self.noted: set[tuple[tuple[tuple[str, str], ...], str]] = set()


def build_digests(notices: Iterable[Notice], *,
                  parties: Mapping[str, Party], plans: Mapping[str, PlanInfo],
                  as_of: dt.date) -> list[Digest]:
    """Route each notified escalation to its `to` agencies: one digest per recipient.

    Recipients are keyed by agency id, which is unique only within one agency directory:
    `notices` and `parties` must come from plans of one directory (engine.sweep.run builds
    each directory's digests apart).

    Args:
        notices: escalations to notify (whom each tells), each with the item describing it.
        parties: agency id -> name and e-mails (the union over the directory's plans).
        plans: plan id -> its number, title and monitor.
        as_of: the local date of the sweep.

    Returns:
        Digests ordered by recipient id. A recipient's cc are the agencies its items cc,
        except itself, each with the reasons (and levels) it is cc'd for.
    """
    drafts: dict[str, _Draft] = {}
    for to, cc, item in notices:
        for agency in to:
            draft = drafts.get(agency)
            if draft is None:
                draft = drafts[agency] = _Draft(_party_of(parties, agency))
            draft.items.append(item)
            if cc and (cc, item.level_label) not in draft.noted:
                draft.noted.add((cc, item.level_label))
                for cc_agency, why in cc:
                    draft.cc.setdefault(cc_agency, {})[f"{why} ({item.level_label})"] = None
    finish = _Finisher(parties, plans, as_of)
    return [finish(drafts[agency]) for agency in sorted(drafts)]


class _Finisher:
    """Drafts into digests, sharing the equal parts (a cc'd party with its reasons, a list
    of plans) between them: most of a sweep's digests cc the same agency for the same
    reason and list the same plan."""

    def __init__(self, parties: Mapping[str, Party], plans: Mapping[str, PlanInfo],
                 as_of: dt.date) -> None:
        self.parties, self.plans, self.as_of = parties, plans, as_of
        self._cc: dict[tuple[str, tuple[str, ...]], Party] = {}
        self._plans: dict[tuple[str, ...], tuple[PlanInfo, ...]] = {}

    def __call__(self, draft: _Draft) -> Digest:
        own = draft.recipient.agency
        cc = tuple(self._cc_party(agency, tuple(why))
                   for agency, why in sorted(draft.cc.items()) if agency != own)
        plan_ids = tuple(sorted({i.plan for i in draft.items}))
        plans = self._plans.get(plan_ids)
        if plans is None:
            plans = self._plans[plan_ids] = tuple(self.plans[p] for p in plan_ids)
        return Digest(draft.recipient, self.as_of, plans, tuple(draft.items), cc)

    def _cc_party(self, agency: str, why: tuple[str, ...]) -> Party:
        party = self._cc.get((agency, why))
        if party is None:
            found = _party_of(self.parties, agency)
            party = self._cc[(agency, why)] = Party(found.agency, found.name, found.emails,
                                                    "; ".join(why))
        return party


def _party_of(parties: Mapping[str, Party], agency: str) -> Party:
    return parties.get(agency) or Party(agency, agency)


def _party(data: Mapping[str, Any]) -> Party:
    return Party(data["agency"], data["name"], tuple(data["emails"]), data["reason"])


def _item(data: Mapping[str, Any]) -> DigestItem:
    printed = data["printed_due"]
    return DigestItem(**{**data, "printed_due": dt.date.fromisoformat(printed) if printed else None,
                         "due_date": dt.date.fromisoformat(data["due_date"])})


def _party_json(party: Party) -> dict[str, Any]:
    return {"agency": party.agency, "name": party.name, "emails": list(party.emails),
            "reason": party.reason}


def _item_json(item: DigestItem) -> dict[str, Any]:
    # Every field in declaration order (tests/test_digest.py checks it against fields()):
    # a literal is several times faster than getattr over the field names, for 10^5 items.
    return {"instance_id": item.instance_id, "plan": item.plan, "task": item.task,
            "task_title": item.task_title, "agency": item.agency,
            "agency_name": item.agency_name, "period": item.period,
            "printed_due": item.printed_due.isoformat() if item.printed_due else None,
            "due_date": item.due_date.isoformat(), "level": item.level,
            "level_label": item.level_label, "level_offset": item.level_offset,
            "days_late": item.days_late, "target": item.target, "progress": item.progress,
            "unit": item.unit}


def _note_json(note: ReviewNote) -> dict[str, Any]:
    return {"kind": note.kind, "instance_id": note.instance_id, "plan": note.plan,
            "task": note.task, "task_title": note.task_title, "agency": note.agency,
            "agency_name": note.agency_name, "period": note.period,
            "due_date": note.due_date.isoformat() if note.due_date else None,
            "new_due": note.new_due.isoformat() if note.new_due else None,
            "reason": note.reason, "request_id": note.request_id}


def _note(data: Mapping[str, Any]) -> ReviewNote:
    days = {k: dt.date.fromisoformat(data[k]) if data[k] else None
            for k in ("due_date", "new_due")}
    return ReviewNote(**{**data, **days})
