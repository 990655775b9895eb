"""Import a plan document's task tables into a draft spec; roll a spec over to a new year."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.core.spec import Directory
from engine.importer.abbreviations import expand_abbreviations, flag_abbreviations
from engine.importer.agencies import Vocabulary
from engine.importer.central import ASK_UNLESS_PRINTED, NAMED_WITHOUT
from engine.importer.draft import Draft, ImportContext, collect_proposals, draft_tasks
from engine.importer.header import read_header
from engine.importer.near_names import flag_short_forms
from engine.importer.table import TaskTable, find_tables_in_text
from engine.importer.text import fold_name

__all__ = ["Draft", "build_draft", "find_tables_in_text"]


def build_draft(tables: Sequence[TaskTable], *, text: str, directory: Directory,
                directory_ref: str, year: int | None = None, drafted: bool = False,
                unread: Sequence[str] = ()) -> Draft:
    """A draft spec from a document's task tables.

    Args:
        tables: the task tables found in the document.
        text: the document's text, for the plan header (number, title, year, monitor).
        directory: the agency directory to match names against.
        directory_ref: the directory as the spec names it (relative to the draft file).
        year: the plan year; read from the document when None.
        drafted: whether `directory` was drafted from the document itself (its names are
            then all new, and only guesses about them are flagged).
        unread: regions of the document that look like table rows but were read into no
            table (engine.importer.unread): each is a `# CHECK:` at the top of the draft.

    Returns:
        The draft; `Draft.to_yaml()` writes it with a comment on every uncertain field.
    """
    header = read_header(text, directory=directory, directory_ref=directory_ref, year=year)
    settled = _unprinted(text, tables)
    context = ImportContext(year=int(header.data["year"]), vocab=Vocabulary.of(directory),
                            drafted=drafted, settled=settled)
    tasks = draft_tasks(tables, context=context)
    skipped = [note for table in tables for note in table.skipped]
    proposed = [replace(p, name=NAMED_WITHOUT[p.id]) if p.id in settled else p
                for p in collect_proposals(tasks)]
    proposed, abbreviated = expand_abbreviations(proposed, text)
    flag_abbreviations(tasks, abbreviated)
    if drafted:
        flag_short_forms(tasks, proposed)
    monitor = context.vocab.proposal(str(header.data["monitor"]))
    if monitor is not None and monitor.id not in {p.id for p in proposed}:
        proposed.append(monitor)  # named only as the monitor: it must be in the directory too
    return Draft(header.data, tasks, header.doubts, proposed, skipped, drafted=drafted,
                 unread=list(unread))


def _unprinted(text: str, tables: Sequence[TaskTable]) -> frozenset[str]:
    """The bodies whose usual name has a word the plan prints nowhere (its text and its
    tables): it names them without it."""
    cells = " ".join(c for t in tables for r in t.rows for c in r.cells.values())
    folded = fold_name(f"{text} {cells}")
    return frozenset(ref for ref, (word, _) in ASK_UNLESS_PRINTED.items()
                     if ref in NAMED_WITHOUT and word not in folded)
