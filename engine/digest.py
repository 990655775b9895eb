"""Digests: one notice per recipient per sweep, its instances grouped by level and plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from engine.escalation import Escalation


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
        """Vietnamese labels of the levels listed, the gravest first."""
        return list(dict.fromkeys(s.level_label for s in self.sections()))

    def to_json(self) -> dict[str, Any]:
        # Written out by hand: dataclasses.asdict deep-copies, which costs seconds for the
        # 10^5 items of a national plan's first sweep.
        return {"recipient": _party_json(self.recipient), "as_of": self.as_of.isoformat(),
                "plans": [{"id": p.id, "number": p.number, "title": p.title,
                           "monitor": _party_json(p.monitor)} for p in self.plans],
                "items": [_item_json(i) for i in self.items],
                "cc": [_party_json(p) for p in self.cc]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Digest:
        return cls(
            recipient=_party(data["recipient"]), as_of=dt.date.fromisoformat(data["as_of"]),
            plans=tuple(PlanInfo(**{**p, "monitor": _party(p["monitor"])})
                        for p in data["plans"]),
            items=tuple(_item(i) for i in data["items"]),
            cc=tuple(_party(p) for p in data["cc"]))


@dataclass
class _Draft:
    recipient: Party
    items: list[DigestItem] = field(default_factory=list)
    cc: dict[str, Party] = field(default_factory=dict)
    cc_why: dict[str, dict[str, None]] = field(default_factory=dict)


def build_digests(notices: Iterable[tuple[Escalation, DigestItem]], *,
                  parties: Mapping[str, Party], plans: Mapping[str, PlanInfo],
                  as_of: dt.date) -> list[Digest]:
    """Route each notified escalation to its `to` agencies: one digest per recipient.

    Args:
        notices: escalations to notify, each with the item that describes it.
        parties: agency id -> name and e-mails (the union over the plans swept).
        plans: plan id -> its number, title and monitor.
        as_of: the local date of the sweep.

    Returns:
        Digests ordered by recipient id. A recipient's cc are the agencies its items cc,
        except itself, each with the reasons (and levels) it is cc'd for.
    """
    drafts: dict[str, _Draft] = {}
    for escalation, item in notices:
        for agency in escalation.to:
            draft = drafts.setdefault(agency, _Draft(_party_of(parties, agency)))
            draft.items.append(item)
            for cc_agency, why in escalation.cc:
                draft.cc.setdefault(cc_agency, _party_of(parties, cc_agency))
                draft.cc_why.setdefault(cc_agency, {})[f"{why} ({item.level_label})"] = None
    return [_finish(drafts[agency], plans=plans, as_of=as_of) for agency in sorted(drafts)]


def _finish(draft: _Draft, *, plans: Mapping[str, PlanInfo], as_of: dt.date) -> Digest:
    own = draft.recipient.agency
    cc = tuple(replace(party, reason="; ".join(draft.cc_why[agency]))
               for agency, party in sorted(draft.cc.items()) if agency != own)
    plan_ids = sorted({i.plan for i in draft.items})
    return Digest(draft.recipient, as_of, tuple(plans[p] for p in plan_ids),
                  tuple(draft.items), cc)


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


_ITEM_FIELDS = tuple(f.name for f in fields(DigestItem))


def _item_json(item: DigestItem) -> dict[str, Any]:
    data = {name: getattr(item, name) for name in _ITEM_FIELDS}
    data["printed_due"] = item.printed_due.isoformat() if item.printed_due else None
    data["due_date"] = item.due_date.isoformat()
    return data
