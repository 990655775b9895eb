"""Regions of a text export that look like task-table rows but were read into no table, so
that no row is lost without a word (pure). A row looks like one when it starts with a row
number (a tab or pipe row, a cell between "|" lines, an HTML cell, a number on a line of
its own) and an agency name or a deadline phrase follows within a few lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.importer.agencies import AGENCY_HEAD
from engine.importer.table import TaskTable
from engine.importer.text import WHEN_WORDS as _WHEN

_NUMBER = r"\**\s*\d{1,3}(?:\.\d{1,2}){0,3}[.)]?\s*\**"
_HTML_CELL = re.compile(rf"^(?:<tr[^>]*>)?\s*<t[dh][^>]*>{_NUMBER}</t[dh]>", re.I)
_SEPARATED = re.compile(rf"^\|?\s*{_NUMBER}\s*(?:\t|\|)\s*\S")
_LONE = re.compile(rf"^{_NUMBER}$")
_PLACE = re.compile(r"\bline (\d+)")
_TAGS = re.compile(r"<[^>]{0,200}>|\*{1,3}")
_AHEAD = 12  # lines after a row number in which its agency or deadline cell should stand
_GAP = 80  # row numbers further apart than this are two regions


@dataclass(frozen=True)
class Unread:
    """Numbered rows between `first` and `last` (1-based lines) that no table took."""

    first: int
    last: int
    rows: int
    sample: str

    def note(self, *, any_table: bool) -> str:
        why = ("they stand outside every table read: no header row naming the task and its "
               "lead or deadline above them" if any_table else
               "no header row naming the task and its lead or deadline was found above them")
        return (f"lines {self.first}-{self.last}: {self.rows} numbered rows that look like "
                f"task-table rows (the first: {self.sample!r}) were not read as tasks; {why}. "
                "Add them by hand, or give the .docx or another export")


def unread_regions(text: str, tables: Sequence[TaskTable]) -> list[Unread]:
    """The regions of `text` holding row-like lines that none of `tables` covers."""
    lines = text.splitlines()
    spans = [_span(t) for t in tables]
    found = [n for n in range(len(lines)) if _row_like(lines, n)
             and not any(a <= n + 1 <= b for a, b in spans)]
    regions: list[list[int]] = []
    for n in found:
        crosses = regions and any(regions[-1][-1] + 1 < a <= n + 1 for a, _ in spans)
        if regions and n - regions[-1][-1] <= _GAP and not crosses:
            regions[-1].append(n)
        else:
            regions.append([n])
    return [Unread(r[0] + 1, r[-1] + 1, len(r), _sample(lines, r[0])) for r in regions
            if len(r) >= 2]


def _span(table: TaskTable) -> tuple[int, int]:
    places = [table.where, *(r.where for r in table.rows), *table.skipped]
    numbers = [int(m) for p in places for m in _PLACE.findall(p)]
    return (min(numbers), max(numbers)) if numbers else (0, -1)


def _row_like(lines: Sequence[str], n: int) -> bool:
    line = lines[n].strip()
    if _HTML_CELL.match(line) or _SEPARATED.match(line):
        return _has_cell(lines[n:n + _AHEAD])
    if _LONE.match(line) and n + 1 < len(lines):
        nxt = next((x.strip() for x in lines[n + 1:n + 4] if x.strip() not in ("", "|")), "")
        return len(_bare(nxt)) >= 10 and _has_cell(lines[n + 1:n + _AHEAD])
    return False


def _has_cell(window: Sequence[str]) -> bool:
    for raw in window:
        for part in re.split(r"\t|\|", _bare(raw)):
            if AGENCY_HEAD.match(part.strip()) or _WHEN.search(part):
                return True
    return False


def _bare(line: str) -> str:
    return _TAGS.sub(" ", line).strip()


def _sample(lines: Sequence[str], n: int) -> str:
    bare = " ".join(" ".join(_bare(x) for x in lines[n:n + 4] if _bare(x) not in ("", "|"))
                    .split())
    return bare[:60]
