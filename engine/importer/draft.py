"""Build a draft plan spec from task tables, noting every field the importer is unsure of."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from engine.importer.agencies import ProposedAgency, Vocabulary, read_agencies
from engine.importer.deadlines import read_deadline
from engine.importer.emit import comment_lines, render_mapping, render_sequence
from engine.importer.roles import split_roles
from engine.importer.table import EXTRA, Row, TaskTable
from engine.importer.targets import read_target
from engine.importer.text import ascii_fold, one_line, slugify

CARRIED_OVER = "Nhiệm vụ chuyển tiếp năm {year}"
_STOP_WORDS = {"cac", "cua", "va", "ve", "tren", "cho", "voi", "tai", "nhung", "mot", "so",
               "de", "trong", "theo", "duoc", "co", "la", "o", "tu", "den", "nham"}
TASK_FIELDS = ("title", "lead", "coordinators", "due", "target", "media", "result",
               "budget_million_vnd", "note")


@dataclass
class DraftTask:
    """One task of the draft and the doubts about its fields (field name -> reasons)."""

    id: str
    title: str
    lead: tuple[str, ...]
    due: str
    where: str
    coordinators: tuple[str, ...] = ()
    target: dict[str, Any] | None = None
    media: tuple[str, ...] = ()
    result: str | None = None
    budget_million_vnd: float | None = None
    note: str | None = None
    source: str | None = None
    doubts: dict[str, list[str]] = field(default_factory=dict)
    proposed: tuple[ProposedAgency, ...] = ()
    notes: dict[str, list[str]] = field(default_factory=dict)  # how a field was read, no doubt

    def doubt(self, name: str, reason: str) -> None:
        """Record why field `name` needs a look."""
        self.doubts.setdefault(name, []).append(reason)

    def fields(self) -> list[str]:
        """The fields this task sets (the summary counts them)."""
        return [f for f in TASK_FIELDS if getattr(self, f) not in (None, (), "")] + \
            [f for f in self.doubts if getattr(self, f, None) in (None, (), "")]

    def as_data(self) -> dict[str, Any]:
        """The task as spec data, in the order of the YAML."""
        data: dict[str, Any] = {"id": self.id, "title": self.title, "lead": list(self.lead)}
        if self.coordinators:
            data["coordinators"] = list(self.coordinators)
        data["due"] = self.due
        for name in ("target", "media", "result", "budget_million_vnd", "note", "source"):
            value = getattr(self, name)
            if value not in (None, ()):
                data[name] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass
class Draft:
    """A draft spec: header, tasks, agencies to add to the directory, skipped rows."""

    header: dict[str, Any]
    tasks: list[DraftTask]
    header_doubts: dict[str, list[str]] = field(default_factory=dict)
    proposed: list[ProposedAgency] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    drafted: bool = False  # the directory was drafted from the plan, not given
    unread: list[str] = field(default_factory=list)  # row-like regions no table took

    def counts(self) -> dict[str, int]:
        """What was read and what was flagged: tasks, distinct agencies, deadlines."""
        agencies: set[str] = set()
        flagged: set[str] = set()
        for t in self.tasks:
            for name in ("lead", "coordinators", "media"):
                refs = set(getattr(t, name))
                agencies |= refs
                flagged |= {r for r in refs for why in t.doubts.get(name, ()) if r in why}
        if not self.drafted:  # a drafted directory carries its own CHECK on each entry
            flagged |= {p.id for p in self.proposed}
        return {"tasks": len(self.tasks), "tasks_flagged": sum(bool(t.doubts) for t in self.tasks),
                "agencies": len(agencies), "agencies_flagged": len(flagged & agencies),
                "deadlines": sum(bool(t.due) for t in self.tasks),
                "deadlines_flagged": sum("due" in t.doubts for t in self.tasks)}

    def to_yaml(self, *, origin: str = "") -> str:
        """The draft as YAML text with `# CHECK:` comments over uncertain fields."""
        lines = [f"# Draft spec imported from {origin or 'a plan document'} by kehoach import.",
                 "# Lines marked CHECK were guessed: read the source row and fix or confirm."]
        lines += comment_lines(_summary_notes(self), 0)
        lines.append("plan:")
        lines += render_mapping(self.header, indent=2, comments=_checks(self.header_doubts))
        lines.append("tasks:")
        lines += render_sequence([t.as_data() for t in self.tasks], indent=2,
                                 comments=[_task_checks(t) for t in self.tasks])
        return "\n".join(lines) + "\n"


def _checks(doubts: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [f"CHECK: {r}" for r in reasons] for name, reasons in doubts.items()}


def _task_checks(task: DraftTask) -> dict[str, list[str]]:
    checks = _checks(task.doubts)
    for name, notes in task.notes.items():
        checks.setdefault(name, []).extend(notes)
    for name in list(checks):
        if name not in task.as_data():
            checks.setdefault("id", []).extend(f"{r} ({name})" for r in checks.pop(name))
    checks.setdefault("id", []).insert(0, f"from {task.where}")
    return checks


def _summary_notes(draft: Draft) -> list[str]:
    total = sum(len(t.fields()) for t in draft.tasks)
    doubtful = sum(len(t.doubts) for t in draft.tasks)
    notes = [f"{counted(len(draft.tasks), 'task')}, {counted(total, 'field')}: "
             f"{total - doubtful} certain, {doubtful} to check."]
    named = ", ".join(f"{p.id} ({p.name})" for p in draft.proposed)
    if draft.proposed and draft.drafted:
        notes.append(f"Agencies named in the plan, drafted into the directory with it: {named}")
    elif draft.proposed:
        notes.append(f"Agencies not in the directory (add them before validating): {named}")
    return notes + [f"CHECK: {u}" for u in draft.unread] + [
        s if s.startswith("CHECK: ") else f"skipped {s}" for s in draft.skipped]


def counted(n: int, noun: str) -> str:
    """ "1 deadline", "2 deadlines", "1 agency", "3 agencies"."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


@dataclass(frozen=True)
class ImportContext:
    """What reading rows needs: the plan year and the directory's names."""

    year: int
    vocab: Vocabulary
    drafted: bool = False  # the directory is drafted from the plan: new names are expected
    settled: frozenset[str] = frozenset()  # bodies named without a word the plan never prints


def draft_tasks(tables: Sequence[TaskTable], *, context: ImportContext) -> list[DraftTask]:
    """Draft tasks from every row of `tables`, with unique ids."""
    tasks: list[DraftTask] = []
    for n, table in enumerate(tables, start=1):
        label = _table_label(table)
        if label == "Bảng" and len(tables) > 1:
            label = f"Bảng {n}"
        for row in table.rows:
            tasks.extend(_tasks_of(row, label, context))
    _unique_ids(tasks)
    return tasks


def _table_label(table: TaskTable) -> str:
    for part in table.caption.split(" / "):
        if re.match(r"(?:phu luc|danh muc)", ascii_fold(part)):
            return part.strip().capitalize() if part.isupper() else part.strip()
    return "Bảng"


def _tasks_of(row: Row, label: str, context: ImportContext) -> list[DraftTask]:
    prefix = _section_prefix(row.section)
    ident = f"{prefix}-{_task_id(row.get('title'))}" if prefix else _task_id(row.get("title"))
    task = DraftTask(id=ident, title=one_line(row.get("title")),
                     lead=(), due="", where=row.where, source=_source(row, label))
    _read_agency_fields(task, row, context)
    _read_other_fields(task, row)
    for name in row.inherited:
        # A cell merged down over rows is most often meant for each, but not always (a
        # deadline for the group of rows, a lead named once for a block): worth a look.
        task.doubt(_FIELD_OF.get(name, name), "the cell is merged down from the row above: "
                   "taken from it" if name in row.spanned else
                   "blank cell: taken from the row above (a merged cell?)")
    for role in row.absorbed:
        task.doubt(_FIELD_OF.get(role, role), "the row has more cells than the header: the "
                   "extra ones were added to this column")
    for role, why in row.guessed:
        if role in ("title", "lead", "coordinators", "due", "result", "note", "media"):
            task.doubt(role, why)
    if row.continued:
        task.doubt("title", "the row continues after a page break: check the joined text")
    return _with_deadlines(task, row, context.year)


_FIELD_OF = {"budget": "budget_million_vnd"}


_SECTION_NUMBER = re.compile(r"^(?:(?P<stage>giai doan)\s+)?(?P<n>[ivxlc]+|[a-z]|\d{1,2})\b"
                             r"(?:[.):]|\s|$)")


def _section_prefix(section: str | None) -> str | None:
    """The id prefix of a section: "I. Xây dựng ..." -> "i", "Giai đoạn 2 (...)" -> "gd2",
    "A. CẢI CÁCH" -> "a"; None for a section without a number ("Nhóm nhiệm vụ ...")."""
    if not section:
        return None
    found = _SECTION_NUMBER.match(ascii_fold(section))
    if found is None:
        return None
    if found["stage"]:
        return f"gd{found['n']}"
    # An id starts with a letter (spec ids are read by people and sorted as words): a
    # numbered section "1. ..." is "muc1".
    return f"muc{found['n']}" if found["n"].isdigit() else found["n"]


def _source(row: Row, label: str) -> str:
    """Where the row is, as the reader of the printed plan finds it ("Bảng, dòng 3")."""
    line = f"dòng {row.number.rstrip('.')}" if row.number.strip() else "dòng không số"
    after = re.search(r"after row (\S+)", row.where)
    if not row.number.strip() and after:
        line += f" sau dòng {after[1]}"
    return f"{label}, {row.section}, {line}" if row.section else f"{label}, {line}"


def _task_id(title: str) -> str:
    words = [w for w in slugify(one_line(title), max_words=40).split("-")
             if w not in _STOP_WORDS]
    ident = "-".join(words[:5]) or "nhiem-vu"
    return f"nv-{ident}" if ident[0].isdigit() else ident  # "100% thủ tục..." -> nv-100-...


def _read_agency_fields(task: DraftTask, row: Row, context: ImportContext) -> None:
    vocab, drafted = context.vocab, context.drafted
    roles = split_roles(row.get("lead"))
    lead_text = roles.lead
    if roles.split:
        why = (f"the lead cell {one_line(row.get('lead'))!r} names coordinators too: read "
               f"as lead {one_line(roles.lead)!r}, coordinators {one_line(roles.coordinators)!r}")
        task.doubt("lead", why)
        task.doubt("coordinators", why)
        row = replace(row, cells={**row.cells, "lead": lead_text, "coordinators": "; ".join(
            c for c in (roles.coordinators, row.get("coordinators")) if c)})
    lead = read_agencies(lead_text, vocab)
    task.lead = lead.refs
    for reason in lead.doubts(drafted=drafted, settled=context.settled):
        task.doubt("lead", reason)
    if not task.lead:
        task.doubt("lead", "no lead agency in the row: fill it in")
    if row.get("coordinators"):
        coordinators = read_agencies(row.get("coordinators"), vocab)
        # A body that leads is not its own coordinator; a collective may be both (each
        # ministry leads its own part and works with the others on theirs).
        task.coordinators = tuple(r for r in coordinators.refs
                                  if r not in task.lead or vocab.collective(r))
        dropped = [r for r in coordinators.refs if r not in task.coordinators]
        if dropped:
            task.doubt("coordinators", f"{', '.join(dropped)} printed in the coordinators "
                       "cell too: left out, as the lead (add back if it coordinates as well)")
        for reason in coordinators.doubts(drafted=drafted, settled=context.settled):
            task.doubt("coordinators", reason)
    if row.get("media"):
        media = read_agencies(row.get("media"), vocab)
        task.media = media.refs
        for reason in media.doubts(drafted=drafted, settled=context.settled):
            task.doubt("media", reason)
    task.proposed = (*lead.proposed, *_proposed(row, "coordinators", vocab),
                     *_proposed(row, "media", vocab))


def _proposed(row: Row, role: str, vocab: Vocabulary) -> tuple[ProposedAgency, ...]:
    return read_agencies(row.get(role), vocab).proposed if row.get(role) else ()


def _read_other_fields(task: DraftTask, row: Row) -> None:
    guess = read_target(row.get("title"))
    if guess is not None:
        task.target = {"count": guess.count, "unit": guess.unit}
        if not guess.certain and guess.reason:
            task.doubt("target", guess.reason)
    task.result = one_line(row.get("result")) or None
    task.note = one_line(row.get("note")) or None
    _read_note(task)
    extras = [f"{label}: {text}" for label, text in _extras(row)]
    if extras:
        task.note = "; ".join([*extras, *([task.note] if task.note else [])])
    if row.get("budget"):
        _read_budget(task, one_line(row.get("budget")))


def _extras(row: Row) -> list[tuple[str, str]]:
    """Columns with no field of their own ("Cấp trình", "Lĩnh vực"), for the note."""
    found = []
    for role, text in row.cells.items():
        value = one_line(text)
        if value and role == "level":
            found.append(("Cấp trình", value))
        elif value and role.startswith(EXTRA):
            found.append((role.removeprefix(EXTRA), value))
    return found


def _read_note(task: DraftTask) -> None:
    if not task.note:
        return
    found = re.search(r"(\d{4})\s*$", task.note)
    if found:
        canonical = CARRIED_OVER.format(year=found[1])
        score = fuzz.ratio(task.note.lower(), canonical.lower())
        if 85 <= score < 100:
            task.doubt("note", f"reads like {canonical!r} (a misprint in the source?)")


def _read_budget(task: DraftTask, printed: str) -> None:
    # Vietnamese numbers group thousands with "." and mark decimals with ",".
    number = printed.replace(".", "").replace(" ", "").replace(",", ".")
    try:
        task.budget_million_vnd = float(number)
    except ValueError:
        task.doubt("budget_million_vnd", f"not a number: {printed!r} (left out)")


def _with_deadlines(task: DraftTask, row: Row, year: int) -> list[DraftTask]:
    deadline = read_deadline(row.get("due"), year=year)
    if deadline.reason and not deadline.certain:
        task.doubt("due", deadline.reason)
    elif deadline.reason:  # a sure reading that still changes the words: say so, no CHECK
        task.notes["due"] = [f"printed {deadline.printed!r}: {deadline.reason}"]
    if len(deadline.phrases) == 1:
        task.due = deadline.phrases[0]
        return [task]
    return [_milestone(task, k, phrase, deadline.printed)
            for k, phrase in enumerate(deadline.phrases, 1)]


def _milestone(task: DraftTask, k: int, phrase: str, printed: str) -> DraftTask:
    copy = DraftTask(**{**task.__dict__, "doubts": {n: list(r) for n, r in task.doubts.items()},
                        "notes": dict(task.notes)})
    copy.id, copy.due = f"{task.id}-{k}", phrase
    copy.doubt("id", f"milestone {k} of the cell {printed!r}")
    return copy


def _unique_ids(tasks: list[DraftTask]) -> None:
    counts = Counter(t.id for t in tasks)
    seen: Counter[str] = Counter()
    for task in tasks:
        if counts[task.id] > 1:
            seen[task.id] += 1
            task.id = f"{task.id}-{seen[task.id]}"


def collect_proposals(tasks: Sequence[DraftTask]) -> list[ProposedAgency]:
    """The agencies to add to the directory, once each, in order of first use."""
    found: dict[str, ProposedAgency] = {}
    for task in tasks:
        for proposal in task.proposed:
            found.setdefault(proposal.id, proposal)
    return list(found.values())


def proposals_yaml(proposed: Sequence[ProposedAgency]) -> str:
    """Directory entries for the proposed agencies, to paste under `agencies:`."""
    entries = [{"id": p.id, "name": p.name, "kind": p.kind, "emails": []} for p in proposed]
    notes = [{"id": [f"CHECK: named in the plan, not in the directory; kind {p.kind!r} "
                     "guessed from the name"]} for p in proposed]
    lines = ["# Agencies named in the plan that the directory does not know.",
             "# Check each name and kind, add e-mail addresses, then paste under agencies:."]
    return "\n".join(lines + render_sequence(entries, indent=0, comments=notes)) + "\n"
