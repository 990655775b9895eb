"""Names of one body printed two ways in a plan: a drafted name that is the start of a
longer one the plan prints too ("Văn phòng Ban Chỉ huy" beside "Ban Chỉ huy Phòng thủ dân
sự tỉnh") reads as a short form, worth a `# CHECK:` on every field naming it. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from engine.importer.agencies import AGENCY_HEAD, ProposedAgency, central_vocabulary
from engine.importer.draft import DraftTask
from engine.importer.text import fold_name

_ROLES = ("lead", "coordinators", "media")


def short_forms(proposed: Sequence[ProposedAgency]) -> dict[str, str]:
    """Why each drafted name looks cut short (id -> reason): it, or its part from a later
    word on, is the start of another name of the plan, longer; or why it looks too long:
    another name of the plan, of three words or more, is its start."""
    known = central_vocabulary().bodies
    words = {p.id: fold_name(p.name).split() for p in proposed}
    out: dict[str, str] = {}
    for p in proposed:
        if p.id in known:
            continue
        own = words[p.id]
        for q in proposed:
            longer = words[q.id]
            if q.id == p.id or len(longer) <= 2 or not AGENCY_HEAD.match(q.name):
                continue  # a name without a body's head word is no longer form of one
            if any(len(own) - k >= 2 and len(longer) > len(own) - k
                   and longer[:len(own) - k] == own[k:] for k in range(len(own))):
                out[p.id] = (f"{p.name!r} may be a short form: the plan also names "
                             f"{q.name!r}; write the body's full name")
                break
            if len(own) > len(longer) and own[:len(longer)] == longer and q.id not in known:
                out[p.id] = (f"{p.name!r} may hold words beyond the name: the plan also "
                             f"names {q.name!r}; one body? Write one name for both")
                break
    return out


def flag_short_forms(tasks: Sequence[DraftTask], proposed: Sequence[ProposedAgency]) -> None:
    """Mark every field that names a body by what looks like a short form of its name."""
    reasons = short_forms(proposed)
    for task in tasks:
        for role in _ROLES:
            for ref in getattr(task, role):
                if ref in reasons:
                    task.doubt(role, reasons[ref])
