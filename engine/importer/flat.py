"""Task tables flattened to one cell per line (a table copied out of a PDF or a Word file):
where each row and the table end, and which line is which column. Pure: text in, tables out.

Empty cells leave no line and a long cell may wrap onto two, so a row's lines do not always
match its columns; the deadline line, which the engine's deadline language recognises,
anchors the columns around it, and every guess is kept with the row for a `# CHECK:`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.core.due_phrases import parse_due
from engine.core.errors import DuePhraseError
from engine.importer.agencies import AGENCY_HEAD
from engine.importer.table import TABLE_END, TaskTable, map_header, role_of, tables_from_rows
from engine.importer.text import one_line

_NUMBER = re.compile(r"^\d{1,3}[.)]?$")
_COLUMN_NUMBER = re.compile(r"^\(\d{1,2}\)$")
_SECTION = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]\s+\S|^(?:Giai đoạn|GIAI ĐOẠN|Phần|PHẦN|Nhóm)\s")
_PAGE_NUMBER = re.compile(r"^[-–]\s*\d{1,3}\s*[-–]$|^(?:Trang|trang)\s+\d{1,3}$")
# A sentence of the text after the table ("Giao Sở Nội vụ theo dõi, đôn đốc."): no cell.
_PROSE = re.compile(r"^[A-ZĐÀ-Ỹ].*\S\s+\S+\s+\S+\s+\S+.*[.:]$")
Guess = tuple[str, str]  # (column role, why)


@dataclass
class _Row:
    start: int  # index of its first line
    lines: list[str] = field(default_factory=list)


def find_flattened_tables(text: str) -> list[TaskTable]:
    """Task tables whose cells stand one per line: a header of short cells naming the
    columns, then rows that each start with their number."""
    lines = [line.strip() for line in text.splitlines()]
    tables: list[TaskTable] = []
    i = 0
    while i < len(lines):
        header, width = _header(lines, i)
        if width == 0:
            i += 1
            continue
        columns = map_header(header) or ()
        grid, starts, guesses, end = _read_rows(lines, i + width, columns=columns)
        where = f"line {i + 1}"
        # A row is named by its first line, as an editor numbers lines.
        table = tables_from_rows([header, *grid], caption=_caption(lines, i),
                                 where=where, numbered=False,
                                 places=[where, *(f"line {k + 1}" for k in starts)],
                                 guesses=[(), *guesses])
        if table is not None and table.rows:
            tables.append(table)
        i = max(end, i + width)
    return tables


def _caption(lines: Sequence[str], i: int) -> str:
    return " / ".join(line for line in lines[max(0, i - 8):i] if line)


def _header(lines: Sequence[str], i: int) -> tuple[list[str], int]:
    """The header cells from line i and how many lines they take ([], 0 if none). A short
    lower-case line with no role of its own ends the header cell before it ("Thời gian
    hoàn" / "thành")."""
    cells: list[str] = []
    k = i
    while k < len(lines) and lines[k] and len(lines[k]) <= 60 \
            and not _NUMBER.match(lines[k]) and not _SECTION.match(lines[k]):
        if role_of(lines[k]) != "other":
            cells.append(lines[k])
        elif cells and len(lines[k]) <= 25 and lines[k][:1].islower():
            cells[-1] = f"{cells[-1]} {lines[k]}"
        else:
            break
        k += 1
    if len(cells) >= 3 and map_header(cells) is not None:
        return cells, k - i
    return [], 0


def _read_rows(lines: Sequence[str], start: int, *, columns: Sequence[str]
               ) -> tuple[list[list[str]], list[int], list[tuple[Guess, ...]], int]:
    """The grid of the rows from `start`, each row's first line, the guesses made in
    spreading each row over the columns, and the index where the table ends."""
    rows, end = _split_rows(lines, start, width=len(columns))
    grid: list[list[str]] = []
    guesses: list[tuple[Guess, ...]] = []
    for n, row in enumerate(rows):
        if not _NUMBER.match(row.lines[0]):
            grid.append(row.lines)  # a section or the column-number row
            guesses.append(())
            continue
        cells, guessed = allocate(row.lines[1:], columns[1:], last=n == len(rows) - 1)
        grid.append([row.lines[0], *cells])
        guesses.append(tuple(guessed))
    return grid, [r.start for r in rows], guesses, end


def _split_rows(lines: Sequence[str], start: int, *, width: int) -> tuple[list[_Row], int]:
    rows: list[_Row] = []
    numbers = [line for line in lines[start:start + width] if _COLUMN_NUMBER.match(line)]
    if numbers:
        rows.append(_Row(start, numbers))
    k = start + len(numbers)
    current: _Row | None = None
    while k < len(lines) and not TABLE_END.match(lines[k]):
        line = lines[k]
        if _NUMBER.match(line):
            current = _Row(k, [line])
            rows.append(current)
        elif _SECTION.match(line) and len(line) < 160:
            current = None
            rows.append(_Row(k, [line]))
        elif _PAGE_NUMBER.match(line) or (line and map_header([line]) is not None):
            pass  # a page number, or the header repeated on a new page
        elif not line:
            if current is not None and _ends_table(lines, k, current):
                break
        elif current is not None:
            current.lines.append(line)
        elif rows:
            break
        k += 1
    return rows, k


def _ends_table(lines: Sequence[str], k: int, row: _Row) -> bool:
    """Whether the blank line k ends the table: the row before it has a task text and more,
    and what follows is no row, section, page number or repeated header."""
    after = next((line for line in lines[k + 1:] if line), "")
    continues = bool(_NUMBER.match(after) or _SECTION.match(after) or _PAGE_NUMBER.match(after)
                     or (after and map_header([after]) is not None))
    return len(row.lines) >= 3 and not continues


def allocate(cells: Sequence[str], roles: Sequence[str], *, last: bool = False
             ) -> tuple[list[str], list[Guess]]:
    """Lines of one row (number excluded) spread over its columns, and the guesses made.

    The deadline line anchors the columns: lines before it are the task text and the
    agencies, lines after it the columns after the deadline. A wrapped task text is joined;
    in the table's last row, sentences after its last column are the text after the table.
    """
    width = len(roles)
    due = _deadline_line(cells)
    if due is None or "due" not in roles:
        return _without_anchor(list(cells), width, roles)
    at = list(roles).index("due")
    before, guesses = _before_deadline(list(cells[:due]), roles[:at])
    after = list(cells[due:])
    while last and len(after) > 1 and _PROSE.match(after[-1]):
        after.pop()  # the text after the table, run into its last row
    if len(after) > width - at:
        keep = width - at - 1
        after = [*after[:keep], " ".join(after[keep:])]
        guesses.append((roles[-1], f"{len(cells) - due} lines after the deadline for "
                        f"{width - at} columns: the last ones joined into this one"))
    return [*before, *after, *[""] * (width - at - len(after))], guesses


def _without_anchor(cells: list[str], width: int, roles: Sequence[str]
                    ) -> tuple[list[str], list[Guess]]:
    if len(cells) == width:
        return cells, []
    why = (f"one cell per line, {len(cells)} lines for {width} columns and no deadline line "
           "to anchor them: which line is which column was guessed")
    guessed = [(role, why) for role in roles if role in ("title", "lead", "coordinators", "due")]
    if len(cells) > width:
        extra = len(cells) - width + 1
        return [" ".join(cells[:extra]), *cells[extra:]], guessed
    return [*cells, *[""] * (width - len(cells))], guessed


def _before_deadline(cells: list[str], roles: Sequence[str]) -> tuple[list[str], list[Guess]]:
    """The task text and the agency columns before the deadline."""
    guesses: list[Guess] = []
    # A line that goes on with the one before (lower case, no agency's head word) is the
    # task text wrapped: no agency cell reads so.
    while len(cells) > 1 and _continues(cells[1]):
        cells[:2] = [f"{cells[0]} {cells[1]}"]
    if len(cells) > len(roles):
        extra = len(cells) - len(roles) + 1
        guesses.append(("title", f"{extra} lines joined into the task text (a wrapped cell?)"))
        cells = [" ".join(cells[:extra]), *cells[extra:]]
    elif 1 < len(cells) < len(roles):
        named = [r for r in roles[1:] if r in ("lead", "coordinators")]
        why = (f"{len(cells) - 1} agency line(s) for the columns {', '.join(named)}: read "
               "in column order, the last left blank")
        guesses += [(role, why) for role in named]
    return [*cells, *[""] * (len(roles) - len(cells))], guesses


def _continues(line: str) -> bool:
    return bool(line[:1].islower()) and not AGENCY_HEAD.match(line) and \
        not re.match(r"(?:các|những)\s", line)


def _deadline_line(cells: Sequence[str]) -> int | None:
    """The line of the deadline (not the first: that is the task text)."""
    return next((k for k in range(len(cells) - 1, 0, -1) if _is_deadline(cells[k])), None)


def _is_deadline(cell: str) -> bool:
    try:
        parse_due(one_line(cell), year=2000)
    except DuePhraseError:
        return False
    return True
