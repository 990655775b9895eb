"""Text exports in the shapes tools produce: pipe and Markdown tables, and tables flattened
to one cell per line. Pure: text in, tab-separated lines or grids out."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.core.due_phrases import parse_due
from engine.core.errors import DuePhraseError
from engine.importer.table import TABLE_END, TaskTable, map_header, role_of, tables_from_rows
from engine.importer.text import one_line

_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_NUMBER = re.compile(r"^\d{1,3}[.)]?$")
_COLUMN_NUMBER = re.compile(r"^\(\d{1,2}\)$")
_SECTION = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]\s+\S|^(?:Giai đoạn|GIAI ĐOẠN|Phần|PHẦN|Nhóm)\s")


def pipes_to_tabs(text: str) -> str:
    """Pipe-separated and Markdown table lines as tab-separated lines, line for line (a
    Markdown rule line "|---|---|" becomes blank); other lines are kept."""
    out = []
    for line in text.splitlines():
        bare = line.strip()
        if bare.count("|") < 2 or "\t" in bare:
            out.append(line)
        elif _RULE.match(bare):
            out.append("")
        else:
            cells = bare.replace("\\|", "\x00").removeprefix("|").removesuffix("|").split("|")
            out.append("\t".join(c.strip().replace("\x00", "|") for c in cells))
    return "\n".join(out)


def find_flattened_tables(text: str) -> list[TaskTable]:
    """Task tables whose cells stand one per line: a header of short cells naming the
    columns, then rows that each start with their number."""
    lines = [line.strip() for line in text.splitlines()]
    tables: list[TaskTable] = []
    i = 0
    while i < len(lines):
        width = _header_width(lines, i)
        if width == 0:
            i += 1
            continue
        columns = map_header(lines[i:i + width]) or ()
        grid, end = _rows(lines, i + width, columns=columns)
        where = f"line {i + 1}"
        table = tables_from_rows([lines[i:i + width], *grid], caption=_caption(lines, i),
                                 where=where)
        if table is not None and table.rows:
            tables.append(table)
        i = max(end, i + width)
    return tables


def _caption(lines: Sequence[str], i: int) -> str:
    return " / ".join(line for line in lines[max(0, i - 8):i] if line)


def _header_width(lines: Sequence[str], i: int) -> int:
    """How many lines from i form a table header (0 if none)."""
    k = i
    while k < len(lines) and lines[k] and len(lines[k]) <= 60 and role_of(lines[k]) != "other" \
            and not _NUMBER.match(lines[k]) and not _SECTION.match(lines[k]):
        k += 1
    if k - i >= 3 and map_header(lines[i:k]) is not None:
        return k - i
    return 0


def _rows(lines: Sequence[str], start: int, *, columns: Sequence[str]
          ) -> tuple[list[list[str]], int]:
    grid: list[list[str]] = []
    width = len(columns)
    numbers = [line for line in lines[start:start + width] if _COLUMN_NUMBER.match(line)]
    k = start + len(numbers)
    if numbers:
        grid.append(numbers)
    current: list[str] | None = None
    while k < len(lines) and not TABLE_END.match(lines[k]):
        line = lines[k]
        if _NUMBER.match(line):
            _close(grid, current, columns=columns)
            current = [line]
        elif _SECTION.match(line) and len(line) < 160:
            _close(grid, current, columns=columns)
            current = None
            grid.append([line])
        elif not line and current is not None and len(current) >= len(columns):
            break  # a blank line after a complete row: the text after the table follows
        elif line and current is not None:
            current.append(line)
        elif line and map_header([line]) is None and grid:
            break
        k += 1
    _close(grid, current, columns=columns)
    return grid, k


def _close(grid: list[list[str]], row: list[str] | None, *, columns: Sequence[str]) -> None:
    if row is not None:
        grid.append([row[0], *_allocate(row[1:], columns[1:])])


def _allocate(cells: Sequence[str], roles: Sequence[str]) -> list[str]:
    """Lines of one row spread over its columns (number excluded): extra lines belong to
    the task text (a wrapped cell); with too few, the deadline line anchors the columns
    after the title and lead."""
    width = len(roles)
    if len(cells) == width:
        return list(cells)
    if len(cells) > width:
        extra = len(cells) - width + 1
        return [" ".join(cells[:extra]), *cells[extra:]]
    due = next((k for k in range(len(cells) - 1, 0, -1) if _is_deadline(cells[k])), None)
    if due is None or "due" not in roles:
        return [*cells, *[""] * (width - len(cells))]
    at = list(roles).index("due")
    before, after = list(cells[:due])[:at], list(cells[due:])[:width - at]
    return [*before, *[""] * (at - len(before)), *after, *[""] * (width - at - len(after))]


def _is_deadline(cell: str) -> bool:
    try:
        parse_due(one_line(cell), year=2000)
    except DuePhraseError:
        return False
    return True


def find_tables_in_export(text: str) -> list[TaskTable]:
    """Task tables of a text export in any shape: tab-, pipe- or Markdown-separated rows,
    or, when there are none, one cell per line."""
    from engine.importer.table import find_tables_in_text

    return find_tables_in_text(pipes_to_tabs(text)) or find_flattened_tables(text)
