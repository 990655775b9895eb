"""Task tables exported with each cell between lines holding only "|" (the text export of
legal-document sites): a cell may take several lines, an empty cell leaves two bar lines
in a row, a row ends with a bar line of its own, header cells are in **bold**. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from engine.importer.agencies import AGENCY_HEAD
from engine.importer.table import TaskTable, map_header, role_of, tables_from_rows
from engine.importer.text import WHEN_WORDS as _WHEN
from engine.importer.text import strip_emphasis

_BAR = "|"
_MARKUP = re.compile(r"\*{1,3}([^*]*)\*{1,3}|\[\d{1,2}\]")
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,2})*[.)]?$")
_SECTION = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]?$")
_HEADING = re.compile(r"^\**(?:PHỤ LỤC|DANH MỤC|Phụ lục)\b")
_FILLER = re.compile(r"^[.…·_\-\s]+$")
_BULLET = re.compile(r"^[-+•]\s")


@dataclass
class _Segment:
    text: str
    line: int  # where it starts (0-based)


@dataclass
class _Row:
    cells: list[str] = field(default_factory=list)
    line: int = 0


def looks_barred(text: str) -> bool:
    """Whether the text holds a table in this shape (many lines of a lone "|")."""
    return sum(line.strip() == _BAR for line in text.splitlines()) >= 8


def find_barred_tables(text: str) -> list[TaskTable]:
    """The task tables of a text whose cells stand between lone "|" lines. A block whose
    header comes after section rows is read from its header; a block with no header of
    its own after a table (the table went on after a blank line) is read under that
    table's header, and says so."""
    lines = [line.strip() for line in text.splitlines()]
    tables: list[TaskTable] = []
    previous: _Header | None = None
    i = 0
    while i < len(lines):
        if lines[i] != _BAR:
            i += 1
            continue
        segments, end = _segments(lines, i)
        found = _header(segments) or (previous and _Header(previous.cells, previous.where, 0,
                                                           continued=True))
        cut = _next_header(segments, lines, found.at) if found is not None else None
        if cut is not None:  # another table's header in the block: it starts a block
            end = segments[cut].line - 1
            heading = bool(cut) and lines[segments[cut - 1].line].startswith("**")
            segments = segments[:cut - 1] if heading else segments[:cut]
        if found is not None:
            table = _table(found, segments, lines, i)
            if table is not None and table.rows:
                tables.append(table)
                previous = found if not found.continued else previous
        i = max(end, i + 1)
    return tables


def _next_header(segments: list[_Segment], lines: Sequence[str], after: int) -> int | None:
    """Where a bold header row of another table starts among the block's body segments,
    if one does (a table whose last row runs into the next one's heading and header)."""
    for j in range(after + 1, len(segments)):
        if not lines[segments[j].line].startswith("**") or len(segments[j].text) > 40:
            continue
        width = next((k for k in range(j, len(segments)) if not segments[k].text),
                     len(segments)) - j
        if width >= 3 and map_header([x.text for x in segments[j:j + width]]) is not None:
            return j
    return None


@dataclass
class _Header:
    cells: list[str]
    where: str  # "line N" of the header row
    at: int  # the first body segment
    before: list[_Segment] = field(default_factory=list)  # rows above it (section rows)
    continued: bool = False


def _header(segments: list[_Segment]) -> _Header | None:
    """The block's header row: the first run of cells (up to an empty segment) among its
    first few that names the columns, after section rows if any."""
    start = 0
    for _ in range(6):
        width = next((k for k in range(start, len(segments)) if not segments[k].text),
                     len(segments)) - start
        cells = [s.text for s in segments[start:start + width]]
        if width >= 3 and map_header(cells) is not None:
            body = segments[start + width + 1:]
            two_rows = _under_header(cells, body)
            used = width + 1
            if two_rows is not None:
                cells, n = two_rows
                used += n + 1
            return _Header(cells, f"line {segments[start].line}", start + used,
                           before=segments[:start])
        if width == 0 or start + width >= len(segments):
            return None
        start += width + 1
    return None


def _segments(lines: Sequence[str], start: int) -> tuple[list[_Segment], int]:
    """The cells between bar lines from `start`, up to the end of the barred block: the
    bar after which text follows once a row is complete is decided later; here a block
    ends at a blank line after a bar or at the end of the text."""
    segments: list[_Segment] = []
    k = start + 1
    body: list[str] = []
    first = k
    while k < len(lines):
        line = lines[k]
        if line == _BAR:
            segments.append(_Segment(_cell_text(body), first))
            body, first = [], k + 1
        elif (not line and not body) or (not body and _HEADING.match(line)):
            break  # the text after the table, or the heading of the next one
        else:
            body.append(line)
        k += 1
    return segments, k  # lines after the last bar are no cell: the text after the table


def _cell_text(lines: Sequence[str]) -> str:
    """A cell's lines: wrapped lines joined, a list item ("- Bộ Xây dựng;") kept on its own."""
    text = ""
    for line in lines:
        bare = strip_emphasis(_MARKUP.sub(lambda m: m.group(1) or "", line))
        if not bare or _FILLER.match(bare):  # a dotted line left where a rule was
            continue
        text += ("\n" if text and _BULLET.match(bare) else " " if text else "") + bare
    return text.strip()


def _table(found: _Header, segments: list[_Segment], lines: Sequence[str],
           start: int) -> TaskTable | None:
    header = list(found.cells)
    body = [*found.before, *segments[found.at:]]
    columns = map_header(header)
    if columns is None:
        return None
    if "number" not in columns and _numbered_beyond(body, len(header)):
        header, columns = ["TT", *header], ("number", *columns)  # its number cell was blank
    rows = _rows(body, len(header), due_last=bool(columns) and columns[-1] == "due")
    grid: list[list[str | None]] = [list(header)]
    places = [found.where if not found.continued else f"line {start + 1}"]
    for row in rows:
        grid.append(_aligned(row.cells, columns))
        places.append(f"line {row.line + 1}")
    caption = " / ".join(line for line in lines[max(0, start - 8):start] if line)
    table = tables_from_rows(grid, caption=caption, where=f"line {start + 1}", places=places)
    if table is not None and found.continued:
        note = (f"CHECK: line {start + 1}: rows read under the header of the table before "
                f"({found.where}), which this block continues after a blank line")
        table = replace(table, skipped=(note, *table.skipped))
    return table


def _numbered_beyond(body: Sequence[_Segment], width: int) -> bool:
    """Whether the body's first numbered row has one cell more than the header: a header
    whose number cell was left blank (its bar lines read as the end of a row)."""
    for k, segment in enumerate(body):
        if _NUMBER.match(segment.text):
            run = next((j for j in range(k, len(body)) if not body[j].text), len(body)) - k
            return run == width + 1
    return False


def _under_header(top: list[str], body: Sequence[_Segment]) -> tuple[list[str], int] | None:
    """A second header row ("Chủ trì", "Phối hợp" under "Cơ quan thực hiện"): the header
    with the cell they split replaced by them, and how many segments they take."""
    sub = []
    for segment in body:
        if not segment.text:
            break
        sub.append(segment.text)
    roles = [role_of(text) for text in sub]
    if not sub or len(sub) >= len(top) or any(len(t) > 40 or _starts_row(t) for t in sub) \
            or "other" in roles or "title" in roles:
        return None
    wanted = "lead" if set(roles) <= {"lead", "coordinators"} else roles[0]
    split = next((j for j, cell in enumerate(top) if role_of(cell) == wanted), None)
    if split is None:
        return None
    merged = [*top[:split], *(f"{top[split]} {t}" for t in sub), *top[split + 1:]]
    return (merged, len(sub)) if map_header(merged) is not None else None


def _rows(segments: Sequence[_Segment], width: int, *, due_last: bool) -> list[_Row]:
    """Segments grouped into rows: an empty segment ends a row when the next one starts a
    row (a number, a section mark), the row is full or a section, or (in a table whose last
    column is the deadline) the row's last cell reads as one: a sub-row ends there."""
    rows: list[_Row] = []
    current = _Row(line=segments[0].line) if segments else _Row()
    for k, segment in enumerate(segments):
        following = segments[k + 1].text if k + 1 < len(segments) else ""
        ends = not segment.text and current.cells and (
            _starts_row(following) or len(current.cells) >= width
            or (_SECTION.match(current.cells[0]) is not None and len(current.cells) >= 2)
            or (due_last and len(current.cells) >= 2 and _WHEN.search(current.cells[-1])
                is not None))
        if ends:
            rows.append(current)
            current = _Row(line=segments[k + 1].line if k + 1 < len(segments) else 0)
        elif segment.text or current.cells:
            if not current.cells:
                current.line = segment.line
            current.cells.append(segment.text)
    if any(current.cells):
        rows.append(current)
    return [piece for row in rows for piece in _split_long(row, width)]


def _split_long(row: _Row, width: int) -> list[_Row]:
    """A row of more cells than columns ran into the next: an empty segment taken for an
    empty cell was the end of the row. It ends at the last such segment that keeps it
    within the columns."""
    if len(row.cells) <= width:
        return [row]
    cut = max((j for j in range(1, width + 1) if j < len(row.cells) and not row.cells[j]),
              default=None)
    if cut is None:
        return [row]
    rest = _Row(row.cells[cut + 1:], row.line)
    return [_Row(row.cells[:cut], row.line), *_split_long(rest, width)] if rest.cells else \
        [_Row(row.cells[:cut], row.line)]


def _starts_row(text: str) -> bool:
    return bool(_NUMBER.match(text) or _SECTION.match(text))


def _aligned(cells: list[str], columns: Sequence[str]) -> list[str | None]:
    """A row's cells under the header's columns. A row of fewer cells whose first is no
    number is a sub-row of the row above: its cells stand under the run of columns they
    read best as (a deadline under the deadline, agencies under the agencies), the others
    are merged down from above (None, as a merged cell of a .docx)."""
    width = len(columns)
    while len(cells) > width and not cells[-1]:
        cells = cells[:-1]
    if len(cells) >= width or not cells:
        return list(cells)
    if _starts_row(cells[0]) or len(cells) == 1:
        return [*cells, *[""] * (width - len(cells))]
    n = len(cells)
    at = max(range(width - n, -1, -1), key=lambda k: _fit(cells, columns[k:k + n]))
    return [*[None] * at, *cells, *[None] * (width - at - n)]


def _fit(cells: Sequence[str], roles: Sequence[str]) -> int:
    score = 0
    for cell, role in zip(cells, roles, strict=True):
        if role == "number":
            score += 2 if _NUMBER.match(cell) else -3
        elif role == "due":
            score += 2 if _WHEN.search(cell) else -2
        elif role in ("lead", "coordinators"):
            score += 1 if AGENCY_HEAD.match(cell) or cell.lower().startswith("các") else -1
        elif role == "title":
            score += 1 if len(cell) > 30 else 0
    return score
