"""Task tables of a text export that kept its tables as HTML (<table>, <tr>, <th>, <td>):
converters from PDF to Markdown leave them so. Each table is a grid of cell texts; a page
break starts a new <table> whose header is a placeholder ("Col1", "Col2"...) or missing,
and its rows are read under the header of the table before. Pure (html.parser only)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from engine.importer.table import TaskTable, map_header, tables_from_rows
from engine.importer.text import strip_markup

_BOLD = re.compile(r"\*{1,3}([^*]*)\*{1,3}")
_BULLET = re.compile(r"^[-+•]\s")
_PLACEHOLDER = re.compile(r"^(?:col(?:umn)?\s*\d{1,2})?$", re.I)


@dataclass
class _Grid:
    line: int  # where the <table> starts (1-based)
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # where each row starts


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.grids: list[_Grid] = []
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag == "table":
            self.grids.append(_Grid(line))
        elif tag == "tr" and self.grids:
            self.grids[-1].rows.append([])
            self.grids[-1].lines.append(line)
        elif tag in ("td", "th") and self.grids and self.grids[-1].rows:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() else 1
        elif tag in ("br", "p", "li") and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = _cell_text(strip_markup(_BOLD.sub(r"\1", "".join(self._cell))))
            self.grids[-1].rows[-1] += [text] + [""] * (self._span - 1)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def has_html_tables(text: str) -> bool:
    """Whether the text holds HTML table rows."""
    return "<table" in text.lower() and "<td" in text.lower()


def find_html_tables(text: str) -> list[TaskTable]:
    """The task tables of the text's HTML tables; a table without a header of its own
    right after one with a header of as many columns continues it."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    tables: list[TaskTable] = []
    header: tuple[list[str], int] | None = None
    for grid in reader.grids:
        rows = [_merged_across(row) for row in grid.rows]
        places = [f"line {n}" for n in grid.lines]
        own = next((k for k, row in enumerate(rows[:3]) if map_header(row) is not None), None)
        if own is not None:
            header = (rows[own], grid.line)
        elif header is not None and rows and len(rows[0]) == len(header[0]):
            placeholder = all(_PLACEHOLDER.match(c) for c in rows[0][:2])
            rows = [header[0], *(rows[1:] if placeholder else rows)]
            places = [f"line {header[1]}", *(places[1:] if placeholder else places)]
        table = tables_from_rows(rows, caption="", where=f"line {grid.line}", places=places)
        if table is None or not table.rows:
            continue
        if own is None:
            note = (f"CHECK: line {grid.line}: a table without a header of its own, read "
                    f"under the header of the table at line {header[1] if header else '?'}")
            table = replace(table, skipped=(note, *table.skipped))
        tables.append(table)
    return tables


def _merged_across(row: list[str]) -> list[str]:
    """A cell merged across the row is exported as its text in each column: kept once."""
    filled = [c for c in row[1:] if c]
    if len(filled) >= 2 and len(set(filled)) == 1 and len(filled) == len(row) - 1:
        return [row[0], filled[0], *[""] * (len(row) - 2)]
    return row


def _cell_text(text: str) -> str:
    """A cell's lines: lines wrapped by the converter joined; a list item ("- Sở Y tế") or a
    line after one ending in ";" kept on its own."""
    out = ""
    for line in text.splitlines():
        if out and (_BULLET.match(line) or out.endswith(";")):
            out += "\n" + line
        else:
            out += (" " if out else "") + line
    return out
